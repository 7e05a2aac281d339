"""The bad inputs that reach a page (the rest of the catalogue is tests/unit/test_bad_inputs.py): URL parameters,
text typed into a tab, damaged and sneaky cards, a live model that diverges. One warning or error line each, in
plain text, and the page keeps running."""
from __future__ import annotations

import json

import pytest
import torch

from gen_core import checkpoints
from tests.faults import edit, save_vae
from ui.text import shown


def fresh_app():
    from streamlit.testing.v1 import AppTest

    from tests.apptest import APP, TIMEOUT
    return AppTest.from_file(str(APP), default_timeout=TIMEOUT)


URL = [
    ("seed", "**BOLD** [phish](http://evil/p) ![t](http://evil/track.png)"),
    ("seed", "banana"),
    ("seed", "-4"),
    ("seed", "1e99"),
    ("seed", "99999999999"),
    ("seed", "9" * 5000),  # float() reads it as inf: Streamlit's int() of that was an OverflowError for the page
    ("seed", "inf"),
    ("seed", "nan"),
    ("seed", "<img src=x onerror=alert(1)>"),
    ("seed", "$\\LaTeX$ :red[red] :smile:"),
    ("seed", "# heading\n- list"),
    ("device", "tpu"),
    ("device", "![t](http://evil/track.png)"),
]


@pytest.mark.parametrize("key, value", URL, ids=[f"{k}={v[:30]}" for k, v in URL])
def test_bad_url_parameters_are_plain_text_warnings(key, value):
    from ui.text import plain
    at = fresh_app()
    at.query_params[key] = value
    at.run()
    assert not at.exception
    warnings = [w.value for w in at.warning]
    assert len(warnings) == 1 and f"Ignored {key}={plain(repr(value[:80]))} from the link" in warnings[0]
    for active in ("](", "![", "**", "='<", ":red[", "$\\L", "\n#"):
        assert active not in warnings[0]  # every Markdown character of the visitor's text is escaped
    assert at.sidebar.number_input(key="seed").value == 0


def test_an_unavailable_device_warns_once():
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    at = fresh_app()
    at.query_params["device"] = "cuda"
    at.run()
    assert not at.exception
    assert len([w for w in at.sidebar.warning if "cuda is not available" in w.value]) == 1


TYPED_PREFIXES = ["**Abraham** [x](http://evil/p)", "<img src=x onerror=alert(1)>", "$\\LaTeX$ :red[red]", "\x00\u202e"]


@pytest.mark.parametrize("prefix", TYPED_PREFIXES, ids=["markdown", "html", "latex", "control"])
def test_a_typed_text_prefix_the_model_cannot_read_is_one_plain_line(prefix):
    """The Likelihood Lab's Text tab: characters outside the model's vocabulary are named in one error line, with
    every Markdown character escaped, and the page keeps running."""
    from tests.apptest import open_page, open_tab
    at = open_tab(open_page("app_pages/likelihood_lab/page.py"), "ll_tab", "Text")
    at.text_input(key="ll_text_prefix").set_value(prefix).run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "are not among them" in errors[0]
    for active in ("](", "**", "<img", ":red[", "$\\L"):
        assert active not in errors[0]
    assert not at.text  # nothing was continued


@pytest.mark.parametrize("damage", [("family", ["vae"]), ("dataset", "digits"), ("metrics", "oops"),
                                    ("created", 5)], ids=lambda d: d[0])
def test_a_malformed_card_never_breaks_a_page(damage, home):
    import streamlit as st
    bad = save_vae(checkpoints.user_dir() / "bad")
    card = edit(json.loads((bad / checkpoints.CARD).read_text()), *damage)
    (bad / checkpoints.CARD).write_text(json.dumps(card))
    st.cache_data.clear()
    at = fresh_app().run()
    assert not at.exception
    assert any("bad" in shown(w.value) and damage[0] in shown(w.value) for w in at.warning)
    at.switch_page("app_pages/vae_explorer/page.py").run()
    assert not at.exception and not any("Traceback" in e.value for e in at.error)
    st.cache_data.clear()


def test_a_vae_whose_card_names_a_server_folder_is_refused_on_its_page(home):
    import streamlit as st
    save_vae(checkpoints.user_dir() / "sneaky", dataset={"name": "folder:../../../../usr/share", "kind": "image"})
    st.cache_data.clear()
    at = fresh_app().run()
    at.switch_page("app_pages/vae_explorer/page.py").run()
    at.selectbox(key="vae_model").set_value("sneaky").run()
    assert not at.exception
    assert any("outside the data folders this server reads" in shown(e.value) for e in at.error)
    st.cache_data.clear()


def test_the_playground_page_says_so_and_starts_again(monkeypatch):
    from gen_core.models import flow
    from tests.apptest import markdown_table_shown, open_page
    at = open_page("app_pages/playground/page.py")
    monkeypatch.setattr(flow.Trainer, "step", lambda self, x, y, g=None: {"nll": float("inf")})
    at.button(key="pg_step").click().run()
    assert not at.exception
    assert any("Flow (RealNVP) diverged at step 1" in shown(e.value) and "start again" in e.value for e in at.error)
    assert (markdown_table_shown(at)["step"] == 0).all()  # every model afresh, none drawn from NaN


def test_an_unreachable_redis_is_one_line_and_the_pages_go_on(monkeypatch, genlab_home):
    """GENLAB_REDIS_URL naming a server that is not there: redis's own ConnectionError used to replace the first
    page that read the job queue; now one line says what to do and every page still draws."""
    monkeypatch.setenv("GENLAB_REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens on port 1
    monkeypatch.setenv("GENLAB_WORKER", "external")
    for page in ("app_pages/train.py", "app_pages/home.py", "app_pages/evaluate.py"):
        at = fresh_app()
        at.switch_page(page).run()
        assert not at.exception, (page, [e.value for e in at.exception])
    at = fresh_app()
    at.switch_page("app_pages/train.py").run()
    lines = [e.value for e in at.error]
    assert any("cannot be reached" in line and "GENLAB\\_REDIS\\_URL" in line for line in lines), lines
