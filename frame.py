"""GenLab's frame: page config, the sidebar's global settings, and navigation over the registered pages.

Served by app.py (`streamlit run app.py`), which warms the process first; AppTest runs this file directly.
"""
import streamlit as st

from gen_core.errors import GenLabError
from gen_core.shipped import ASSETS
from ui import classroom, lessons, links
from ui.charts import SAVE_VEGA_AS_PNG
from ui.registry import PAGES
from ui.settings import projector, sidebar
from ui.style import base_css, projector_css
from ui.text import plain

ICON = str(ASSETS / "icon.png")  # eight modes on a ring, like ring8

# A local icon: a Material icon name makes every browser fetch it from a font server, and GenLab runs offline.
st.set_page_config(page_title="GenLab", page_icon=ICON, layout="wide")

navigation = st.navigation([st.Page(p.path, title=p.title, icon=p.icon, url_path=p.url_path, default=p.default)
                            for p in PAGES])
links.note_incoming()
sidebar()
try:  # the class features read the deployment's shared store: if it is down, say so once and serve the page anyway
    lessons.sync_with_class(navigation.url_path)  # teacher mode publishes its place; a follower moves to the teacher's
    classroom.sidebar()
except GenLabError as error:
    st.sidebar.error(plain(error), icon=":material/cloud_off:")
st.html(base_css() + (projector_css() if projector() else ""))
st.html(SAVE_VEGA_AS_PNG, unsafe_allow_javascript=True)  # a PNG button on every Vega-Lite chart (ui/charts.py)
notices = st.container()  # above the page: what the link asked for that could not be shown
try:
    lessons.panel(navigation.url_path)  # a guided lesson's step, when one runs
except GenLabError as error:
    st.error(plain(error), icon=":material/cloud_off:")
try:
    navigation.run()
finally:  # also when the page stopped early (st.stop): a link's bad values are said either way
    with notices:
        links.report_dropped()
