"""The 2-D Playground page through AppTest: it loads with every family, Step trains them, settings and presets
rebuild the GAN, the data choice changes what is measured, drawing your own points works."""
import numpy as np
import pytest

from tests.apptest import captions, markdown_table_shown as table, open_page

PAGE = "app_pages/playground/page.py"


@pytest.fixture(scope="module")
def page():
    return open_page(PAGE)


def test_page_loads_with_every_family_at_step_zero(page):
    frame = table(page)
    assert list(frame.index) == ["GAN", "VAE", "Diffusion", "Flow (RealNVP)", "Energy (Langevin)"]
    assert (frame["step"] == 0).all()
    assert set(frame["modes covered"].str.split("/").str[1]) == {"8"}  # ring8 by default
    assert page.radio(key="pg_inside").options == ["GAN", "VAE", "Diffusion", "Flow (RealNVP)", "Energy (Langevin)"]
    assert page.button(key="pg_play").label == "Play"


def test_step_trains_every_model_once_and_moves_the_samples():
    at = open_page(PAGE)
    before = at.session_state["pg_live"]["gan"]["model"].view_samples()
    at.button(key="pg_step").click().run()
    assert not at.exception
    assert (table(at)["step"] == 1).all()
    assert not np.array_equal(before, at.session_state["pg_live"]["gan"]["model"].view_samples())
    at.button(key="pg_step").click().run()
    assert (table(at)["step"] == 2).all()
    at.button(key="pg_reset").click().run()
    assert (table(at)["step"] == 0).all()


def test_play_trains_live_until_the_pause_step():
    at = open_page(PAGE)
    at.pills(key="pg_families").set_value(["gan", "flow"]).run()
    at.number_input(key="pg_stop_at").set_value(30).run()
    at.segmented_control(key="pg_speed").set_value(10).run()
    at.button(key="pg_play").click().run()  # plays 10 steps a frame and pauses itself at step 30
    assert not at.exception, [e.value for e in at.exception]
    assert (table(at)["step"] == 30).all() and not at.session_state["pg_playing"]
    assert at.session_state["pg_live"]["gan"]["model"].metric_history["step"][-1] == 30  # measured where it stopped


def test_max_speed_fills_each_frame_and_stops_exactly_at_the_pause_step():
    at = open_page(PAGE)
    at.pills(key="pg_families").set_value(["gan"]).run()
    assert at.segmented_control(key="pg_speed").value == "max"
    at.number_input(key="pg_stop_at").set_value(337).run()
    at.button(key="pg_play").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert (table(at)["step"] == 337).all() and not at.session_state["pg_playing"]


def test_preset_writes_the_gan_settings_and_rebuilds_the_gan():
    at = open_page(PAGE)
    at.button(key="pg_step").click().run()
    at.selectbox(key="pg_gan_preset").set_value("GAN: packed + annealed (fix)").run()
    assert not at.exception
    assert at.select_slider(key="pg_pack").value == 4 and at.number_input(key="pg_anneal").value == 20000
    gan = at.session_state["pg_live"]["gan"]["model"]
    assert gan.config.pack == 4 and gan.steps == 0               # rebuilt with the new settings
    assert at.session_state["pg_live"]["vae"]["model"].steps == 1  # the others keep training
    at.selectbox(key="pg_loss").set_value("wgan-gp").run()
    assert at.session_state["pg_live"]["gan"]["model"].config.loss == "wgan-gp"


def test_compared_presets_train_beside_the_gan_with_their_own_rows():
    at = open_page(PAGE)
    at.pills(key="pg_families").set_value(["gan"]).run()
    at.multiselect(key="pg_gan_compare").set_value(["GAN: overtrained G (collapses)", "GAN: annealed (fix)"]).run()
    assert not at.exception, [e.value for e in at.exception]
    assert list(table(at).index) == ["GAN", "GAN: overtrained G (collapses)", "GAN: annealed (fix)"]
    collapse = at.session_state["pg_live"]["GAN: overtrained G (collapses)"]["model"]
    assert collapse.config.g_steps == 5 and collapse.config.lr_d == 1e-4  # the preset as it is, not the widgets
    at.button(key="pg_step").click().run()
    assert (table(at)["step"] == 1).all()
    at.radio(key="pg_inside").set_value("GAN: annealed (fix)").run()
    assert not at.exception
    assert any(c.value.startswith("GAN: annealed (fix) settings:") and "anneal_steps=20000" in c.value
               for c in at.caption)
    at.multiselect(key="pg_gan_compare").set_value(["GAN: annealed (fix)"]).run()
    assert list(table(at).index) == ["GAN", "GAN: annealed (fix)"]
    assert (table(at)["step"] == 1).all()  # the remaining models keep their training


@pytest.mark.parametrize("family, label", [("gan", "GAN"), ("vae", "VAE"), ("ddpm", "Diffusion"),
                                           ("flow", "Flow"), ("ebm", "Energy")])
def test_each_look_inside_view_draws(page, family, label):
    page.radio(key="pg_inside").set_value(family).run()
    assert not page.exception, [e.value for e in page.exception]
    assert any(c.value.startswith(label) and "settings:" in c.value for c in page.caption)
    if family == "ddpm":
        page.slider(key="pg_diff_t").set_value(150).run()
        assert not page.exception


def test_grid25_measures_25_modes_and_moons_has_no_mode_columns():
    at = open_page(PAGE)
    at.pills(key="pg_families").set_value(["gan", "flow"]).run()
    at.selectbox(key="pg_data").set_value("grid25").run()
    assert list(table(at)["modes covered"].str.split("/").str[1]) == ["25", "25"]
    at.selectbox(key="pg_data").set_value("moons").run()
    assert "modes covered" not in table(at).columns and "precision" in table(at).columns


def test_drawing_your_own_points():
    at = open_page(PAGE)
    at.pills(key="pg_families").set_value(["flow"]).run()
    at.selectbox(key="pg_data").set_value("draw your own").run()
    assert not at.exception
    assert any("at least 20 points" in i.value for i in at.info)  # an empty canvas asks for points
    at.button(key="pg_seed_moons").click().run()
    assert not at.exception
    assert table(at).index.tolist() == ["Flow (RealNVP)"]
    assert len(at.session_state["pg_drawn"]) == 400
    at.button(key="pg_clear").click().run()
    assert len(at.session_state["pg_drawn"]) == 0 and at.info


def test_gan_slow_motion_shows_a_d_step_then_a_g_step():
    at = open_page(PAGE)
    at.toggle(key="pg_slow").set_value(True).run()
    assert any("Press **D step**" in i.value for i in at.info)
    at.button(key="pg_slow_d").click().run()
    assert not at.exception
    last = at.session_state["pg_slow_last"]
    assert last["network"] == "D" and (last["after"]["d"] != last["before"]["d"]).any()
    assert (last["after"]["samples"] == last["before"]["samples"]).all()  # a D step leaves G alone
    assert any(c.startswith("the last D step: loss_d = ") for c in captions(at))
    at.button(key="pg_slow_g").click().run()
    last = at.session_state["pg_slow_last"]
    assert last["network"] == "G" and (last["after"]["d"] == last["before"]["d"]).all()  # and a G step, D
    assert (last["after"]["samples"] != last["before"]["samples"]).any()
    assert at.session_state["pg_live"]["gan"]["model"].half_steps == {"D": 1, "G": 1}
    assert (table(at)["step"] == 0).all()  # half steps are not training iterations


def test_paused_views_are_pictures_unless_interactive_charts_are_on():
    at = open_page(PAGE)
    assert not at.get("plotly_chart")  # pictures: Step and Look inside answer at once
    at.toggle(key="pg_interactive").set_value(True).run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == 3  # samples, curves, the look-inside view, to hover and zoom
