"""VAE Latent Explorer through AppTest, with map clicks injected as the browser sends them (the map component's
state value `pick`, ui/latent_map.js)."""
import json

import pytest

from tests.apptest import captions, open_page, open_tab
from ui.latent_map import PLACE


def maps(at) -> list:
    """The map components on the page, with their data (what ui/latent_map.js draws)."""
    return [(m, json.loads(m.proto.json)) for m in at.get("bidi_component") if m.proto.component_name == "genlab.latent_map"]


def click_map(at, index: int, x: float = 0.0, y: float = 0.0):
    """Send what Chromium sends when the map is clicked: the component's state with the pick (a test index, or
    PLACE for empty space, with its x and y)."""
    chart = [m for m, _ in maps(at) if "vae_map_" in m.proto.id][0]
    states = at._tree.get_widget_states()
    state = states.widgets.add()
    state.id = chart.proto.id
    state.json_value = json.dumps({"pick": {"index": index, "x": x, "y": y}})
    at._run(states)
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.fixture
def explorer():
    return open_page("app_pages/vae_explorer/page.py")


def use(at, model):
    at.selectbox(key="vae_model").set_value(model).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_shipped_map_shows_without_waiting(explorer):
    use(explorer, "vae-digits")
    assert not explorer.info  # no "computing in the background" message: the map was shipped
    map_caption = [c.value for c in explorer.caption if "test images · map from" in c.value][0]
    assert "map from shipped" in map_caption


def test_clicking_a_dot_shows_image_reconstruction_and_elbo_terms(explorer):
    use(explorer, "vae-digits")
    click_map(explorer, 42)
    assert any(c.startswith("test #42, class") for c in captions(explorer))
    metrics = {m.label: float(m.value) for m in explorer.metric if m.label in ("ELBO", "−log p(x|z)", "KL")}
    assert metrics["ELBO"] == pytest.approx(-(metrics["−log p(x|z)"] + metrics["KL"]), abs=0.11)


def test_clicking_empty_space_of_the_2d_latent_decodes_exactly_there(explorer):
    use(explorer, "vae-digits-z2")
    assert explorer.radio(key="vae_method_vae-digits-z2").value == "latent"
    click_map(explorer, PLACE, 1.5, -0.5)
    assert any(c == "the place (1.50, -0.50) on the map" for c in captions(explorer))
    assert any("Exact" in m.value for m in explorer.markdown)
    assert any(m.label == "Distance to the nearest real point" for m in explorer.metric)


def test_clicking_empty_space_of_a_projection_says_it_is_approximate(explorer):
    use(explorer, "vae-digits")
    explorer.radio(key="vae_method_vae-digits").set_value("pca").run()
    click_map(explorer, PLACE, 9.0, 9.0)
    assert any("Approximate" in m.value for m in explorer.markdown)
    distance = [float(m.value) for m in explorer.metric if m.label == "Distance to the nearest real point"][0]
    assert distance > 1


def test_two_clicks_become_the_walk(explorer):
    use(explorer, "vae-digits-z2")
    click_map(explorer, 5)
    click_map(explorer, 77)
    assert explorer.session_state["vae_picks"] == [5, 77]
    open_tab(explorer, "vae_tab", "Walk")
    assert explorer.toggle(key="vae_use_picks").value is True
    walk = [c for c in captions(explorer) if "path from A to B" in c]
    assert walk == ["linear path from A to B in the 2-d latent space"]
    explorer.radio(key="vae_path").set_value("spherical").run()
    assert any("spherical path from A to B" in c for c in captions(explorer))
    from tests.pages.test_diffusion_theater import player_data  # the walk plays in the browser, one frame per step
    frames, steps = player_data(explorer.get("iframe")[0].proto.srcdoc)
    assert len(frames) == explorer.slider(key="vae_frames").value and steps[0] == "step 0 of 9 from A to B"


def test_traversal_and_sliders_change_the_decoding(explorer):
    use(explorer, "vae-digits")
    open_tab(explorer, "vae_tab", "Traverse")
    grids = [e.proto.imgs[0].url for e in explorer.get("image") if "decoded z" in e.proto.imgs[0].caption or
             e.proto.imgs[0].caption == ""]
    slider = [s for s in explorer.slider if s.key and s.key.startswith("vae_z")][0]
    before = [e.proto.imgs[0].url for e in explorer.get("image")]
    slider.set_value(2.5).run()
    assert [e.proto.imgs[0].url for e in explorer.get("image")] != before
    assert grids
    assert any("each row sets one dimension" in c for c in captions(explorer))


def test_posterior_collapse_compares_active_units(explorer):
    use(explorer, "vae-digits")
    open_tab(explorer, "vae_tab", "Posterior collapse")
    assert explorer.selectbox(key="vae_compare").value == "vae-digits-beta8"
    active = {m.label: m.value for m in explorer.metric if m.label.startswith("Active units")}
    normal = int(active["Active units: vae-digits (beta = 1.0)"].split("/")[0])
    collapsed = int(active["Active units: vae-digits-beta8 (beta = 8.0)"].split("/")[0])
    assert collapsed < normal


def test_imputation_and_anomaly_scores(explorer):
    use(explorer, "vae-digits")
    open_tab(explorer, "vae_tab", "Impute & anomalies")
    assert any("left half hidden and filled in" in c for c in captions(explorer))
    explorer.selectbox(key="vae_mask").set_value("centre box").run()
    assert any("centre box hidden" in c for c in captions(explorer))
    test_score = float([m.value for m in explorer.metric if m.label == "This input's ELBO"][0].split()[0])
    explorer.radio(key="vae_anomaly_kind").set_value("pure noise").run()
    noise_score = float([m.value for m in explorer.metric if m.label == "This input's ELBO"][0].split()[0])
    assert noise_score < test_score
    assert any("Flagged as an anomaly" in m.value for m in explorer.markdown)


def test_a_model_switch_shows_the_new_models_projection(explorer):
    """The projection radio has one key per model (its options differ): after a switch, the radio and the map
    agree on the new model's default, rather than the browser showing a forgotten value and sending it back."""
    use(explorer, "vae-digits")
    explorer.radio(key="vae_method_vae-digits").set_value("pca").run()
    assert map_titles(explorer) == ["digits test set, PCA of the latent means"]
    use(explorer, "vae-digits-z2")
    assert explorer.radio(key="vae_method_vae-digits-z2").value == "latent"
    assert map_titles(explorer) == ["digits test set, the latent means, plotted as they are (exact)"]
    use(explorer, "vae-digits")
    # back on the first model, its projection is still in the URL (a link restores it): radio and map agree
    assert explorer.radio(key="vae_method_vae-digits").value == "pca"
    assert map_titles(explorer) == ["digits test set, PCA of the latent means"]


def map_titles(at) -> list[str]:
    return [data["title"] for _, data in maps(at)]


def test_the_map_rings_the_last_dot_picked_and_the_walk_map_draws_the_walk(explorer):
    use(explorer, "vae-digits-z2")
    click_map(explorer, 5)
    click_map(explorer, 77)
    explorer.run()  # the session now holds both picks: the map is drawn with the last one ringed (links restore it)
    data = [d for m, d in maps(explorer) if "vae_map_" in m.proto.id][0]
    assert data["picked"] == {"index": 77, "x": data["x"][77], "y": data["y"][77]}
    open_tab(explorer, "vae_tab", "Walk")
    walk = [d for m, d in maps(explorer) if "vae_walk_map" in m.proto.id][0]
    assert walk["clickable"] is False and [m["label"] for m in walk["marks"]] == ["A", "B"]
    # on the 2-d latent the walk is drawn where it goes: from test #5's code to test #77's
    assert walk["path"][0] == pytest.approx([walk["x"][5], walk["y"][5]], abs=1e-3)
    assert walk["path"][-1] == pytest.approx([walk["x"][77], walk["y"][77]], abs=1e-3)


def test_a_pick_the_map_could_not_have_sent_is_ignored(explorer):
    use(explorer, "vae-digits")
    for index, x, y in ((10 ** 6, 0.0, 0.0), (-7, 0.0, 0.0), (PLACE, float("inf"), 0.0)):
        click_map(explorer, index, x, y)
        assert any("Click the map." in m.value for m in explorer.markdown)
        assert "vae_picks" not in explorer.query_params
