"""GAN Studio through AppTest, on the shipped GAN checkpoints: every control changes what is shown."""
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parent.parent / "app.py"


@pytest.fixture
def studio():
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    at.switch_page("app_pages/gan_studio.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def images(at, prefix):
    """(url, caption) of every image whose caption starts with `prefix`, in page order."""
    return [(im.url, im.caption) for element in at.get("image") for im in element.proto.imgs
            if im.caption.startswith(prefix)]


def urls(at):
    """The sample gallery's image URLs."""
    return [u for u, _ in images(at, "#")]


def captions(at):
    return [c for _, c in images(at, "#")]


def pick_model(at, name):
    at.selectbox(key="gan_model").set_value(name).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_shipped_models_are_offered(studio):
    options = studio.selectbox(key="gan_model").options
    for name in ("gan-digits", "gan-digits-collapsed", "dcgan-digits", "cgan-digits", "dcgan-shapes", "cgan-shapes"):
        assert name in options


def test_seed_new_samples_and_grid_size_change_the_grid(studio):
    pick_model(studio, "dcgan-digits")
    first = urls(studio)
    assert len(first) == 32
    studio.number_input(key="gan_seed").set_value(11).run()
    second = urls(studio)
    assert second != first
    studio.button[0].click().run()
    assert studio.number_input(key="gan_seed").value == 12 and urls(studio) != second
    studio.select_slider(key="gan_count").set_value(16).run()
    assert len(urls(studio)) == 16


def test_truncation_trades_diversity(studio):
    pick_model(studio, "dcgan-digits")
    before = urls(studio)
    studio.slider(key="gan_truncation").set_value(0.0).run()
    assert urls(studio) != before
    spread = [c.value for c in studio.caption if "pixel spread" in c.value][0]
    assert "pixel spread across the grid 0.000" in spread  # psi = 0: every sample is the same image


def test_conditional_model_draws_one_row_per_class_or_a_chosen_class(studio):
    pick_model(studio, "cgan-digits")
    rows = captions(studio)
    assert len(rows) == 40 and rows[0].endswith("(0)") and rows[-1].endswith("(9)")
    studio.selectbox(key="gan_classes").set_value("7").run()
    assert all(c.endswith("(7)") for c in captions(studio))


def test_discriminator_scores_and_nearest_neighbours_are_shown(studio):
    pick_model(studio, "dcgan-digits")
    assert all(" D=" in c for c in captions(studio))
    assert len(images(studio, "sample #0")) == 1 and len(images(studio, "train #")) == 4
    assert all("distance" in c for _, c in images(studio, "train #"))
    studio.number_input(key="gan_inspect").set_value(3).run()
    assert len(images(studio, "sample #3")) == 1


def test_interpolation_strip_follows_its_controls(studio):
    pick_model(studio, "cgan-digits")
    strip = [e for e in studio.get("image") if "path from" in e.proto.imgs[0].caption][0]
    assert "class 0 -> 1" in strip.proto.imgs[0].caption  # rows of 4 per class: #0 is a 0, #5 a 1
    studio.radio(key="gan_path").set_value("spherical").run()
    studio.number_input(key="gan_to").set_value(39).run()
    strip = [e for e in studio.get("image") if "path from" in e.proto.imgs[0].caption][0]
    assert "spherical path from #0 to #39" in strip.proto.imgs[0].caption and "0 -> 9" in strip.proto.imgs[0].caption


def test_training_history_snapshot_slider_and_value_function(studio):
    pick_model(studio, "dcgan-digits")
    snap = [e for e in studio.get("image") if "noise vectors decoded at step" in e.proto.imgs[0].caption][0]
    first = snap.proto.imgs[0].url
    slider = studio.select_slider(key="gan_snapshot")
    slider.set_value(slider.options[1]).run()
    snap = [e for e in studio.get("image") if "noise vectors decoded at step" in e.proto.imgs[0].caption][0]
    assert snap.proto.imgs[0].url != first
    assert any("V(D,G)" in x.value for x in studio.get("latex"))


def test_collapsed_model_covers_fewer_classes(studio):
    covered = {m.label: m.value for m in studio.metric}
    values = [m.value for m in studio.metric if m.label == "Classes covered"]
    assert len(values) == 2 and covered
    healthy, collapsed = (int(v.split("/")[0]) for v in values)
    assert studio.selectbox(key="gan_left").value == "gan-digits"
    assert studio.selectbox(key="gan_right").value == "gan-digits-collapsed"
    assert collapsed < healthy


def test_switching_between_conditional_models_resets_class_choice(studio):
    pick_model(studio, "cgan-digits")
    studio.selectbox(key="gan_classes").set_value("7").run()
    pick_model(studio, "cgan-shapes")
    assert studio.selectbox(key="gan_classes").value == "one row per class"
    assert captions(studio)[0].endswith("(disc)")
