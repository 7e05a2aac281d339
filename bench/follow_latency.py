"""How long a student following the teacher waits: one `streamlit run app.py`, a teacher (teacher mode, leading)
and one follower in Chromium; the teacher presses Next through the GAN lesson and this prints, per step, the time
from the click to the follower's page showing that step (the issue's bound: 2 s).

    python bench/follow_latency.py [--steps 6] [--replicas 2]

With --replicas N the browsers go through HAProxy to N server processes (deploy/serve_replicas.py), the first
follower on another replica than the teacher's (it reopens until HAProxy's cookie says so); --followers K times
the last of K followers (the class test's three).
"""
from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.browser.driver import chromium, free_port, settle, streamlit_server  # noqa: E402

KEY = "bench-key"
REPLICA_COOKIE = "GENLAB_REPLICA"


@contextlib.contextmanager
def serving(replicas: int):
    """The base URL of one `streamlit run app.py`, or of N replicas behind HAProxy."""
    from bench.load import until_quiet
    if not replicas:
        with streamlit_server("app.py", with_process=True) as (base, _, server):
            until_quiet([server.pid])  # the start-up's background work done, as before a class arrives
            yield base
        return
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "deploy"))
    import serve_replicas
    port = free_port()
    deployment = serve_replicas.start(replicas, port, Path(tempfile.mkdtemp(prefix="genlab-follow-")))
    try:
        until_quiet([r.process.pid for r in deployment.replicas])
        yield f"http://127.0.0.1:{port}"
    finally:
        serve_replicas.stop(deployment)


class LeadWatch:
    """When the teacher's lead last changed in the deployment's store (polled every 20 ms in a thread)."""

    def __init__(self):
        import threading

        from gen_core.classroom import Classroom
        self.classroom, self.changed_at, self.seq = Classroom(), None, None
        threading.Thread(target=self.watch, daemon=True).start()

    def reset(self) -> None:
        self.changed_at = None

    def watch(self) -> None:
        while True:
            lead = self.classroom.lead()
            seq = lead.seq if lead else None
            if seq != self.seq:
                self.seq, self.changed_at = seq, time.monotonic()
            time.sleep(0.02)


class SocketFollowers:
    """N followers speaking Streamlit's websocket protocol (bench/load.py's way: no browser, so what is timed is the
    servers and the class state, not N Chromium tabs on this machine's cores): each opens /?follow=true and does
    what the page's watch does (ui/follow_watch.js): long-polls GET /genlab/class/lead and, when the lead is not the
    one its page shows, sends the watch's "moved" trigger; each records when a Markdown element saying "step K of"
    first reached it."""

    def __init__(self, base: str, n: int):
        import asyncio
        import threading
        from urllib.parse import urlsplit

        self.url = base.replace("http://", "ws://") + "/_stcore/stream"
        self.address = urlsplit(base).hostname, urlsplit(base).port
        self.seen: list[dict[int, float]] = [{} for _ in range(n)]
        self.ready = threading.Event()
        self.opened = 0
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_until_complete, args=(self.main(n),), daemon=True).start()

    async def main(self, n: int) -> None:
        import asyncio
        self.errors: list[str] = []
        self.closing = False  # set once the timing is over: the servers' shutdown closes every socket
        await asyncio.gather(*(self.guarded(k, n) for k in range(n)))

    async def guarded(self, k: int, n: int) -> None:
        try:
            await self.follower(k, n)
        except Exception as error:  # noqa: BLE001 - a lost connection is the bench's finding, not its crash
            if not self.closing:
                self.errors.append(f"follower {k}: {type(error).__name__}: {str(error)[:80]}")

    async def follower(self, k: int, n: int) -> None:
        import asyncio
        import json
        import re

        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        from bench.load import Session
        async with Session(self.url) as session:
            first = BackMsg()
            first.rerun_script.query_string = "follow=true"
            first.rerun_script.page_name = ""
            await session.ws.send(first.SerializeToString())
            page = {"hash": "", "seen": None, "id": None}
            watch = None
            while True:
                forward = ForwardMsg()
                forward.ParseFromString(await session.ws.recv())
                kind = forward.WhichOneof("type")
                if kind == "new_session":
                    page["hash"] = forward.new_session.page_script_hash
                elif kind == "delta" and forward.delta.WhichOneof("type") == "new_element":
                    element = forward.delta.new_element
                    if element.WhichOneof("type") == "bidi_component" and \
                            element.bidi_component.component_name.endswith("follow_watch"):
                        data = json.loads(element.bidi_component.json)
                        page.update(seen=data["seen"], id=element.bidi_component.id, url=data["url"])
                        if watch is None:
                            watch = asyncio.create_task(self.watch(session, page))
                    elif element.WhichOneof("type") == "markdown":
                        found = re.search(r"step (\d+) of", element.markdown.body)
                        if found and int(found[1]) not in self.seen[k]:
                            self.seen[k][int(found[1])] = time.monotonic()
                            if int(found[1]) == 1:
                                self.opened += 1
                                if self.opened == n:
                                    self.ready.set()

    async def watch(self, session, page: dict) -> None:
        """The page's watch (ui/follow_watch.js): a long poll, and the trigger when the lead moved."""
        import json

        from streamlit.proto.BackMsg_pb2 import BackMsg
        known = page["seen"]
        while True:
            known = (await self.get_json(f"/{page['url']}?after={'' if known is None else known}"))["seq"]
            if known != page["seen"]:
                message = BackMsg()
                message.rerun_script.query_string = "follow=true"
                message.rerun_script.page_script_hash = page["hash"]
                state = message.rerun_script.widget_states.widgets.add()
                state.id = f"$$STREAMLIT_INTERNAL_KEY_{page['id']}__events"
                state.json_trigger_value = json.dumps([{"event": "moved", "value": known}])
                await session.ws.send(message.SerializeToString())

    async def get_json(self, path: str) -> dict:
        import asyncio
        import json
        host, port = self.address
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n".encode())
        answer = await reader.read()
        writer.close()
        head, _, body = answer.partition(b"\r\n\r\n")
        if b" 200 " not in head.split(b"\r\n")[0]:
            raise RuntimeError(head.split(b"\r\n")[0].decode())
        return json.loads(body)

    def shown(self, step: int, timeout: float = 30.0) -> list[float]:
        """When each follower showed `step` (waiting up to `timeout` for all)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not all(step in s for s in self.seen):
            time.sleep(0.02)
        return [s.get(step, float("inf")) for s in self.seen]


def replica(context) -> str | None:
    return next((c["value"] for c in context.cookies() if c["name"] == REPLICA_COOKIE), None)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=6, help="Next presses (the GAN lesson has 9 steps)")
    parser.add_argument("--replicas", type=int, default=0, help="serve through HAProxy from this many processes")
    parser.add_argument("--followers", type=int, default=1, help="students following, each its own browser context")
    parser.add_argument("--socket-followers", type=int, default=0,
                        help="also this many followers speaking Streamlit's websocket protocol (no browser)")
    args = parser.parse_args(argv)
    os.environ["GENLAB_TEACHER_KEY"] = KEY  # the server inherits it
    from playwright.sync_api import sync_playwright
    with serving(args.replicas) as base, sync_playwright() as p:
        browser = chromium(p)
        teacher = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        teacher.goto(base)
        students = []
        for k in range(args.followers):
            student = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            for _ in range(8 if args.replicas and k == 0 else 0):  # the first on another replica than the teacher's
                student.goto(base)
                if replica(student.context) != replica(teacher.context):
                    break
                student.context.close()
                student = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            students.append(student)
        teacher.get_by_role("heading", name="GenLab").wait_for(timeout=90_000)
        sidebar = teacher.locator('[data-testid="stSidebar"]')
        sidebar.get_by_text("Teacher mode").click()
        sidebar.locator('input[aria-label="Teacher key"]').fill(KEY)
        sidebar.get_by_role("button", name="Unlock").click()
        sidebar.get_by_text("Lead the class").wait_for(timeout=30_000)
        sidebar.get_by_text("Lead the class").click()
        settle(teacher)
        teacher.locator(".st-key-lesson_start_gan button").click()
        panel = teacher.locator(".st-key-lesson_panel")
        panel.get_by_text("step 1 of").wait_for(timeout=90_000)
        for student in students:
            student.goto(base + "/?follow=true")
            student.locator(".st-key-lesson_panel").get_by_text("step 1 of").wait_for(timeout=90_000)
        if args.replicas:
            print(f"teacher on replica {replica(teacher.context)}, followers on "
                  f"{', '.join(str(replica(s.context)) for s in students)}")
        sockets = None
        if args.socket_followers:
            sockets = SocketFollowers(base, args.socket_followers)
            if not sockets.ready.wait(120):
                raise SystemExit("the socket followers did not all reach step 1")
        waits, published, socket_waits = [], LeadWatch(), []
        for step in range(2, 2 + args.steps):
            for page in [teacher, *students]:
                settle(page)
            published.reset()
            clicked = time.monotonic()
            panel.get_by_role("button", name="Next").click()
            panel.get_by_text(f"step {step} of").wait_for(timeout=30_000)
            own = time.monotonic() - clicked
            shown = []
            for student in students:  # each seen at or after the moment it showed the step: an upper bound
                student.locator(".st-key-lesson_panel").get_by_text(f"step {step} of").wait_for(timeout=30_000)
                shown.append(time.monotonic() - clicked)
            waits.append(max(shown) if shown else 0.0)
            if sockets:
                arrived = sorted(t - clicked for t in sockets.shown(step))
                socket_waits.append(arrived)
                print(f"step {step}: {len(arrived)} socket followers showed it: p50 "
                      f"{arrived[len(arrived) // 2]:.2f} s, p95 {arrived[int(0.95 * (len(arrived) - 1))]:.2f} s, "
                      f"last {arrived[-1]:.2f} s", flush=True)
            lead_at = published.changed_at - clicked if published.changed_at else float("nan")
            print(f"step {step}: the last of {len(students)} followers showed it {waits[-1]:.2f} s after the "
                  f"teacher's click (the teacher's own page {own:.2f} s; the lead changed in the store after "
                  f"{lead_at:.2f} s; each follower: "
                  f"{', '.join(f'{v:.2f}' for v in shown)})", flush=True)
        if sockets:
            sockets.closing = True
        browser.close()
    if students:
        print(f"browser followers: median {sorted(waits)[len(waits) // 2]:.2f} s, worst {max(waits):.2f} s over "
              f"{len(waits)} steps")
    if socket_waits:
        every = sorted(t for arrived in socket_waits for t in arrived)
        for error in sockets.errors:
            print(f"error: {error}")
        print(f"socket followers: p50 {every[len(every) // 2]:.2f} s, p95 {every[int(0.95 * (len(every) - 1))]:.2f} s, "
              f"worst {every[-1]:.2f} s over {len(socket_waits)} steps x {args.socket_followers}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
