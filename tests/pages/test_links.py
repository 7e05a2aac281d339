"""Links that restore a view (ui/links.py): every control that shapes a page is in the URL, a fresh session opened
with that URL shows the same view, and a link with garbage in it gives one plain notice per bad parameter and a
working page."""
import pytest
from streamlit.testing.v1 import AppTest

from tests.apptest import captions, fresh_session_on


def open_link(page: str, params: dict) -> AppTest:
    """A fresh session opened on `page` with the URL parameters `params`, as a browser opening a shared link."""
    at = fresh_session_on(page)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_a_diffusion_link_restores_model_tab_image_timestep_and_seed():
    at = open_link("app_pages/diffusion_theater/page.py", {
        "diff_model": "ddpm-shapes", "diff_tab": "Forward", "diff_fwd_index": "5",
        "diff_fwd_t": "900", "seed": "7"})
    assert at.selectbox(key="diff_model").value == "ddpm-shapes"
    assert at.number_input(key="diff_fwd_index").value == 5 and at.slider(key="diff_fwd_t").value == 900
    assert at.sidebar.number_input(key="seed").value == 7
    assert "x_0 and x_900" in captions(at) and not at.warning


def test_a_vae_link_restores_the_walk_between_two_map_clicks():
    at = open_link("app_pages/vae_explorer/page.py", {"vae_tab": "Walk", "vae_picks": "12;0.5000,-1.2500",
                                                 "vae_frames": "6", "vae_path": "linear"})
    assert at.session_state["vae_picks"] == [12, (0.5, -1.25)]
    texts = [m.value for m in at.markdown]
    assert "**A**: test #12" in texts and "**B**: the place (0.50, -1.25)" in texts
    assert at.slider(key="vae_frames").value == 6 and not at.warning


def test_a_gen_vs_disc_link_restores_data_tab_and_models():
    at = open_link("app_pages/gen_vs_disc/page.py", {"gvd_data": "moons", "gvd_tab": "Generation",
                                                "gvd_gen_model": "QDA"})
    assert at.selectbox(key="gvd_data").value == "moons" and at.selectbox(key="gvd_gen_model").value == "QDA"
    assert any("QDA: samples" in m.value for m in at.markdown)


GARBAGE = {"diff_model": "no-such-model", "diff_tab": "Backstage", "diff_fwd_index": "-1",
           "diff_fwd_t": "1e99", "seed": "seven", "device": "<script>alert(1)</script>", "projector": "maybe"}


def test_garbage_in_every_parameter_gives_one_plain_notice_each_and_a_working_page():
    at = open_link("app_pages/diffusion_theater/page.py", GARBAGE)
    from ui.text import shown
    notices = [shown(w.value) for w in at.warning]
    for key in GARBAGE:
        assert sum(f"Ignored {key}=" in n for n in notices) == 1, (key, notices)
    assert not any("<script>" in w.value for w in at.warning)  # the visitor's text is escaped, never markup
    assert at.selectbox(key="diff_model").value == "ddpm-fashion" and at.sidebar.number_input(key="seed").value == 0
    assert at.title[0].value == "Diffusion Theater"


def test_bad_map_clicks_in_a_link_are_refused_in_one_line():
    from ui.text import shown
    at = open_link("app_pages/vae_explorer/page.py", {"vae_picks": "99999;**nan**,1"})
    notices = [shown(w.value) for w in at.warning if "vae_picks" in shown(w.value)]
    assert notices == ["Ignored vae_picks='99999;**nan**,1' from the link: a test image is a number from 0 to 9999 "
                       "(not '99999')."]
    assert not [w for w in at.warning if "<strong>" in w.value or "**nan**" in w.value]  # shown as typed
    assert "vae_picks" not in at.session_state or at.session_state["vae_picks"] == []


@pytest.mark.parametrize("text, expected", [("3", [3]), ("3;7", [3, 7]), ("0.5,-1;9", [(0.5, -1.0), 9])])
def test_map_clicks_go_to_the_url_and_back(text, expected):
    from ui.latent_map import decode_picks, encode_picks
    assert decode_picks(text, 100) == expected
    assert decode_picks(encode_picks(expected), 100) == expected


@pytest.mark.parametrize("text", ["", "1;2;3", "100", "-1", "a", "1,2,3", "inf,0", "1e9,0"])
def test_bad_map_clicks_are_refused(text):
    from ui.latent_map import decode_picks
    with pytest.raises(ValueError):
        decode_picks(text, 100)


@pytest.mark.parametrize("tab, key, default", [("Inpainting", "diff_inp_steps", 50), ("Guidance", "diff_guide_steps", 25)])
def test_a_step_count_a_control_does_not_offer_is_refused_in_one_line(tab, key, default):
    """The DDIM step controls take their listed counts only: 7 or a huge count from a link gets one plain notice
    and the default, so a link cannot start a run of a million steps."""
    for bad in ("7", "1000000", "<b>x</b>"):
        at = open_link("app_pages/diffusion_theater/page.py", {"diff_tab": tab, key: bad})
        from ui.text import shown
        notices = [shown(w.value) for w in at.warning if f"Ignored {key}=" in shown(w.value)]
        assert len(notices) == 1 and at.select_slider(key=key).value == default


def test_a_gan_studio_link_shows_the_senders_samples():
    """The page's own seed (not only the global one) and the model by its checkpoint name follow the link."""
    at = open_link("app_pages/gan_studio/page.py", {"gan_model": "dcgan-digits", "gan_seed": "41"})
    assert at.selectbox(key="gan_model").value == "dcgan-digits" and at.number_input(key="gan_seed").value == 41
    assert any("seed 41" in c for c in captions(at)) and not at.warning
    sender = open_link("app_pages/gan_studio/page.py", {"gan_model": "dcgan-digits"})
    sender.number_input(key="gan_seed").set_value(41).run()
    pictures = lambda app: [im.url for e in app.get("image") for im in e.proto.imgs]  # noqa: E731 - by content hash
    assert pictures(at) and pictures(at)[0] == pictures(sender)[0]  # the very picture the sender sees


def test_a_link_to_a_reverse_run_runs_it_and_opens_on_its_frame():
    at = open_link("app_pages/diffusion_theater/page.py", {
        "diff_model": "ddpm-digits", "diff_tab": "Reverse", "diff_sampler": "DDIM (fewer steps)", "diff_steps": "10", "diff_n": "4",
        "diff_seed": "5", "diff_reverse": "1", "diff_frame": "3"})
    run = at.session_state["diff_run"]
    assert (run["n"], run["seed"], run["sampler"], run["steps"]) == (4, 5, "ddim", 10)
    assert '"start": 2' in run["player_html"] and '"urlKey": "diff_frame"' in run["player_html"]
    plain_visit = open_link("app_pages/diffusion_theater/page.py", {"diff_model": "ddpm-digits", "diff_tab": "Reverse"})
    assert "diff_run" not in plain_visit.session_state  # no link to a run: nothing runs until the button


def test_a_vae_link_restores_the_traversal_sliders():
    at = open_link("app_pages/vae_explorer/page.py", {"vae_model": "vae-digits", "vae_tab": "Traverse",
                                                       "vae_base": "7"})
    sliders = [s for s in at.slider if s.key.startswith("vae_z")]
    moved = sliders[0].key
    shared = open_link("app_pages/vae_explorer/page.py", {"vae_model": "vae-digits", "vae_tab": "Traverse",
                                                           "vae_base": "7", moved: "2.5"})
    assert shared.slider(key=moved).value == 2.5 and not shared.warning
    assert [s.value for s in shared.slider if s.key != moved and s.key.startswith("vae_z")] == \
        [s.value for s in sliders if s.key != moved]


@pytest.mark.parametrize("frame, run", [("banana", "1"), ("999", "1"), ("-3", "1"), ("2", "yes please")])
def test_garbage_in_a_reverse_run_link_opens_a_working_page(frame, run):
    """A frame the run does not have opens the player on its last frame; a run flag other than 1 runs nothing."""
    at = open_link("app_pages/diffusion_theater/page.py", {
        "diff_model": "ddpm-digits", "diff_tab": "Reverse", "diff_sampler": "DDIM (fewer steps)", "diff_steps": "10",
        "diff_n": "1", "diff_reverse": run, "diff_frame": frame})
    assert not at.exception
    if run != "1":
        assert "diff_run" not in at.session_state
    else:
        frames = len(at.session_state["diff_run"]["t"])
        assert f'"start": {frames - 1}' in at.session_state["diff_run"]["player_html"]
