"""Every registered page through Streamlit's AppTest: renders without an exception, and controls change it."""
import pytest
from streamlit.testing.v1 import AppTest

from gen_core.device import pick_device
from tests.apptest import APP, TIMEOUT
from ui.registry import PAGES
from ui.text import shown


def fresh():
    return AppTest.from_file(str(APP), default_timeout=TIMEOUT)


def image_urls(at):
    return [im.proto.imgs[0].url for im in at.get("image")]


@pytest.mark.parametrize("page", [p.path for p in PAGES])
def test_every_page_renders_without_exception(page):
    at = fresh().run()
    if page != next(p.path for p in PAGES if p.default):
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.sidebar.selectbox(key="device").value == "auto"


def test_home_shows_status_atlas_and_samples():
    at = fresh().run()
    assert at.title[0].value == "GenLab"
    metrics = {m.label: m.value for m in at.metric}
    # the sidebar's "auto": GENLAB_DEVICE (the tests default it to cpu; tests/gpu/gpu_check.sh sets cuda)
    assert metrics["Device"] == str(pick_device("auto")) and int(metrics["Shipped checkpoints"]) >= 1
    text = " ".join(m.value for m in at.markdown)
    for family in ("Autoregressive", "Variational autoencoders", "Generative adversarial", "Normalizing flows",
                   "Energy-based", "Diffusion", "Hidden Markov"):
        assert family in text
    assert "Missing data" in text  # the generative vs discriminative table
    assert len(image_urls(at)) == 1


def test_sample_seed_and_new_samples_button_change_the_grid():
    at = fresh().run()
    first = image_urls(at)
    at.number_input(key="home_demo_seed").set_value(5).run()
    second = image_urls(at)
    assert second != first
    next(b for b in at.button if b.label == "New samples").click().run()
    assert not at.exception
    assert at.number_input(key="home_demo_seed").value == 6
    assert image_urls(at) not in (first, second)


def test_global_seed_and_device_come_from_the_url():
    at = fresh()
    at.query_params["seed"] = "42"
    at.query_params["device"] = "cpu"
    at.run()
    assert at.sidebar.number_input(key="seed").value == 42
    assert at.sidebar.selectbox(key="device").value == "cpu"
    assert at.number_input(key="home_demo_seed").value == 42


@pytest.mark.parametrize("params, message", [({"seed": "banana"}, "seed='banana'"),
                                             ({"seed": "-4"}, "seed='-4'"),
                                             ({"device": "tpu"}, "device='tpu'")])
def test_bad_url_parameters_warn_and_keep_running(params, message):
    at = fresh()
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception
    assert any(message in shown(w.value) for w in at.warning)
    assert at.sidebar.number_input(key="seed").value == 0


def test_a_damaged_checkpoint_is_reported_in_the_page(genlab_home):
    import streamlit as st

    from gen_core import checkpoints
    broken = checkpoints.user_dir() / "half-written"
    broken.mkdir(parents=True)
    (broken / checkpoints.CARD).write_text('{"format_version": 1, "family": "vae"')  # truncated JSON
    st.cache_data.clear()
    at = fresh().run()
    assert not at.exception
    assert any("half-written" in shown(w.value) and "not readable JSON" in shown(w.value) for w in at.warning)
    assert (broken / checkpoints.CARD).read_text().endswith('"vae"')  # reported, not touched
    st.cache_data.clear()


def test_the_atlas_links_each_family_that_has_a_page():
    at = fresh().run()
    links = {link.proto.page: link.proto.label for link in at.get("page_link")}
    comparison = [page for page in links if "gen_vs_disc" in page]
    assert len(comparison) == 1  # the comparison table leads to its page
    assert sorted(label for page, label in links.items() if page not in comparison) == \
        ["2-D Playground", "Diffusion Theater", "GAN Studio", "Likelihood Lab", "VAE Latent Explorer"]  # flows, EBMs: Playground
