"""The floor for bench/load_test.py: a trivial Streamlit app with the Explorer's input widget.

Same key ("in:x") and the same answer in a metric (d/dx of x**8 = 8*x**7, as the Explorer's
foo3 preset shows), so the load test drives and checks both apps the same way.
"""
import streamlit as st

st.title("Hello")
x = st.number_input("x", key="in:x", value=2.0, step=0.5, format="%g")
st.metric("∂(y) / ∂x", f"{8 * x ** 7:.7g}")
