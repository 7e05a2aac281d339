"""The VAE map's first render on a freshly started server, against fitting UMAP on load; and decoding a click.

    python bench/map_first_render.py [--checkpoint vae-digits]

1. Starts `streamlit run app.py` fresh (its warm-up, ui/warmup.py, runs before the health check answers: "up in"
   includes it), opens /vae_explorer in Chromium (Debian's, via Playwright) and times until the map's points (SVG
   marks drawn by Vega-Lite) are drawn, then until the page has finished running.
2. In a fresh Python process, times what the page would cost without shipped maps: fitting UMAP (with its JIT
   compile) on the same latents.
3. Times decoding one clicked latent (median of 200).
"""
import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
MAP_DOTS = '[data-testid="stVegaLiteChart"] .mark-symbol path'  # the map's points, drawn by Vega-Lite
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

UMAP_FIT = """
import time, sys
t0 = time.perf_counter()
from gen_core.core import InferenceCore
from gen_core.models import vae
core = InferenceCore("cpu")
mu = core.run(sys.argv[1], lambda m: vae.encode_dataset(m.model, m.card["dataset"]["name"]))["mu"]
t1 = time.perf_counter()
import umap
umap.UMAP(n_components=2, random_state=0, n_neighbors=15, min_dist=0.1).fit_transform(mu)
print(f"{t1 - t0:.2f} {time.perf_counter() - t1:.2f}")
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def browser_first_map(checkpoint: str) -> tuple[float, float, float, float, float]:
    from playwright.sync_api import sync_playwright

    port = free_port()
    started = time.perf_counter()
    server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port)],
                              cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env={**os.environ, "GENLAB_DEVICE": "cpu"})
    base = f"http://127.0.0.1:{port}"
    try:
        while True:
            try:
                urllib.request.urlopen(base + "/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.05)
        server_up = time.perf_counter() - started
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            t0 = time.perf_counter()
            page.goto(f"{base}/vae_explorer")
            page.get_by_role("heading", name="VAE Latent Explorer").wait_for(timeout=120_000)
            heading = time.perf_counter() - t0
            page.locator(MAP_DOTS).first.wait_for(timeout=120_000)
            first_map = time.perf_counter() - t0
            while page.locator('[data-testid="stStatusWidget"]').count():
                time.sleep(0.05)
            done = time.perf_counter() - t0
            # a second visitor, in a new browser tab, on the now-warm server
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            t0 = time.perf_counter()
            page.goto(f"{base}/vae_explorer")
            page.locator(MAP_DOTS).first.wait_for(timeout=120_000)
            warm_map = time.perf_counter() - t0
            browser.close()
        return server_up, heading, first_map, done, warm_map
    finally:
        server.terminate()
        server.wait(timeout=20)


def decode_ms(checkpoint: str) -> float:
    import torch

    from gen_core.core import InferenceCore
    from gen_core.models import vae
    core = InferenceCore("cpu")
    dim = core.load(checkpoint).card["config"]["latent_dim"]
    times = []
    for k in range(200):
        z = torch.randn(1, dim)
        t0 = time.perf_counter()
        core.run(checkpoint, lambda m: vae.decode_latents(m.model, z))
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", default="vae-digits")
    args = parser.parse_args()
    server_up, heading, first_map, done, warm_map = browser_first_map(args.checkpoint)
    print(f"fresh server: up in {server_up:.2f} s; after navigating to /vae_explorer: title at {heading:.2f} s, "
          f"map drawn at {first_map:.2f} s, page finished at {done:.2f} s (shipped projections)")
    print(f"second visitor on the same server (new tab): map drawn {warm_map:.2f} s after navigation")
    out = subprocess.run([sys.executable, "-c", UMAP_FIT, args.checkpoint], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout.split()
    print(f"fresh process: load + encode {float(out[0]):.2f} s, then fitting UMAP on load {float(out[1]):.2f} s "
          f"(what the page would wait without shipped maps)")
    print(f"decoding one clicked latent: {decode_ms(args.checkpoint):.2f} ms (median of 200)")


if __name__ == "__main__":
    main()
