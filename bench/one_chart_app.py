"""The first page's floor for bench/first_page.py: Streamlit and one plotly chart, nothing else.

The Explorer's first page is measured against this one served the same way: a class opening
the link waits for Streamlit's scripts, a websocket, one script run and plotly.js drawing a
chart in both; what the Explorer adds on top is its own.
"""
import plotly.graph_objects as go
import streamlit as st

st.set_page_config(page_title="One chart", layout="wide")
st.title("One chart")
fig = go.Figure(go.Scatter(x=[0, 1, 2, 3], y=[1, 32, 256, 1024], mode="lines+markers+text",
                           text=["1", "32", "256", "1024"], textposition="top center"))
fig.update_layout(height=420, margin=dict(l=20, r=20, t=30, b=20))
st.plotly_chart(fig)
