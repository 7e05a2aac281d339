"""Opening GenLab pages in Streamlit's AppTest, the way every page test does."""
from pathlib import Path

import pandas as pd
from streamlit.testing.v1 import AppTest

from ui.text import shown

APP = Path(__file__).resolve().parent.parent / "frame.py"
TIMEOUT = 90


def open_app() -> AppTest:
    """The app's default page, run once."""
    return AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()


def open_page(path: str) -> AppTest:
    """A registered page (path relative to app.py), rendered without an exception."""
    at = open_app()
    at.switch_page(path).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def captions(at) -> list[str]:
    """The caption of every image on the page, in order."""
    return [im.caption for element in at.get("image") for im in element.proto.imgs]


def open_tab(at, key: str, label: str):
    """Select a stateful tab (st.tabs bound to the query parameter `key`) and rerun, as a click on it would."""
    at.query_params[key] = label
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def markdown_table_shown(at, first_header: str = "model") -> pd.DataFrame:
    """The Markdown table (ui.text.markdown_table) whose first header is `first_header`, as the page shows it, read
    back into a DataFrame indexed by that column, numbers as numbers (the 2-D Playground's metrics)."""
    text = next(m.value for m in at.markdown if m.value.startswith(f"| {first_header} |"))
    rows = [[shown(cell.strip()) for cell in line.strip().strip("|").split(" | ")]
            for line in text.splitlines() if not line.startswith("|---")]
    frame = pd.DataFrame(rows[1:], columns=rows[0]).set_index(first_header)
    for column in frame.columns:
        numbers = pd.to_numeric(frame[column], errors="coerce")
        if numbers.notna().all():
            frame[column] = numbers
    return frame


def fresh_session_on(path: str) -> AppTest:
    """A new session whose first run opens the registered page `path` (relative to app.py), as a browser opening a
    link to it does: set query parameters, then `.run()`. AppTest's own switch_page matches a page by its file name
    until a first run registers the pages, and a page with tabs is app_pages/NAME/page.py, so this sets the hash
    st.navigation gives the page's URL path instead (streamlit.testing's own calc_hash)."""
    from streamlit.testing.v1 import app_test

    from ui.registry import PAGES
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at._page_hash = app_test.calc_hash(next(p.url_path for p in PAGES if p.path == path))
    return at
