"""Projector mode's look: what a class at the back of a room needs from a projected page (issue: labels of 8-10
px inside pictures, light grey captions). Pictures drawn by GenLab get bigger labels through gen_core.render's
`label_px` (pages pass ui.settings.label_px()); this stylesheet does the rest for Streamlit's own elements."""


def projector_css() -> str:
    return """<style>
  /* darker, larger captions and body text */
  [data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p { color: #1f1f1f !important;
    font-size: 1.05rem !important; }
  [data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li { font-size: 1.15rem; }
  [data-testid="stWidgetLabel"] p { font-size: 1.05rem !important; color: #111 !important; }


  h1 { font-size: 2.6rem !important; }
</style>"""
