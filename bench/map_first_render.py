"""The VAE map's first render on a freshly started server, against fitting UMAP on load; and decoding a click.

    python bench/map_first_render.py [--checkpoint vae-digits] [--floor]

1. Starts `streamlit run app.py` fresh (its warm-up, ui/warmup.py, runs before the health check answers: "up in"
   includes it), opens /vae_explorer in Chromium (Debian's, via Playwright) and times until the map (a canvas drawn
   by ui/latent_map.js) is there, then until the page has finished running.
2. In a fresh Python process, times what the page would cost without shipped maps: fitting UMAP (with its JIT
   compile) on the same latents.
3. Times decoding one clicked latent (median of 200).
4. With --floor, what this browser on this machine needs for any Streamlit page: a fresh server's bare page with a
   title only; with a title and the same map (ui/latent_map.py, the shipped projection); and that page inside
   GenLab's frame (navigation and sidebar settings); each visited twice.
"""
import argparse
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.browser.driver import (MAP_DOTS, chromium, find_on_map, free_port,  # noqa: E402,F401 - bench/ uses them
                                  streamlit_server)
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


def visit(browser, url: str, heading: str, marks: str | None) -> tuple[float, float | None]:
    """Open url in a new tab: seconds until `heading` shows and until the first of `marks` is drawn."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    t0 = time.perf_counter()
    page.goto(url)
    page.get_by_role("heading", name=heading).wait_for(timeout=120_000)
    title = time.perf_counter() - t0
    drawn = None
    if marks:
        page.locator(marks).first.wait_for(timeout=120_000)
        drawn = time.perf_counter() - t0
    return title, drawn


def browser_first_map() -> tuple[float, float, float, float, float]:
    from playwright.sync_api import sync_playwright

    with streamlit_server("app.py") as (base, server_up), sync_playwright() as p:
        browser = chromium(p)
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
        _, warm_map = visit(browser, f"{base}/vae_explorer", "VAE Latent Explorer", MAP_DOTS)
        browser.close()
    return server_up, heading, first_map, done, warm_map


BARE_TITLE = """
import streamlit as st
st.title("Bare page")
"""
BARE_MAP = """
import streamlit as st
from gen_core import embed
from gen_core.core import InferenceCore
from gen_core.data import load_dataset
from gen_core.models import vae
from ui import latent_map
st.title("Bare page")

@st.cache_resource
def chart():
    core = InferenceCore("cpu")
    loaded = core.load({checkpoint!r})
    card = loaded.card
    codes = core.run(loaded.name, lambda m: vae.encode_dataset(m.model, card["dataset"]["name"]))
    projection = embed.cached_projection(loaded.path, card["weights_sha256"],
                                         embed.test_set_id(card["dataset"]["name"]), codes["mu"], "umap",
                                         compute=False)
    return latent_map.map_data(projection.coords, codes["labels"], card["dataset"]["class_names"], "map")

latent_map.show_map(chart(), key="map")
"""

# GenLab's frame (frame.py) around the bare map page: the page config, a six-page navigation and the sidebar settings
BARE_FRAME = """
import streamlit as st
from ui.settings import sidebar
st.set_page_config(page_title="GenLab", page_icon=":material/science:", layout="wide")
pages = [st.Page("bare_page.py", title="Bare", icon=":material/scatter_plot:", url_path="bare", default=True)] + [
    st.Page(f"other{k}.py", title=f"Other {k}", icon=":material/home:", url_path=f"other{k}") for k in range(5)]
navigation = st.navigation(pages)
sidebar()
navigation.run()
"""


def browser_floor(checkpoint: str) -> dict[str, tuple]:
    """What Streamlit and the map alone cost in this browser on this machine: a page with only a title; with a
    title and the same map; and that inside GenLab's frame. Each on a fresh server: the first visit, then a second
    tab (the first visit of the map pages also imports torch and gen_core, which app.py's warm-up does beforehand)."""
    from playwright.sync_api import sync_playwright

    found = {}
    with tempfile.TemporaryDirectory() as folder:
        for k in range(5):
            (Path(folder) / f"other{k}.py").write_text("import streamlit as st\nst.title('Other')\n")
        (Path(folder) / "frame_app.py").write_text(BARE_FRAME)
        bare_map = BARE_MAP.format(checkpoint=checkpoint)
        for label, script, source, marks in (("title only", "bare_page.py", BARE_TITLE, None),
                                             ("title + the map", "bare_page.py", bare_map, MAP_DOTS),
                                             ("title + the map in the frame", "frame_app.py", bare_map, MAP_DOTS)):
            (Path(folder) / "bare_page.py").write_text(source)
            with streamlit_server(script, cwd=Path(folder)) as (base, _), sync_playwright() as p:
                browser = chromium(p)
                found[label] = (visit(browser, base, "Bare page", marks), visit(browser, base, "Bare page", marks))
                browser.close()
    return found


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
    parser.add_argument("--floor", action="store_true",
                        help="also time bare Streamlit pages (a title; a title and the map) in the same browser")
    args = parser.parse_args()
    server_up, heading, first_map, done, warm_map = browser_first_map()
    print(f"fresh server: up in {server_up:.2f} s; after navigating to /vae_explorer: title at {heading:.2f} s, "
          f"map drawn at {first_map:.2f} s, page finished at {done:.2f} s (shipped projections)")
    print(f"second visitor on the same server (new tab): map drawn {warm_map:.2f} s after navigation")
    out = subprocess.run([sys.executable, "-c", UMAP_FIT, args.checkpoint], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout.split()
    print(f"fresh process: load + encode {float(out[0]):.2f} s, then fitting UMAP on load {float(out[1]):.2f} s "
          f"(what the page would wait without shipped maps)")
    print(f"decoding one clicked latent: {decode_ms(args.checkpoint):.2f} ms (median of 200)")
    if args.floor:
        for label, visits in browser_floor(args.checkpoint).items():
            print(f"floor, a bare page with {label}: " + "; ".join(
                f"{who}: title {title:.2f} s" + (f", map {drawn:.2f} s" if drawn else "")
                for who, (title, drawn) in zip(("fresh server", "second tab"), visits)))


if __name__ == "__main__":
    main()
