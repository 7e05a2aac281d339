"""GenLab's server. `streamlit run app.py` serves the pages of frame.py, and first warms the process
(ui/warmup.py: imports, each page's default model) so the first visitor does not wait on them.

Streamlit runs a module-level `app = st.App(...)` as an ASGI app under uvicorn; the lifespan's start-up finishes
before the server takes connections. It also prints the teacher's key (gen_core.classroom, as Jupyter prints its
token) and starts the machine's job worker if none runs (gen_core.jobs). Two routes of GenLab's own sit beside
Streamlit's: the sprite sheets of test images the maps' tooltips show (ui/thumbnails.py), fetched by the browser
once and cached; and the teacher's lead, which a follower's page long-polls (GET /genlab/class/lead). One
middleware gives every browser its visitor cookie (ui.classroom.COOKIE): whose jobs are whose.
"""
import asyncio
import os
import secrets
from contextlib import asynccontextmanager
from http.cookies import SimpleCookie

import streamlit as st
from starlette.middleware import Middleware
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ui.classroom import COOKIE

WARM_UP_S = 120


@asynccontextmanager
async def warm_up(app):
    from gen_core.classroom import TEACHER_KEY_VARIABLE, teacher_key
    from gen_core.jobs import ensure_worker
    from ui.warmup import WARM_REVEALS_VARIABLE, warm_process, warm_reveals_in_background

    # the warm-up runs in a thread, so the event loop never waits on it; past WARM_UP_S the server opens anyway
    # (a stalled file must not keep /_stcore/health from ever answering) and the thread finishes on its own
    try:
        await asyncio.wait_for(asyncio.shield(asyncio.to_thread(warm_process)), WARM_UP_S)
    except asyncio.TimeoutError:
        print(f"GenLab: the warm-up took over {WARM_UP_S} s; serving while it goes on", flush=True)
    print(f"GenLab teacher key: {teacher_key()}  (type it under Class > Teacher mode; "
          f"set {TEACHER_KEY_VARIABLE} to choose one)", flush=True)
    ensure_worker()
    if os.environ.get(WARM_REVEALS_VARIABLE, "1") != "0":  # while the server opens: nobody waits on it
        warm_reveals_in_background()
    yield


class VisitorCookie:
    """ASGI middleware: a browser without GenLab's visitor cookie gets one (random, private, a year long) on the
    response to its first request; the page's websocket then carries it, and st.context.cookies reads it."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or COOKIE in self._cookies(scope):
            return await self.app(scope, receive, send)
        cookie = f"{COOKIE}={secrets.token_urlsafe(24)}; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax".encode()

        async def send_with_cookie(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (b"set-cookie", cookie)]}
            await send(message)
        return await self.app(scope, receive, send_with_cookie)

    @staticmethod
    def _cookies(scope) -> SimpleCookie:
        jar = SimpleCookie()
        for name, value in scope.get("headers", []):
            if name == b"cookie":
                try:
                    jar.load(value.decode("latin-1"))
                except Exception:  # noqa: BLE001 - a malformed cookie header is the browser's; give a new cookie
                    pass
        return jar


async def thumbnails(request):
    """GET /genlab/thumbnails/NAME/PAGE.png: a page of a registered image set's test images, as one PNG."""
    from ui.thumbnails import sheet
    try:
        page = int(request.path_params["page"])
        png = await asyncio.to_thread(sheet, request.path_params["name"], page)
    except (KeyError, ValueError):
        return Response(status_code=404)
    return Response(png, media_type="image/png", headers={"Cache-Control": "public, max-age=86400"})


LEAD_BOARD = None  # made on the first follower's request (gen_core.classroom.LeadBoard: one per process)


async def class_lead(request):
    """GET /genlab/class/lead?after=SEQ: the teacher's lead sequence number (JSON), answered as soon as it differs
    from SEQ or after 20 s (a long poll: what a follower's page waits on, ui/follow_watch.js)."""
    global LEAD_BOARD
    from gen_core.classroom import LeadBoard
    from gen_core.errors import GenLabError
    after = request.query_params.get("after", "")
    try:
        seen = int(after) if after else None
    except ValueError:
        return JSONResponse({"error": "after must be a whole number"}, status_code=400)
    LEAD_BOARD = LEAD_BOARD or LeadBoard()
    try:
        seq = await LEAD_BOARD.changed_from(seen)
    except GenLabError as error:  # the shared store is down: the page retries
        return JSONResponse({"error": str(error)}, status_code=503)
    return JSONResponse({"seq": seq}, headers={"Cache-Control": "no-store"})


app = st.App("frame.py", lifespan=warm_up, middleware=[Middleware(VisitorCookie)],
             routes=[Route("/genlab/thumbnails/{name}/{page}.png", thumbnails, methods=["GET"]),
                     Route("/genlab/class/lead", class_lead, methods=["GET"])])
