"""End to end in a real browser: `streamlit run` on a free port, Debian's Chromium driven by Playwright.

Needs `apt-get install -y chromium chromium-driver` (CI's .ci/run does it) and never `playwright install`.
Skipped on a developer machine without Chromium; fails in CI (CI=true), where it must run.
"""
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.browser

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        raise RuntimeError(f"{CHROMIUM} is missing in CI: .ci/run must apt-get install chromium")
    pytest.skip(f"{CHROMIUM} not installed (apt-get install -y chromium chromium-driver)", allow_module_level=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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


MAP_MARKS = '[data-testid="stVegaLiteChart"] g.mark-symbol.role-mark path'


def centres_of_map_marks(page, grid: bool) -> list[tuple[float, float]]:
    """Screen centres of the map's dots (grid=False) or of the invisible grid of places behind them (grid=True)."""
    return page.evaluate("""([selector, grid]) => [...document.querySelectorAll(selector)]
        .filter(p => (p.getAttribute('fill') === 'transparent') === grid)
        .map(p => { const r = p.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })""",
                         [MAP_MARKS, grid])


def test_clicking_the_vae_map_in_chromium(server, browser):
    """A click on a dot shows that test image; a click on empty space decodes the place (the Vega-Lite selection
    really reaches Python); a drag picks nothing."""
    page = browser.new_page(viewport={"width": 1400, "height": 1400})
    page.goto(f"{server}/vae_explorer")
    page.locator(MAP_MARKS).first.wait_for(timeout=90_000)
    dots = centres_of_map_marks(page, grid=False)
    assert len(dots) == 360  # the digits test set
    x, y = dots[len(dots) // 2]
    # A plain drag (no shift) neither pans nor picks: its closing click would otherwise land on a point.
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, 8):
        page.mouse.move(x + 10 * step, y + 6 * step)
    page.mouse.up()
    page.wait_for_timeout(3000)
    assert page.get_by_text("Click the map.").count() == 1
    page.mouse.click(x, y)
    page.get_by_text("reconstruction").first.wait_for(timeout=60_000)
    assert page.get_by_text("test #").count() >= 1
    places = centres_of_map_marks(page, grid=True)
    # A grid point, clicked at its centre, is the nearest point to the click: "empty space" even near dots.
    page.mouse.click(*max(places, key=lambda p: (p[0] - x) ** 2 + (p[1] - y) ** 2))
    page.get_by_text("Distance to the nearest real point").wait_for(timeout=60_000)
    assert page.get_by_text("the place (").count() == 1
    assert page.locator('[data-testid="stException"]').count() == 0


def test_a_shared_link_cannot_inject_markdown(server, browser):
    """Text from the URL is shown as typed: no link, no image, and the browser fetches nothing from elsewhere."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{server}/?seed=**BOLD**%20[phish](http://evil.invalid/p)%20![t](http://evil.invalid/track.png)")
    warning = page.locator('[data-testid="stSidebar"] [data-testid="stAlert"]')
    warning.wait_for(timeout=90_000)
    text = warning.inner_text().replace("\u200b", "")  # zero-width spaces keep the URLs from becoming links
    assert "**BOLD** [phish](http://evil.invalid/p) ![t](http://evil.invalid/track.png)" in text
    assert page.locator('a[href*="evil"]').count() == 0 and page.locator('img[src*="evil"]').count() == 0
    assert warning.locator("strong").count() == 0
    from urllib.parse import urlparse
    assert not [url for url in requested if urlparse(url).hostname != "127.0.0.1"]  # nothing fetched elsewhere
    page.screenshot(path=str(ROOT / ".pytest_cache" / "url_injection.png"))
