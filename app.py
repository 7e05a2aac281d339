"""GenLab's server. `streamlit run app.py` serves the pages of frame.py, and first warms the process
(ui/warmup.py: imports, each page's default model) so the first visitor does not wait on them.

Streamlit runs a module-level `app = st.App(...)` as an ASGI app under uvicorn; the lifespan's start-up finishes
before the server takes connections.
"""
from contextlib import asynccontextmanager

import streamlit as st


@asynccontextmanager
async def warm_up(app):
    from ui.warmup import warm_process
    warm_process()
    yield


app = st.App("frame.py", lifespan=warm_up)
