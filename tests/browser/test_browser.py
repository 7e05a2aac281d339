"""End to end in a real browser: `streamlit run` on a free port, Debian's Chromium driven by Playwright.

Needs `apt-get install -y chromium chromium-driver` (CI's .ci/run does it) and never `playwright install`.
Skipped on a developer machine without Chromium; fails in CI (CI=true), where it must run.
"""
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.browser.driver import CHROMIUM, CHROMIUM_ARGS, ROOT, find_on_map, free_port, settle


pytestmark = pytest.mark.browser

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        raise RuntimeError(f"{CHROMIUM} is missing in CI: .ci/run must apt-get install chromium")
    pytest.skip(f"{CHROMIUM} not installed (apt-get install -y chromium chromium-driver)", allow_module_level=True)



@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = free_port()
    log = tmp_path_factory.mktemp("server") / "streamlit.log"
    env = {**os.environ, "GENLAB_DEVICE": "cpu"}
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=ROOT, env=env, stdout=open(log, "w"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(base + "/_stcore/health", timeout=1)
                break
            except OSError:
                if process.poll() is not None:
                    raise RuntimeError(f"streamlit exited: {log.read_text()[-2000:]}")
                time.sleep(0.25)
        else:
            raise RuntimeError(f"streamlit did not start: {log.read_text()[-2000:]}")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def test_a_deep_link_on_a_fresh_server_keeps_the_frame(server, browser):
    """The first request this server sees is a deep link: it must run through app.py (sidebar settings,
    navigation), not as a legacy pages/ script."""
    page = browser.new_page(viewport={"width": 1400, "height": 1200})
    page.goto(f"{server}/gan_studio")
    page.get_by_role("heading", name="GAN Studio").wait_for(timeout=90_000)
    page.get_by_text("Global seed").wait_for(timeout=30_000)
    nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
    assert "Home" in nav and "GAN Studio" in nav
    assert page.locator('[data-testid="stException"]').count() == 0


def test_home_page_in_chromium(server, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1400, "height": 2400})
    page.goto(server)
    page.get_by_role("heading", name="Atlas of generative models").wait_for(timeout=60_000)
    page.locator('[data-testid="stImage"] img').first.wait_for(timeout=60_000)
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.title() == "GenLab"
    assert page.get_by_text("Hidden Markov models (HMM)").count() == 1
    # the sample grid really loaded: a decoded image with a real size
    size = page.locator('[data-testid="stImage"] img').first.evaluate("i => [i.complete, i.naturalWidth]")
    assert size[0] and size[1] > 100
    page.screenshot(path=str(tmp_path / "home.png"), full_page=True)


def test_new_samples_button_redraws_in_chromium(server, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 2400})
    page.goto(server)
    image = page.locator('[data-testid="stImage"] img').first
    image.wait_for(timeout=60_000)
    before = image.get_attribute("src")
    page.get_by_role("button", name="New samples").click()
    page.wait_for_function("src => { const i = document.querySelector('[data-testid=\"stImage\"] img');"
                           " return i && i.src !== src; }", arg=before, timeout=30_000)
    assert page.get_by_text("with seed 1").count() == 1


MAP_CANVAS = '.genlab-map canvas'  # a map (the VAE Explorer's, Your embeddings'), drawn by ui/latent_map.js


def test_clicking_the_vae_map_in_chromium(server, browser):
    """A click on a dot shows that test image; a click on empty space decodes the place (the map's pick really
    reaches Python); a drag picks nothing; the wheel zooms and a shift double click resets the view. The map is a canvas: dots and empty space are found by hovering,
    as a visitor finds them (the tooltip names what a click there picks)."""
    page = browser.new_page(viewport={"width": 1400, "height": 1400})
    page.goto(f"{server}/vae_explorer")
    page.locator(MAP_CANVAS).first.wait_for(timeout=90_000)
    settle(page)
    x, y, tip = find_on_map(page, "dot", skip=40)
    index = int(tip.split("test #")[1])
    # The tooltip shows the hovered test image itself, cut from a sprite sheet app.py serves (the Fashion-MNIST VAE
    # is the page's first model: 28x28 images shown 84 px a side).
    display, background, width = page.evaluate("() => { const t = document.querySelector('.genlab-map-thumb'); "
                                               "return [getComputedStyle(t).display, t.style.backgroundImage, "
                                               "t.offsetWidth]; }")
    assert display == "block" and f"genlab/thumbnails/fashion-mnist/{index // 1000}.png" in background
    assert width == 84
    sheet = page.evaluate("async url => { const r = await fetch(url); return [r.status, "
                          "r.headers.get('content-type'), (await r.arrayBuffer()).byteLength]; }",
                          f"{server}/genlab/thumbnails/fashion-mnist/{index // 1000}.png")
    assert sheet[0] == 200 and sheet[1] == "image/png" and sheet[2] > 100_000
    # A plain drag (no shift) neither pans nor picks: its closing click would otherwise land on a point.
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, 8):
        page.mouse.move(x + 10 * step, y + 6 * step)
    page.mouse.up()
    page.wait_for_timeout(3000)
    assert page.get_by_text("Click the map.").count() == 1
    page.mouse.click(x, y)
    page.get_by_text(f"test #{index}, class").wait_for(timeout=60_000)  # the dot the tooltip named, its image shown
    page.get_by_test_id("stMetricLabel").get_by_text("ELBO", exact=True).wait_for(timeout=30_000)  # and its ELBO
    page.mouse.click(*find_on_map(page, "place")[:2])
    page.get_by_test_id("stMetricLabel").get_by_text("Distance to the nearest real point").wait_for(timeout=60_000)
    assert page.get_by_text("the place (").count() == 1
    settle(page)
    # The wheel zooms in around the pointer (the picture changes, the pick does not); shift + double click resets.
    drawn = "() => document.querySelector('.genlab-map canvas').toDataURL()"
    before, caption = page.evaluate(drawn), page.get_by_text("the place (").inner_text()
    page.mouse.move(x, y)
    page.mouse.wheel(0, -300)
    page.wait_for_function(f"before => ({drawn})() !== before", arg=before, timeout=10_000)
    page.keyboard.down("Shift")
    page.mouse.dblclick(x, y)
    page.keyboard.up("Shift")
    page.wait_for_function(f"before => ({drawn})() === before", arg=before, timeout=10_000)
    settle(page)
    assert page.get_by_text("the place (").inner_text() == caption  # neither zoom nor reset picked anything
    assert page.locator('[data-testid="stException"]').count() == 0


def test_a_shared_link_cannot_inject_markdown(server, browser):
    """Text from the URL is shown as typed: no link, no image, and the browser fetches nothing from elsewhere."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{server}/?seed=**BOLD**%20[phish](http://evil.invalid/p)%20![t](http://evil.invalid/track.png)")
    warning = page.locator('[data-testid="stMain"] [data-testid="stAlert"]').filter(has_text="Ignored seed")
    warning.wait_for(timeout=90_000)
    text = warning.inner_text().replace("\u200b", "")  # zero-width spaces keep the URLs from becoming links
    assert "**BOLD** [phish](http://evil.invalid/p) ![t](http://evil.invalid/track.png)" in text
    assert page.locator('a[href*="evil"]').count() == 0 and page.locator('img[src*="evil"]').count() == 0
    assert warning.locator("strong").count() == 0
    from urllib.parse import urlparse
    assert not [url for url in requested if urlparse(url).hostname != "127.0.0.1"]  # nothing fetched elsewhere
    page.screenshot(path=str(ROOT / ".pytest_cache" / "url_injection.png"))


PAGES = ["", "gan_studio", "vae_explorer", "diffusion_theater", "gen_vs_disc", "playground", "likelihood_lab"]


def test_no_page_asks_anything_of_another_server(server, browser):
    """Every request every page makes (scripts, fonts, icons, images, websockets) goes to the GenLab server:
    nothing reaches the network at run time, so GenLab works offline and leaks nothing about its visitors."""
    from urllib.parse import urlparse
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    page.on("websocket", lambda socket: requested.append(socket.url))
    for path in PAGES:
        page.goto(f"{server}/{path}")
        page.locator('[data-testid="stMainBlockContainer"] h1').first.wait_for(timeout=90_000)
        settle(page)
    elsewhere = sorted({url for url in requested if urlparse(url).hostname not in ("127.0.0.1", None)
                        and not url.startswith("data:")})
    assert len(requested) > 50 and not elsewhere, elsewhere


def test_copy_link_copies_a_link_that_restores_the_view(server, browser):
    """Change a tab and a slider, press 'Copy link to this view', open what was copied in a fresh page: the same
    tab and slider value come back."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000},
                                  permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto(f"{server}/diffusion_theater")
    page.get_by_role("slider", name="Timestep t").first.wait_for(timeout=90_000)
    page.get_by_role("tab", name="Forward").click()
    slider = page.get_by_role("slider", name="Timestep t").first
    slider.focus()
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    settle(page)
    assert "diff_fwd_t=255" in page.url
    page.get_by_role("button", name="Copy link to this view").click()
    page.get_by_text("Copied").wait_for(timeout=10_000)
    link = page.evaluate("navigator.clipboard.readText()")
    assert link == page.url and "diff_fwd_t=255" in link
    fresh = context.new_page()
    fresh.goto(link)
    fresh.get_by_text("x_0 and x_255").first.wait_for(timeout=90_000)  # the picture of t = 255, not the default 250
    context.close()


def walk_lesson(server, browser, key: str, width: int = 1280, height: int = 720) -> None:
    """A lesson from its link to its last step in projector mode: each step's panel, its page, no exception; each
    prediction answered and revealed beside the measured value."""
    from ui.lessons import BY_KEY
    from ui.registry import PAGES as REGISTERED
    titles = {p.path: p.title for p in REGISTERED} | {"app_pages/gen_vs_disc/page.py": "Generative vs discriminative"}
    lesson = BY_KEY[key]
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(f"{server}/?projector=true&lesson={key}&step=1")
    panel = page.locator(".st-key-lesson_panel")
    panel.wait_for(timeout=90_000)
    for index, step in enumerate(lesson.steps):
        settle(page)
        assert f"step {index + 1} of {len(lesson.steps)}: {step.title}" in panel.inner_text()
        assert titles[step.page] in page.locator('[data-testid="stMainBlockContainer"] h1').first.inner_text()
        if step.predict is not None:
            assert "Measured" not in panel.inner_text()
            panel.locator("label").filter(has_text=step.predict.choices[0]).first.click()
            settle(page)
            panel.get_by_role("button", name="Reveal").click()
            settle(page)
            assert "Measured" in panel.inner_text() and step.predict.choices[0] in panel.inner_text()
        assert page.locator('[data-testid="stException"]').count() == 0, step.title
        assert f"lesson={key}" in page.url and f"step={index + 1}" in page.url
        if index + 1 < len(lesson.steps):
            panel.get_by_role("button", name="Next").click()
    panel.get_by_role("button", name="End lesson").click()
    settle(page)
    assert page.locator(".st-key-lesson_panel").count() == 0


def test_the_vae_lesson_runs_end_to_end_in_chromium(server, browser):
    walk_lesson(server, browser, "vae")


@pytest.mark.slow
@pytest.mark.parametrize("key", ["gan", "uses", "diffusion", "likelihood", "gvd"])
def test_every_other_lesson_runs_end_to_end_in_chromium(server, browser, key):
    walk_lesson(server, browser, key, 1920, 1080)


def test_a_click_on_the_playground_canvas_adds_a_blob(server, browser):
    """A plain click on the 'draw your own' canvas drops a blob of points (with the lasso as the drag mode, clicks
    selected nothing in Chromium)."""
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.goto(f"{server}/playground?pg_data=draw+your+own")
    count = page.locator('[data-testid="stCaptionContainer"]').filter(has_text="Click to add a blob").first
    count.wait_for(timeout=90_000)
    settle(page)
    assert count.inner_text().startswith("0 points")
    marker = page.evaluate("""() => { const p = document.querySelectorAll(
        '.js-plotly-plot .scatterlayer .trace path.point')[800]; const r = p.getBoundingClientRect();
        return [r.x + r.width / 2, r.y + r.height / 2]; }""")
    page.mouse.move(*marker)
    page.mouse.click(*marker)
    added = page.locator('[data-testid="stCaptionContainer"]').filter(has_text="30 points.")
    added.first.wait_for(timeout=90_000)  # the rerun the click asks for, beside another test process


def test_pause_stops_the_playground_while_it_plays(server, browser):
    """Play trains live; Pause stops it within a frame, and GAN slow motion answers while playing. (The play loop
    runs inside a fragment, which Streamlit lets no click interrupt: app_pages/playground/interrupts.py. Before it, Pause waited for
    'Pause at step'.)"""
    page = browser.new_page(viewport={"width": 1280, "height": 1400})
    page.goto(f"{server}/playground?pg_families=GAN")
    play = page.get_by_role("button", name="Play", exact=True)
    play.wait_for(timeout=90_000)
    settle(page)
    steps = page.locator('[data-testid="stMarkdownContainer"] table tbody tr td').nth(1)  # the GAN row's step
    play.click()
    page.get_by_text(re.compile(r"Playing: [0-9.]+ frames a second")).wait_for(timeout=30_000)
    started = time.monotonic()  # a busy machine may draw "Playing" before the first frame's table
    while int(steps.inner_text().replace(",", "")) == 0 and time.monotonic() - started < 30:
        time.sleep(0.1)
    page.get_by_role("button", name="Pause", exact=True).click()
    play.wait_for(timeout=10_000)
    paused_at = int(steps.inner_text().replace(",", ""))
    assert paused_at > 0
    time.sleep(1.5)
    assert int(steps.inner_text().replace(",", "")) == paused_at  # no training after Pause
    play.click()
    page.get_by_role("button", name="Pause", exact=True).wait_for(timeout=10_000)
    page.locator('[data-testid="stCheckbox"]', has_text="One D step").locator("label").click()
    page.get_by_role("button", name="D step", exact=True).click(timeout=10_000)
    play.wait_for(timeout=10_000)  # a D step pauses playing
    page.get_by_text("the last D step").wait_for(timeout=10_000)
    assert page.locator('[data-testid="stException"]').count() == 0


def shot(page, name: str) -> None:
    """A full-page screenshot into $GENLAB_SHOTS when set (to look at), else nothing."""
    folder = os.environ.get("GENLAB_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def pick_option(page, label: str, option: str) -> None:
    """Choose `option` in the Streamlit selectbox labelled `label`."""
    page.get_by_label(label).first.click()
    page.get_by_role("option", name=option, exact=True).first.click()


def test_own_data_in_chromium(server, browser, tmp_path):
    """Upload a zip of class folders, train a conditional GAN on it in the background, queue and cancel a second
    training, and find the model in GAN Studio's picker."""
    import io as _io
    import zipfile as _zipfile

    import numpy as _np
    from PIL import Image as _Image
    archive = tmp_path / "pets.zip"
    with _zipfile.ZipFile(archive, "w") as z:
        for k, kind in enumerate(("cats", "dogs")):
            for i in range(8):
                buffer = _io.BytesIO()
                pixels = _np.zeros((16, 16), _np.uint8)
                pixels[2 + 6 * k: 8 + 6 * k, 2:14] = 200 + i
                _Image.fromarray(pixels).save(buffer, format="PNG")
                z.writestr(f"pets/{kind}/{i}.png", buffer.getvalue())
    page = browser.new_page(viewport={"width": 1500, "height": 1300})
    unique = f"pets{int(time.time())}"  # the browser tests' GENLAB_HOME outlives a run
    page.goto(f"{server}/train?train_source=Your+uploads&train_family=cgan")
    page.get_by_role("heading", name="Train a model").wait_for(timeout=90_000)
    settle(page)
    if not page.get_by_role("button", name="Unpack").is_visible():  # uploads from an earlier run: it is closed
        page.get_by_text("Upload a zip of class folders").click()
        page.get_by_role("button", name="Unpack").wait_for(timeout=30_000)
    page.locator('input[type="file"]').first.set_input_files(str(archive))
    page.get_by_role("button", name="Unpack").wait_for(timeout=30_000)
    settle(page)
    page.get_by_label("Name for the data set").fill(unique)
    page.get_by_label("Name for the data set").press("Enter")
    settle(page)
    page.get_by_role("button", name="Unpack").click()
    page.get_by_text(f"Unpacked into {unique}").wait_for(timeout=30_000)
    settle(page)
    page.get_by_label("Epochs").fill("2")
    page.get_by_label("Epochs").press("Enter")
    settle(page)
    page.get_by_role("button", name="Train", exact=True).click()
    page.get_by_text(f"cgan on {unique}").first.wait_for(timeout=30_000)
    # a second training waits in the queue; cancel it there
    page.goto(f"{server}/train?train_family=vae&train_source=Bundled")
    page.get_by_role("heading", name="Train a model").wait_for(timeout=90_000)
    settle(page)
    page.get_by_label("Epochs").fill("200")
    page.get_by_label("Epochs").press("Enter")
    settle(page)
    page.get_by_role("button", name="Train", exact=True).click()
    page.get_by_text("vae on digits, 200 epochs").first.wait_for(timeout=30_000)
    shot(page, "train-running")
    queued = page.locator('[class*="st-key-job_"]').filter(has_text="vae on digits, 200 epochs")  # its own box
    queued.get_by_role("button", name="Cancel").click()
    page.get_by_text("cancel").first.wait_for(timeout=30_000)
    page.get_by_text(f"Saved cgan-{unique}").wait_for(timeout=180_000)
    page.get_by_text("cancelled").first.wait_for(timeout=180_000)
    settle(page)
    shot(page, "train-done")
    assert page.locator('[data-testid="stException"]').count() == 0
    page.goto(f"{server}/gan_studio")
    page.get_by_role("heading", name="GAN Studio").wait_for(timeout=90_000)
    settle(page)
    page.get_by_label("Model").first.click()
    page.keyboard.type(f"cgan-{unique}")  # the list is long and drawn only where it scrolls to: filter it
    page.get_by_role("option", name=f"cgan-{unique}", exact=True).wait_for(timeout=30_000)
    assert page.get_by_role("option", name=f"cgan-{unique}", exact=True).count() == 1  # listed by its name


@pytest.mark.slow
def test_evaluate_and_own_embeddings_in_chromium(server, browser, tmp_path):
    """The Evaluate page's table, and your own vectors on the map: upload, click a point, its neighbours."""
    page = browser.new_page(viewport={"width": 1500, "height": 1300})
    page.goto(f"{server}/evaluate")
    page.get_by_role("heading", name="Evaluate models").wait_for(timeout=90_000)
    settle(page)
    page.get_by_role("button", name="Evaluate", exact=True).click()
    page.get_by_text("Results of job").wait_for(timeout=240_000)
    settle(page)
    shot(page, "evaluate")
    import numpy as _np
    rng = _np.random.default_rng(0)
    centres = rng.normal(size=(3, 16)) * 4
    labels = _np.repeat(["red", "green", "blue"], 40)
    vectors = centres[_np.repeat(_np.arange(3), 40)] + rng.normal(size=(120, 16))
    _np.save(tmp_path / "vectors.npy", vectors.astype(_np.float32))
    (tmp_path / "labels.txt").write_text("\n".join(labels) + "\n")
    page.goto(f"{server}/embeddings")
    page.get_by_role("heading", name="Your embeddings").wait_for(timeout=90_000)
    settle(page)
    if not page.get_by_role("button", name="Add", exact=True).is_visible():  # sets from an earlier run: closed
        page.get_by_text("Add embeddings").click()
        page.get_by_role("button", name="Add", exact=True).wait_for(timeout=30_000)
    files = page.locator('input[type="file"]')
    files.nth(0).set_input_files(str(tmp_path / "vectors.npy"))
    files.nth(1).set_input_files(str(tmp_path / "labels.txt"))
    settle(page)
    page.get_by_role("button", name="Add", exact=True).click()
    page.locator(MAP_CANVAS).first.wait_for(timeout=90_000)
    settle(page)
    x, y, tip = find_on_map(page, "dot", skip=5)
    assert tip.split(" · #")[0] in ("red", "green", "blue")  # the point's own label, as the visitor's file gave it
    page.mouse.click(x, y)
    page.get_by_text("of the 10 nearest share its label").wait_for(timeout=60_000)
    assert page.get_by_text("100% of the 10 nearest share its label").count() == 1  # well-separated blobs
    assert "emb_point=" in page.url
    settle(page)
    shot(page, "embeddings")
    assert page.locator('[data-testid="stException"]').count() == 0


def test_likelihood_lab_in_chromium(server, browser):
    """The PixelCNN draws in the browser's player, a typed prefix is continued, and the likelihood table shows
    one exact row among the bounds."""
    page = browser.new_page(viewport={"width": 1400, "height": 2000})
    page.goto(f"{server}/likelihood_lab?ll_tab=PixelCNN")
    page.get_by_role("heading", name="Drawing, pixel by pixel").wait_for(timeout=90_000)
    settle(page)
    player = page.frame_locator('[data-testid="stIFrame"]').first
    player.get_by_text("of 64").first.wait_for(timeout=30_000)
    assert page.locator('[data-testid="stException"]').count() == 0
    page.get_by_role("tab", name="Text").click()
    prefix = page.get_by_label("Prefix").filter(visible=True).first  # the tab switch can leave a stale copy
    prefix.wait_for(timeout=60_000)
    prefix.fill("Abraham went")
    prefix.press("Enter")
    page.locator('[data-testid="stText"]', has_text="Abraham went").first.wait_for(timeout=60_000)
    settle(page)
    shot(page, "likelihood_text")
    page.get_by_role("tab", name="Likelihood table").click()
    page.get_by_text("Samples beside each number").wait_for(timeout=90_000)
    settle(page)
    table = page.locator('[data-testid="stDataFrame"]').first
    table.wait_for(timeout=30_000)
    assert page.locator('[data-testid="stException"]').count() == 0
    shot(page, "likelihood_table")


SIDEWAYS = ("() => Math.max(...['[data-testid=stMain]', '[data-testid=stMainBlockContainer]'].map(s => { "
            "const e = document.querySelector(s); return e ? e.scrollWidth - e.clientWidth : 0; }), "
            "document.documentElement.scrollWidth - window.innerWidth)")


@pytest.mark.parametrize("path", ["gan_studio", "diffusion_theater?diff_tab=Samplers", "likelihood_lab?ll_tab=Likelihood+table"])
def test_no_page_scrolls_sideways_on_a_phone(server, browser, path):
    """At 390 x 844 a page never scrolls sideways: the tab row scrolls inside itself, pictures shrink to the
    column, command lines wrap, wide tables scroll in their own box (all 37 tabs were checked once by hand this
    way; these three have the widest rows: a grid of 80 samples, a sampler table, the likelihood table)."""
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(f"{server}/{path}")
    page.locator('[data-testid="stMainBlockContainer"] h1').first.wait_for(timeout=90_000)
    settle(page)
    assert page.evaluate(SIDEWAYS) <= 0
    page.close()


# --- exports and themes ------------------------------------------------------------------------------------------

def downloaded(page, click) -> bytes:
    """The bytes of the file a click makes the browser download."""
    with page.expect_download(timeout=60_000) as info:
        click()
    return Path(info.value.path()).read_bytes()


def background_brightness(page) -> int:
    rgb = page.evaluate("getComputedStyle(document.querySelector('[data-testid=stApp]')).backgroundColor")
    return sum(int(v) for v in re.findall(r"\d+", rgb)[:3])


@pytest.mark.parametrize("scheme", ["dark", pytest.param("light", marks=pytest.mark.slow)])
def test_samples_charts_and_tables_download_in_either_theme(server, browser, scheme):
    """No theme is forced: the browser's light or dark scheme is the page's. In it, a sample grid downloads as the
    PNG shown and as .npy samples, a Plotly chart and a Vega-Lite chart as PNG pictures (in the browser, offline),
    and the likelihood table as CSV."""
    import io as _io

    import numpy as _np
    context = browser.new_context(color_scheme=scheme, viewport={"width": 1400, "height": 2400},
                                  accept_downloads=True)
    page = context.new_page()
    page.goto(f"{server}/gan_studio")
    page.get_by_role("heading", name="GAN Studio").wait_for(timeout=90_000)
    settle(page)
    brightness = background_brightness(page)
    assert brightness < 200 if scheme == "dark" else brightness > 600
    png = downloaded(page, lambda: page.locator(".st-key-png_gan_samples button:visible").click())
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    samples = _np.load(_io.BytesIO(downloaded(page, lambda: page.locator(".st-key-npy_gan_samples button:visible").click())))
    assert samples.shape == (80, 1, 28, 28) and samples.dtype == _np.float32
    assert 0.0 <= samples.min() and samples.max() <= 1.0 and samples.std() > 0.05
    shot(page, f"gan_studio_{scheme}")

    page.goto(f"{server}/gan_studio?gan_tab=Truncation+trade-off")
    page.locator(".stPlotlyChart").first.wait_for(timeout=90_000)
    settle(page)
    page.locator(".stPlotlyChart").first.hover()
    chart = downloaded(page, lambda: page.locator('.modebar-btn[data-title="Download plot as a PNG"]').first.click())
    assert chart[:8] == b"\x89PNG\r\n\x1a\n"

    page.goto(f"{server}/likelihood_lab?ll_tab=HMM")
    page.locator('[data-testid="stVegaLiteChart"]').first.wait_for(timeout=90_000)
    settle(page)
    vega = downloaded(page, lambda: page.locator(".genlab-chart-png").first.click())
    assert vega[:8] == b"\x89PNG\r\n\x1a\n" and len(vega) > 2000
    shot(page, f"likelihood_hmm_{scheme}")

    page.goto(f"{server}/likelihood_lab?ll_tab=Likelihood+table")
    page.get_by_text("Samples beside each number").wait_for(timeout=90_000)
    settle(page)
    table = downloaded(page, lambda: page.locator(".st-key-csv_ll_table button:visible").click()).decode()
    assert table.splitlines()[0].startswith("model,kind,nats per image,bits per pixel")
    assert len(table.splitlines()) >= 5
    assert page.locator('[data-testid="stException"]').count() == 0
    context.close()


def test_a_model_downloads_as_a_zip_and_imports_back(server, browser, tmp_path):
    """The Train page hands out any model as a zip (and its history.csv); the same zip, uploaded under a new name,
    joins the model lists after every check an upload gets."""
    import zipfile as _zipfile
    import uuid as _uuid
    context = browser.new_context(viewport={"width": 1400, "height": 2400}, accept_downloads=True)
    page = context.new_page()
    page.goto(f"{server}/train?train_export_pick=vae-digits")
    page.get_by_role("heading", name="Download or import a model").wait_for(timeout=90_000)
    settle(page)
    archive = tmp_path / "vae-digits.zip"
    archive.write_bytes(downloaded(page, lambda: page.locator(".st-key-zip_train_export button:visible").click()))
    names = set(_zipfile.ZipFile(archive).namelist())
    assert {"vae-digits/card.json", "vae-digits/weights.safetensors", "vae-digits/README.md"} <= names
    history = downloaded(page, lambda: page.locator(".st-key-hist_train_export button:visible").click()).decode()
    assert history.startswith("step,") and len(history.splitlines()) > 10
    new_name = f"imported-{_uuid.uuid4().hex[:6]}"
    page.get_by_text("Import a model (.zip downloaded from GenLab)").click()
    page.locator('input[type="file"]').last.set_input_files(str(archive))
    page.get_by_label("Name for it").fill(new_name)
    page.get_by_label("Name for it").press("Enter")
    settle(page)
    page.get_by_role("button", name="Import", exact=True).click()
    page.get_by_text(f"Imported {new_name}").wait_for(timeout=60_000)
    page.goto(f"{server}/vae_explorer")
    page.get_by_role("heading", name="VAE Latent Explorer").wait_for(timeout=90_000)
    settle(page)
    page.locator('[data-testid="stMain"] [data-testid="stSelectbox"]').first.click()
    page.keyboard.type(new_name)  # the list draws only the options in view: a home with many models hid this one
    page.get_by_role("option", name=re.compile(new_name)).first.wait_for(timeout=30_000)
    context.close()


@pytest.mark.parametrize("path, box, term, said", [
    ("diffusion_theater?diff_tab=Diagram", "x_t", "eps_hat", "the noised image"),
    pytest.param("gan_studio?gan_tab=Diagram", "d_fake", "L_D", "probability that the generated", marks=pytest.mark.slow),
    pytest.param("vae_explorer?vae_tab=Diagram", "kl", "mu", "prior", marks=pytest.mark.slow),
])
def test_a_diagram_names_its_boxes_and_lights_their_terms_in_chromium(server, browser, path, box, term, said):
    """The browser draws the family's diagram in the page; hovering a box names it and lights its equation terms,
    hovering a term lights its box; projector mode draws it larger."""
    page = browser.new_page(viewport={"width": 1400, "height": 1600})
    page.goto(f"{server}/{path}")
    page.locator("g.box").first.wait_for(timeout=90_000)
    settle(page)
    assert page.locator("g.box").count() >= 7 and page.locator("g.box image").count() >= 2
    page.locator(f'g.box[data-box="{box}"]').hover()
    assert page.locator(f'.term.on[data-term="{box}"]').count() >= 1
    assert said in page.locator(".genlab-diagram-box .info").inner_text()
    page.locator(f'.term[data-term="{term}"]').first.hover()
    assert page.locator(f'g.box.on[data-box="{term}"]').count() == 1
    shot(page, f"diagram_{path.split('?')[0]}")
    normal = page.evaluate("parseFloat(document.querySelector('svg.genlab-diagram').style.fontSize)")
    page.goto(f"{server}/{path}&projector=true")
    page.locator("g.box").first.wait_for(timeout=90_000)
    settle(page)
    assert page.evaluate("parseFloat(document.querySelector('svg.genlab-diagram').style.fontSize)") > 1.25 * normal
    assert page.locator('[data-testid="stException"]').count() == 0
    page.close()
