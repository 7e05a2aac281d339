"""Projector mode's look: what a class at the back of a room needs from a projected page (issue: labels of 8-10
px inside pictures, light grey captions). Pictures drawn by GenLab get bigger labels through gen_core.render's
`label_px` (pages pass ui.settings.label_px()); this stylesheet does the rest for Streamlit's own elements."""


def base_css() -> str:
    """Every visitor: a page never scrolls sideways on a phone (390 px wide). Wide things scroll inside their own box
    (tables, pill rows, tab rows), pictures shrink to the column, and long command lines wrap."""
    return """<style>
  [data-testid="stMain"] img { max-width: 100%; height: auto; }
  [data-testid="stMarkdownContainer"] table { display: block; max-width: 100%; overflow-x: auto; }
  [data-testid="stMarkdownContainer"] code, [data-testid="stCaptionContainer"] code {
    white-space: pre-wrap; overflow-wrap: anywhere; }
  [data-testid="stMarkdownContainer"] pre { max-width: 100%; overflow-x: auto; }
  [data-testid="stTabs"] [role="tablist"] { overflow-x: auto; }
  [data-testid="stButtonGroup"] { flex-wrap: wrap; }
  .stPlotlyChart, [data-testid="stVegaLiteChart"], [data-testid="stIFrame"], iframe { max-width: 100%; }
  [data-testid="stSidebarNavLink"] span { white-space: normal !important; overflow: visible !important;
    text-overflow: clip !important; }  /* "Generative vs Discriminative" whole, on two lines if need be */
  @media (max-width: 640px) { [data-testid="stMainBlockContainer"] { padding-left: 1rem; padding-right: 1rem; } }
</style>"""


def projector_css() -> str:
    return """<style>
  /* larger captions and body text, captions in the body's colour rather than the theme's faded one (inherit: dark
     on the light theme, light on the dark theme) */
  [data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p { color: inherit !important;
    opacity: 1 !important; font-size: 1.05rem !important; }
  [data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li { font-size: 1.15rem; }
  [data-testid="stWidgetLabel"] p { font-size: 1.05rem !important; color: inherit !important; }


  h1 { font-size: 2.6rem !important; }
  /* select boxes at 18 px (charts get theirs from ui.charts.legible, which lays them out for it) */
  [data-baseweb="select"] div, [data-baseweb="select"] input { font-size: 18px !important; }
  [data-testid="stSidebarNavLink"] span { font-size: 1.05rem; }
</style>"""
