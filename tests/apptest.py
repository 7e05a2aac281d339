"""Opening GenLab pages in Streamlit's AppTest, the way every page test does."""
from pathlib import Path

from streamlit.testing.v1 import AppTest

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
