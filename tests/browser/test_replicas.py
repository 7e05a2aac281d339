"""Two GenLab replicas behind HAProxy (deploy/serve_replicas.py), driven in Chromium: each browser sticks to one
replica by cookie, pages and their websockets work through the balancer, and both replicas get visitors.

Needs haproxy (`apt-get install -y haproxy`; .ci/run installs it) and Chromium; skipped without them locally,
and in CI it must run.
"""
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

from tests.browser.driver import CHROMIUM, CHROMIUM_ARGS, ROOT, free_port

sys.path.insert(0, str(ROOT / "deploy"))

pytestmark = pytest.mark.browser

if not shutil.which("haproxy") or not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        raise RuntimeError("haproxy and chromium are needed in CI: .ci/run must apt-get install them")
    pytest.skip("haproxy or chromium not installed", allow_module_level=True)


@pytest.fixture(scope="module")
def balancer():
    import serve_replicas
    port = free_port()
    while any(_in_use(port + k) for k in (1, 2)):
        port = free_port()
    processes = serve_replicas.start(2, port, Path(tempfile.mkdtemp(prefix="genlab-replicas-")))
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        serve_replicas.stop(processes)


def _in_use(port: int) -> bool:
    import socket
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_two_browsers_each_stick_to_a_replica_and_both_work(balancer):
    from playwright.sync_api import sync_playwright
    replicas = set()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        contexts = [browser.new_context(viewport={"width": 1400, "height": 1000}) for _ in range(2)]
        for context in contexts:
            page = context.new_page()
            page.goto(balancer)
            page.get_by_role("heading", name="GenLab").wait_for(timeout=90_000)
            grid = page.locator('[data-testid="stMain"] img').first
            grid.wait_for(timeout=90_000)
            before = grid.get_attribute("src")
            page.get_by_role("button", name="New samples").click()  # over the websocket, through HAProxy
            page.wait_for_function("(src) => document.querySelector('[data-testid=stMain] img').src !== src",
                                   arg=before, timeout=60_000)
            assert page.locator('[data-testid="stException"]').count() == 0
            cookie = {c["name"]: c["value"] for c in context.cookies()}
            replicas.add(cookie["GENLAB_REPLICA"])
        browser.close()
    assert replicas == {"r1", "r2"}  # two visitors, two processes: the class uses both cores
