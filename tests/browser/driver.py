"""Driving GenLab in a real browser, for the browser tests and the benchmarks alike: a fresh `streamlit run` on a
free loopback port, Debian's Chromium through Playwright (never `playwright install`: it downloads), and finding a
place to click on a map's canvas as a visitor does, by hovering."""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
MAP_DOTS = '.genlab-map canvas'  # the map, drawn on a canvas by GenLab's map component (ui/latent_map.js)
# Where to look for dots (coloured pixels) or empty space (the rest) on the map's canvas, every `step` pixels.
MAP_CANDIDATES_JS = """([wanted, step]) => {
  const canvas = document.querySelector('.genlab-map canvas');
  const box = canvas.getBoundingClientRect(), width = canvas.width, height = canvas.height;
  const pixels = canvas.getContext('2d').getImageData(0, 0, width, height).data, found = [];
  for (let y = 0; y < height; y += step) for (let x = 0; x < width; x += step) {
    const i = 4 * (y * width + x);
    const coloured = pixels[i + 3] > 0 && Math.max(pixels[i], pixels[i + 1], pixels[i + 2]) -
                     Math.min(pixels[i], pixels[i + 1], pixels[i + 2]) > 60;
    if (coloured === (wanted === 'dot')) found.push([box.x + x * box.width / width, box.y + y * box.height / height]);
  }
  return found;
}"""
TOOLTIP_JS = "() => { const tip = document.querySelector('.genlab-map-tip.visible'); return tip ? tip.textContent : ''; }"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def streamlit_server(script: str, cwd: Path = ROOT, with_process: bool = False):
    """`streamlit run script` on a free port, fresh; yields (base URL, seconds until its health check answered),
    and the server's Popen too when `with_process` (bench/load.py reads its memory)."""
    port = free_port()
    started = time.perf_counter()
    server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", script, "--server.port", str(port),
                               "--server.headless", "true", "--browser.gatherUsageStats", "false",
                               "--server.fileWatcherType", "none"],
                              cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env={**os.environ, "GENLAB_DEVICE": "cpu", "PYTHONPATH": str(ROOT)})
    base = f"http://127.0.0.1:{port}"
    try:
        while True:
            try:
                urllib.request.urlopen(base + "/_stcore/health", timeout=1)
                break
            except OSError:
                if server.poll() is not None:  # it will never answer (a bad setting, say): say so, never wait forever
                    raise RuntimeError(f"`streamlit run {script}` exited with status {server.returncode} before "
                                       "answering its health check")
                time.sleep(0.05)
        up = time.perf_counter() - started
        yield (base, up, server) if with_process else (base, up)
    finally:
        server.terminate()
        server.wait(timeout=20)


def chromium(p):
    return p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def find_on_map(page, wanted: str, skip: int = 0) -> tuple[float, float, str]:
    """A place on a map's canvas to click, found as a visitor finds one, by hovering: a dot (`wanted` "dot", the
    tooltip names it: "3 · test #12" on the VAE map, "label · #5" on Your embeddings) or empty space ("place", the
    tooltip says "decode here"). The map's tooltip and its click pick the same dot (ui/latent_map.js), so a click
    there picks what the tooltip said. `skip` passes over that many matches (another dot each time). Returns (x, y,
    tooltip)."""
    matches = 0
    step = 6 if wanted == "dot" else 23
    for x, y in page.evaluate(MAP_CANDIDATES_JS, [wanted, step]):
        page.mouse.move(x, y)
        tip = page.evaluate(TOOLTIP_JS)
        if (" #" in tip) if wanted == "dot" else (tip == "decode here"):
            if matches == skip:
                return x, y, tip
            matches += 1
    raise LookupError(f"no {wanted} found on the map")


RUNNING = ('[data-testid="stStatusWidget"], [data-testid="stSkeleton"], [data-testid="stSpinner"], '
           '[data-stale="true"]')  # what a page shows while it runs, loads or waits to be replaced


def settle(page, timeout: float = 120) -> None:
    """Wait until nothing runs, loads or waits to be replaced (twice in a row, 300 ms apart)."""
    page.wait_for_timeout(400)
    end = time.time() + timeout
    while time.time() < end:
        if page.locator(RUNNING).count() == 0:
            page.wait_for_timeout(300)
            if page.locator(RUNNING).count() == 0:
                return
        page.wait_for_timeout(200)
    raise AssertionError("the page kept running")
