"""Page styling shared by the Explorer and the lessons (plain CSS text; no streamlit here).

Presentation mode is for a projector at the back of a lecture hall: large type everywhere,
dark text instead of Streamlit's grey captions, the graph first. Streamlit 1.67 wraps heading text in a span, hence ``h1, h1 span``.
"""
from __future__ import annotations

__all__ = ["PRESENTATION_CSS"]

PRESENTATION_CSS = """<style>
  .stMarkdown p, .stMarkdown li, label p, .stCaption p, button p,
  [data-testid="stTable"] td, [data-testid="stTable"] th, .stMarkdown td, .stMarkdown th,
  [data-testid="stTab"] p, details summary p,
  [data-testid="stAlertContainer"] p { font-size: 1.3rem !important; }
  h1, h1 span { font-size: 2.4rem !important; }
  h2, h2 span { font-size: 2rem !important; }
  h3, h3 span { font-size: 1.7rem !important; }
  .block-container { padding-top: 2.5rem !important; max-width: 100% !important; }
  textarea { font-size: 1.25rem !important; line-height: 1.5 !important; }
  /* the number typed in an input, the chosen targets' chips, a select's value */
  input, [data-tag] span, [data-baseweb="select"] div { font-size: 1.25rem !important; }
  [data-tag] { height: auto !important; }
  p code { font-size: 1.15rem !important; }
  pre code { font-size: 1rem !important; }
  [data-testid="stPageLink"] p { font-size: 1.2rem !important; }
  /* a slider's value and its ends (the lessons' n, x, step) */
  [data-testid="stSliderThumbValue"], [data-testid="stSliderTickBarMin"],
  [data-testid="stSliderTickBarMax"] { font-size: 1.2rem !important; }
  [data-testid="stMetricValue"] div { font-size: 3.2rem !important; }
  [data-testid="stMetricLabel"] p { font-size: 1.4rem !important; }
  /* high contrast: Streamlit's grey captions and labels wash out on a projector */
  .stCaption p, [data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p,
  [data-testid="stMetricLabel"] p, label p { color: #1a1a1a !important; opacity: 1 !important; }
</style>"""
