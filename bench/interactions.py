"""How fast GenLab answers, as a visitor feels it: Chromium drives every page, and each interaction is timed from
the action until the picture it changes has changed in the browser.

    python bench/interactions.py [--repeats 3] [--only gan_studio,diffusion_theater]

Prints, in one run on this machine (so the figures can be compared with each other, not with another day's):

1. First load of each sidebar page in a new browser tab (until its pictures are drawn, or for the pages of forms
   its title shows, and the page has stopped running), beside a bare Streamlit page (one button, one image) and
   the same bare page with GenLab's sidebar (its list of pages and its settings).
2. For each interaction, the median and p95 over --repeats of the time from the click or key press until the
   page's pictures (images, Plotly and Vega-Lite charts, the map's canvas, the player's frames) differ from
   before; beside it the bare page's button -> image.

A picture in the main area has "changed" at the first animation frame after the browser's DOM mutation records show
a new <img> source, a new player document, or a chart's SVG redrawn (PICTURE_MUTATION_JS says exactly what counts).
Targets (issue #15): median <= max(0.4 s, 1.5 x the bare page's button -> image), p95 <= 1 s, first loads <= 1.5 x
the bare page. Run it on a quiet machine.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser.driver import chromium, find_on_map, streamlit_server  # noqa: E402

BARE_PAGE = ROOT / "bench" / "bare_page.py"
# While a script runs: Streamlit's status widget (hidden with toolbarMode "minimal", as GenLab sets it), the skeletons
# of elements not drawn yet, spinners, and the elements of the last run not yet replaced (marked stale).
RUNNING = ('[data-testid="stStatusWidget"], [data-testid="stSkeleton"], [data-testid="stSpinner"], '
           '[data-stale="true"]')
MAIN = '[data-testid="stMain"]'  # controls are looked for here, never in the sidebar ("Seed" is in "Global seed")


@dataclass
class Interaction:
    page: str                     # URL path and query, e.g. "gan_studio?gan_tab=Samples"
    name: str
    act: Callable                 # act(page): the click or key press
    explicit_long: bool = False   # long work the user asked for (listed apart from the targets)
    images_only: bool = False     # the answer is an image: changes to charts (a selection's ring) do not count
    prepare: Callable | None = None  # prepare(page), untimed, before each act (finding a dot on the map)


def say(text: str) -> None:
    print(text, flush=True)


# What counts as a changed picture, read from the DOM's own mutation records (no page-wide signature: a signature
# of the VAE map, an SVG of ~2,000 marks, took ~20 ms of Chromium's main thread per evaluation, and computed after
# every DOM change it slowed the very render being timed: it added ~0.14 s to a projection change). A mutation
# changes a picture when it
#   - is inside a chart's SVG (Vega-Lite or Plotly) and sets something to a new value, adds or removes marks;
#   - sets an <img>'s src or an <iframe>'s srcdoc (the player) to a new value;
#   - adds an <img> whose source was not on the page before the action, or adds a chart or an iframe.
# A picture that only disappears (its element replaced, the new one not drawn yet) has not changed yet.
PICTURE_MUTATION_JS = """
const PICTURES = 'img, iframe, .js-plotly-plot .main-svg, [data-testid="stVegaLiteChart"] svg';
const CHART = '.js-plotly-plot .main-svg, [data-testid="stVegaLiteChart"] svg';
const changesPicture = (record, oldSources, imagesOnly = false) => {
  if (record.type === 'canvas') return !imagesOnly;
  const main = document.querySelector('[data-testid="stMain"]') || document.body;
  const target = record.target.nodeType === 1 ? record.target : record.target.parentElement;
  if (!target || !main.contains(target)) return false;
  const inChart = !imagesOnly && target.closest(CHART) !== null;
  if (record.type === 'characterData') return inChart && record.oldValue !== record.target.data;
  if (record.type === 'attributes') {
    if (record.oldValue === target.getAttribute(record.attributeName)) return false;
    return inChart || (target.tagName === 'IMG' && record.attributeName === 'src') ||
      (target.tagName === 'IFRAME' && record.attributeName === 'srcdoc');
  }
  if (inChart) return true;
  for (const node of record.addedNodes) {
    if (node.nodeType !== 1) continue;
    const added = node.matches(PICTURES) ? [node] : [...node.querySelectorAll(PICTURES)];
    if (added.some(e => e.tagName === 'IMG' ? !oldSources.has(e.getAttribute('src')) : !imagesOnly)) return true;
  }
  return false;
};
const observeAll = (callback) => {
  const observer = new MutationObserver(callback), onCanvas = () => callback([{type: 'canvas'}]);
  observer.observe(document.body, {subtree: true, childList: true, attributes: true, characterData: true,
                                   attributeOldValue: true, characterDataOldValue: true});
  (window.__canvasWatchers = window.__canvasWatchers || new Set()).add(onCanvas);
  return {disconnect: () => { observer.disconnect(); window.__canvasWatchers.delete(onCanvas); }};
};
"""
# A chart drawn on a <canvas> changes no DOM: every page gets this before its scripts, and a canvas in a Vega-Lite chart
# or in GenLab's map (ui/latent_map.js) that draws (each restore() of its context) tells the watchers.
CANVAS_HOOK_JS = """(() => {
  const restore = CanvasRenderingContext2D.prototype.restore;
  CanvasRenderingContext2D.prototype.restore = function () {
    restore.call(this);
    if (window.__canvasWatchers && this.canvas.closest && this.canvas.closest('[data-testid="stVegaLiteChart"], .genlab-map'))
      window.__canvasWatchers.forEach(watch => watch());
  };
})();"""
# Timing one action: window.__changedAt is set at the first animation frame after a mutation that changes a picture
# (with imagesOnly, an <img> only: a click on the VAE map rings the dot at once, the answer is the image).
WATCH_CHANGE_JS = """(imagesOnly) => {
  %s
  const oldSources = new Set([...document.querySelectorAll('img')].map(e => e.getAttribute('src')));
  window.__changedAt = undefined;
  const observer = observeAll(records => {
    if (window.__changedAt !== undefined || !records.some(r => changesPicture(r, oldSources, imagesOnly))) return;
    observer.disconnect();
    requestAnimationFrame(() => { window.__changedAt = performance.now(); });
  });
}""" % PICTURE_MUTATION_JS
# Settling: window.__pictures.changedAt is the last time any picture changed (an image shown again counts here).
WATCH_QUIET_JS = """() => {
  if (window.__pictures) return;
  %s
  const state = {changedAt: performance.now()}, none = new Set();
  window.__pictures = state;
  observeAll(records => { if (records.some(r => changesPicture(r, none))) state.changedAt = performance.now(); });
}""" % PICTURE_MUTATION_JS
HAS_PICTURES_JS = """() => (document.querySelector('[data-testid="stMain"]') || document.body).querySelectorAll(
  'img, .js-plotly-plot .main-svg, [data-testid="stVegaLiteChart"] svg, [data-testid="stVegaLiteChart"] canvas, ' +
  '.genlab-map canvas, iframe'
  ).length > 0"""


def settle(page, timeout: float = 120.0, quiet: float = 0.5) -> None:
    """Wait until the page has stopped running (Streamlit's status widget gone) and its pictures have not changed
    for `quiet` seconds: a page that has just been opened may not have started running yet."""
    page.evaluate(WATCH_QUIET_JS)
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        unchanged_ms = page.evaluate("() => performance.now() - window.__pictures.changedAt")
        if not page.locator(RUNNING).count() and unchanged_ms > quiet * 1000:
            return
        time.sleep(0.05)


def timed_change(page, act: Callable, timeout: float = 120.0, images_only: bool = False) -> float:
    """Seconds from `act(page)` until a picture has changed (only an image, with images_only)."""
    page.evaluate(WATCH_CHANGE_JS, images_only)
    started = time.perf_counter()
    act(page)
    page.wait_for_function("() => window.__changedAt !== undefined", timeout=timeout * 1000, polling=15)
    return time.perf_counter() - started


# --- actions -----------------------------------------------------------------------------------------------------

def click_button(label: str):
    return lambda page: page.locator(MAIN).get_by_role("button", name=label, exact=True).first.click()


def slider_step(label: str):
    """Focus the slider labelled `label` and press an arrow key (what a keyboard user does; a drag ends the same way,
    in one value sent to the server): the same way as last time until the thumb stops at an end, then back. (A
    select slider's aria-valuenow is its value, its aria-valuemax an index: comparing them ran the thumb into an end
    with --repeats 5, and the last steps changed nothing.)"""
    state = {"key": "ArrowRight"}

    def act(page):
        thumb = page.locator(f'{MAIN} [data-testid="stSlider"]', has_text=label).first.get_by_role("slider").first
        before = thumb.get_attribute("aria-valuenow")
        thumb.press(state["key"])
        if thumb.get_attribute("aria-valuenow") == before:  # at that end: the other way
            state["key"] = "ArrowLeft" if state["key"] == "ArrowRight" else "ArrowRight"
            thumb.press(state["key"])
    return act


def step_up(label: str):
    def act(page):
        page.locator(f'{MAIN} [data-testid="stNumberInput"]', has_text=label).first \
            .locator('[data-testid="stNumberInputStepUp"]').click()
    return act


def choose(label: str, options: list[str]):
    """Open the selectbox labelled `label` and pick the next of `options` (cycling)."""
    state = {"k": 0}

    def act(page):
        state["k"] = (state["k"] + 1) % len(options)
        page.locator(f'{MAIN} [data-testid="stSelectbox"]', has_text=label).first.click()
        page.get_by_role("option", name=options[state["k"]], exact=True).first.click()
    return act


def radio(options: list[str]):
    state = {"k": 0}

    def act(page):
        state["k"] = (state["k"] + 1) % len(options)
        page.locator(f'{MAIN} [data-testid="stRadio"] label', has_text=options[state["k"]]).first.click()
    return act


def map_dot_clicker():
    """Click another dot of the VAE map each time (found by hovering before the clock starts)."""
    state = {"k": 0}

    def prepare(page):
        state["k"] += 7
        state["at"] = find_on_map(page, "dot", skip=state["k"])[:2]

    def act(page):
        page.mouse.click(*state["at"])
    return prepare, act


MAP_DOT = map_dot_clicker()
INTERACTIONS = [
    Interaction("", "Home: New samples", click_button("New samples")),
    Interaction("", "Home: sample seed +1", step_up("Sample seed")),
    Interaction("gan_studio", "GAN Studio: New samples", click_button("New samples")),
    Interaction("gan_studio", "GAN Studio: truncation slider", slider_step("Truncation")),
    Interaction("gan_studio", "GAN Studio: classes", choose("Classes", ["one row per class", "random classes"])),
    Interaction("gan_studio?gan_tab=Training+history", "GAN Studio: training step", slider_step("Training step")),
    Interaction("gan_studio?gan_tab=CycleGAN", "GAN Studio: CycleGAN other images", click_button("Other images")),
    Interaction("vae_explorer", "VAE Explorer: click a dot", MAP_DOT[1], images_only=True, prepare=MAP_DOT[0]),
    Interaction("vae_explorer", "VAE Explorer: change projection", radio(["UMAP", "PCA"])),
    Interaction("vae_explorer?vae_tab=Impute+%26+anomalies", "VAE Explorer: imputation steps", slider_step("Steps")),
    Interaction("diffusion_theater", "Diffusion Theater: forward t slider", slider_step("Timestep t")),
    Interaction("diffusion_theater", "Diffusion Theater: forward random image", click_button("Random image")),
    Interaction("diffusion_theater?diff_tab=Samplers", "Diffusion Theater: samplers, DDIM steps",
                slider_step("DDIM / ODE steps")),
    Interaction("diffusion_theater?diff_tab=Guidance", "Diffusion Theater: guidance, class", choose("Class", ["3", "4"])),
    Interaction("diffusion_theater?diff_tab=Inpainting", "Diffusion Theater: inpainting, test image +1",
                step_up("Test image")),
    Interaction("diffusion_theater?diff_tab=2-D", "Diffusion Theater: 2-D timestep", slider_step("Timestep t")),
    Interaction("diffusion_theater?diff_tab=Latent+diffusion", "Diffusion Theater: latent diffusion seed +1",
                step_up("Seed")),
    Interaction("diffusion_theater?diff_tab=Reverse", "Diffusion Theater: run DDPM (1000 steps)",
                click_button("Run the reverse process"), explicit_long=True),
    Interaction("gen_vs_disc", "Gen vs Disc: training points", slider_step("Training points")),
    Interaction("gen_vs_disc?gvd_tab=Generation", "Gen vs Disc: generative model",
                choose("Generative model", ["Naive Bayes", "QDA"])),
    Interaction("playground", "Playground: Step", click_button("Step")),
    Interaction("playground", "Playground: look inside", radio(["GAN", "VAE"])),
]

PAGES = [("", "GenLab"), ("gan_studio", "GAN Studio"), ("vae_explorer", "VAE Latent Explorer"),
         ("diffusion_theater", "Diffusion Theater"), ("gen_vs_disc", "Generative vs Discriminative"),
         ("playground", "2-D Playground"), ("likelihood_lab", "Likelihood Lab"), ("embeddings", "Your embeddings"),
         ("train", "Train"), ("evaluate", "Evaluate")]
# When a page's first view is there: it has pictures (most pages); its title (Train and Evaluate: forms and tables);
# a map or, on a server with no embeddings yet, the note that says so (Your embeddings). Then it must settle.
TITLE_JS = "() => document.querySelector('[data-testid=\"stMain\"] h1') !== null"
PICTURES_OR_NOTE_JS = HAS_PICTURES_JS.replace("() =>", "() => document.querySelector('[data-testid=\"stMain\"] " \
                                              "[data-testid=\"stAlert\"]') !== null ||", 1)
FIRST_VIEW_READY = {"train": TITLE_JS, "evaluate": TITLE_JS, "embeddings": PICTURES_OR_NOTE_JS}


def new_page(browser, height: int = 1000):
    page = browser.new_page(viewport={"width": 1400, "height": height})
    page.add_init_script(CANVAS_HOOK_JS)
    return page


def first_load(browser, url: str, ready_js: str = HAS_PICTURES_JS) -> float:
    """A new tab: seconds until its first view is there (`ready_js`: it has pictures) and it has stopped running."""
    page = new_page(browser)
    started = time.perf_counter()
    page.goto(url)
    page.wait_for_function(ready_js, timeout=180_000, polling=20)
    settle(page)
    seconds = time.perf_counter() - started - 0.5  # settle waits 0.5 s of quiet
    page.close()
    return seconds


def summary(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def bare_figures(browser, repeats: int, sidebar: bool) -> tuple[float, float]:
    """A bare Streamlit page's first load and button -> image (with GenLab's sidebar when asked)."""
    import os
    os.environ["BARE_SIDEBAR"] = "1" if sidebar else "0"
    with streamlit_server(str(BARE_PAGE)) as (base, _):
        loads = [first_load(browser, base) for _ in range(repeats)]
        page = new_page(browser)
        page.goto(base)
        page.get_by_role("button", name="New image").wait_for(timeout=60_000)
        settle(page)
        clicks = []
        for _ in range(repeats * 2):
            clicks.append(timed_change(page, click_button("New image")))
            settle(page)
        page.close()
    return statistics.median(loads), statistics.median(clicks)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="times each interaction and load is measured")
    parser.add_argument("--only", default="", help="comma-separated page paths to measure (default: all)")
    args = parser.parse_args(argv)
    only = {p.strip() for p in args.only.split(",") if p.strip()}
    known = {path or "home" for path, _ in PAGES}
    unknown = sorted(only - known)
    if unknown:  # a typo used to measure nothing and print an empty table
        parser.error(f"--only: unknown page(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = chromium(p)
        bare_load, bare_click = bare_figures(browser, args.repeats, sidebar=False)
        side_load, side_click = bare_figures(browser, args.repeats, sidebar=True)
        say(f"bare page: first load {bare_load:.2f} s, button -> image {bare_click:.3f} s")
        say(f"bare page with GenLab's sidebar: first load {side_load:.2f} s, button -> image {side_click:.3f} s")
        target = max(0.4, 1.5 * bare_click)
        with streamlit_server("app.py") as (base, up):
            say(f"GenLab server up (warm-up included) in {up:.1f} s\n")
            say(f"{'first load':<58}{'median':>8}  {'x bare+sidebar':>14}")
            for path, title in PAGES:
                if only and (path or "home") not in only:
                    continue
                loads = [first_load(browser, f"{base}/{path}", FIRST_VIEW_READY.get(path, HAS_PICTURES_JS))
                         for _ in range(args.repeats)]
                median = statistics.median(loads)
                say(f"  {title:<56}{median:>7.2f}s  {median / side_load:>13.1f}x")
            say(f"\n{'interaction (target: median <= %.2f s, p95 <= 1 s)' % target:<58}{'median':>8}{'p95':>8}"
                  f"  {'x bare':>7}")
            page, current = new_page(browser, 1200), None
            for item in INTERACTIONS:
                if only and (item.page.split("?")[0] or "home") not in only:
                    continue
                if item.page != current:
                    page.goto(f"{base}/{item.page}")
                    page.get_by_role("heading").first.wait_for(timeout=180_000)
                    settle(page)
                    current = item.page
                times = []
                try:
                    for _ in range(1 if item.explicit_long else args.repeats):
                        if item.prepare:
                            item.prepare(page)
                        times.append(timed_change(page, item.act, images_only=item.images_only))
                        settle(page)
                except Exception as error:  # a control that moved or a page that changed: say so, go on
                    say(f"  {item.name:<56}  failed: {str(error).splitlines()[0][:60]}")
                    current = None
                    continue
                median, p95 = summary(times)
                flag = "long, asked for" if item.explicit_long else ("" if median <= target and p95 <= 1 else "SLOW")
                say(f"  {item.name:<56}{median:>7.2f}s{p95:>7.2f}s  {median / bare_click:>6.1f}x  {flag}")
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
