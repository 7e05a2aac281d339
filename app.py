"""GenLab's server. `streamlit run app.py` serves the pages of frame.py, and first warms the process
(ui/warmup.py: imports, each page's default model) so the first visitor does not wait on them.

Streamlit runs a module-level `app = st.App(...)` as an ASGI app under uvicorn; the lifespan's start-up finishes
before the server takes connections. One route of GenLab's own sits beside Streamlit's: the sprite sheets of test
images the maps' tooltips show (ui/thumbnails.py), fetched by the browser once and cached.
"""
import asyncio
from contextlib import asynccontextmanager

import streamlit as st
from starlette.responses import Response
from starlette.routing import Route


@asynccontextmanager
async def warm_up(app):
    from ui.warmup import warm_process
    warm_process()
    yield


async def thumbnails(request):
    """GET /genlab/thumbnails/NAME/PAGE.png: a page of a registered image set's test images, as one PNG."""
    from ui.thumbnails import sheet
    try:
        page = int(request.path_params["page"])
        png = await asyncio.to_thread(sheet, request.path_params["name"], page)
    except (KeyError, ValueError):
        return Response(status_code=404)
    return Response(png, media_type="image/png", headers={"Cache-Control": "public, max-age=86400"})


app = st.App("frame.py", lifespan=warm_up,
             routes=[Route("/genlab/thumbnails/{name}/{page}.png", thumbnails, methods=["GET"])])
