"""Diffusion Theater through AppTest on the shipped diffusion checkpoints: each section renders, and its controls
change what is shown."""
import pytest

from gen_core.models import diffusion as D
from tests.apptest import captions, open_page, open_tab

PAGE = "app_pages/diffusion_theater/page.py"


@pytest.fixture
def theater():
    at = open_page(PAGE)
    at.selectbox(key="diff_model").set_value("ddpm-digits").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def image_urls(at) -> list[str]:
    return [im.url for element in at.get("image") for im in element.proto.imgs]


def run(target):
    """Run the app (target: the AppTest, or a widget whose value was just set) and check it raised nothing."""
    at = target.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def player_data(srcdoc: str) -> tuple[list[str], list[str]]:
    """The frames (data: URIs) and captions a ui/player.py page plays."""
    import json
    payload = srcdoc.split("const data = ", 1)[1].split(";\n", 1)[0].replace("<\\/", "</")
    data = json.loads(payload)
    return data["frames"], data["captions"]


def test_shipped_diffusion_models_are_offered(theater):
    options = [o.split()[0] for o in theater.selectbox(key="diff_model").options]
    assert "ddpm-digits" in options and "ddpm-shapes" in options


def test_forward_section_follows_the_timestep(theater):
    open_tab(theater, "diff_tab", "Forward")
    assert "x_0 and x_250" in captions(theater)
    equations = [e.value for e in theater.get("latex")]
    assert len(equations) == 2 and all("x_{250}" in e for e in equations)
    before = image_urls(theater)
    run(theater.slider(key="diff_fwd_t").set_value(900))
    assert "x_0 and x_900" in captions(theater)
    assert image_urls(theater) != before
    # at t = 900 the linear schedule has destroyed almost all the signal: sqrt(abar) is printed with it
    assert any(r"\underbrace{0.0" in e for e in (e.value for e in theater.get("latex")))


def test_reverse_section_runs_records_and_plays_back(theater):
    open_tab(theater, "diff_tab", "Reverse")
    assert any("Run the reverse process" in i.value for i in theater.info)
    run(theater.radio(key="diff_sampler").set_value("ddim"))  # the steps slider is live only for DDIM
    theater.select_slider(key="diff_steps").set_value(10)
    theater.select_slider(key="diff_n").set_value(4)
    run(theater)
    run(theater.button[[b.label for b in theater.button].index("Run the reverse process")].click())
    summary = [c.value for c in theater.caption if "samples with DDIM" in c.value]
    assert summary and summary[0].startswith("4 samples with DDIM over 10 steps")
    players = [e.proto.srcdoc for e in theater.get("iframe")]
    assert len(players) == 1  # the recorded run plays in the browser: 10 steps kept + the final frame
    frames, captions_ = player_data(players[0])
    assert len(frames) == 11 and captions_[0].startswith("left: x_999") and captions_[-1] == "the final samples"
    assert len(set(frames)) == 11  # every step looks different
    labels = [b.label for b in theater.get("download_button")]
    assert labels == ["Download the run as a GIF", "Download a PNG strip (one row per sample)"]


def test_the_page_and_the_command_line_give_the_same_samples_for_a_seed(theater, tmp_path):
    """One seed, one rule: the page's reverse run ends where `python -m gen_core.sample` does. DDPM, whose every
    step draws noise (DDIM at eta = 0 draws only x_T, so it would agree even with two generators)."""
    import numpy as np

    from gen_core import sample
    from gen_core.data import images_to_unit
    open_tab(theater, "diff_tab", "Reverse")
    run(theater.radio(key="diff_sampler").set_value("ddpm"))
    theater.select_slider(key="diff_n").set_value(4)
    theater.number_input(key="diff_seed").set_value(11)
    theater.selectbox(key="diff_label").set_value("7")
    theater.slider(key="diff_guidance").set_value(2.0)
    run(theater)
    run(theater.button[[b.label for b in theater.button].index("Run the reverse process")].click())
    on_page = images_to_unit(theater.session_state["diff_run"]["samples"]).numpy()
    assert sample.main(["ddpm-digits", "--n", "4", "--seed", "11", "--label", "7", "--guidance", "2",
                        "--sampler", "ddpm", "--out", str(tmp_path / "s.npy")]) == 0
    np.testing.assert_allclose(on_page, np.load(tmp_path / "s.npy"), atol=1e-5)


def test_samplers_section_times_both(theater, monkeypatch, genlab_home):  # a fresh home: nothing kept on disk
    from gen_core.models import diffusion
    theater.session_state["diff_cmp_n"] = 4
    theater.session_state["diff_cmp_seed"] = 5  # a seed no other test has sampled (the runs are cached)
    open_tab(theater, "diff_tab", "Samplers")
    texts = [m.value for m in theater.markdown]
    assert any(t.startswith("**DDPM (reverse SDE), 1000 steps:") for t in texts)
    assert any(t.startswith("**DDIM (Euler on the ODE), 50 steps:") for t in texts)
    assert any(t.startswith("**Heun on the ODE, 50 steps:") for t in texts)
    assert any("99 calls" in c.value for c in theater.caption)  # Heun: two calls a step, one for the last
    assert any(c == "probability-flow ODE (Heun, 50 steps)" for c in captions(theater))
    runs = []
    real_reverse = diffusion.reverse
    monkeypatch.setattr(diffusion, "reverse", lambda *a, **k: runs.append(k["sampler"]) or real_reverse(*a, **k))
    run(theater.select_slider(key="diff_cmp_steps").set_value(10))
    assert any(t.startswith("**DDIM (Euler on the ODE), 10 steps:") for t in (m.value for m in theater.markdown))
    # a new step count never runs the 1000-step DDPM again: DDIM, Heun, and Heun's path
    assert runs == ["ddim", "heun", "heun"]


def test_guidance_section_shows_a_row_per_scale(theater):
    theater.session_state["diff_guide_scales"] = [0.0, 3.0]
    theater.session_state["diff_guide_n"] = 4
    open_tab(theater, "diff_tab", "Guidance")
    assert len(theater.get("plotly_chart")) == 1
    before = image_urls(theater)
    run(theater.selectbox(key="diff_guide_label").set_value("7"))
    assert image_urls(theater) != before
    before = image_urls(theater)
    run(theater.select_slider(key="diff_guide_steps").set_value(10))  # a shorter run of the sampler: other samples
    assert image_urls(theater) != before


def test_inpainting_section_fills_the_hidden_part(theater):
    theater.session_state["diff_inp_n"] = 4
    open_tab(theater, "diff_tab", "Inpainting")
    first = [c for c in captions(theater) if "hidden" in c]
    assert first and "top half hidden" in first[0]
    run(theater.selectbox(key="diff_inp_mask").set_value("left half"))
    assert any("left half hidden" in c for c in captions(theater))
    before = image_urls(theater)
    run(theater.select_slider(key="diff_inp_steps").set_value(25))  # another run of the sampler: other fills
    assert image_urls(theater) != before


def test_two_d_section_draws_trajectories_and_field(theater):
    open_tab(theater, "diff_tab", "2-D")
    charts = theater.get("plotly_chart")
    assert len(charts) == 1 and "reverse paths" in charts[0].proto.spec  # the part that does not follow t
    paths, before = charts[0].proto.spec, image_urls(theater)
    assert any("noised to t = 100" in c for c in captions(theater))
    run(theater.slider(key="diff_toy_t").set_value(500))
    assert any("noised to t = 500" in c for c in captions(theater)) and image_urls(theater) != before
    assert theater.get("plotly_chart")[0].proto.spec == paths


def test_latent_diffusion_section_compares_with_the_prior(theater):
    open_tab(theater, "diff_tab", "Latent diffusion")
    texts = [m.value for m in theater.markdown]
    assert any("Latent diffusion" in t for t in texts) and any("The VAE's prior" in t for t in texts)
    assert len(theater.get("plotly_chart")) == 1


def test_denoising_starts_at_the_matching_timestep_and_removes_noise():
    """Diffusion as a denoiser: noise of sigma matches the t with sqrt((1 - abar_t) / abar_t) = sigma, and the run
    from there brings the error far below the noisy image's (digits, sigma 0.5: 0.146 -> 0.042)."""
    import torch

    from gen_core.labs import diffusion as lab
    from gen_core.core import InferenceCore
    from gen_core.data import load_dataset
    core = InferenceCore("cpu")
    model = core.load("ddpm-digits").model
    t = lab.noise_level_t(model.abar, 0.5)
    ratio = ((1 - model.abar) / model.abar).sqrt()
    assert ratio[t] == pytest.approx(0.5, abs=float((ratio[t + 1] - ratio[t]).abs()))
    x0 = load_dataset("digits").x_test[:8]
    result = lab.denoise(core, "ddpm-digits", x0, 0.5, seed=0, steps=50)
    assert result["t"] == t and result["denoised"].shape == x0.shape and result["path_t"][0] == t
    assert result["mse_denoised"] < 0.4 * result["mse_noisy"] and result["mse_one_step"] < 0.4 * result["mse_noisy"]
    steps = list(D.reverse(model, torch.zeros(1, 1, 8, 8), sampler="ddim", steps=50, start=t))
    assert steps[0].t == t and steps[-1].t_next == -1 and len(steps) == 50
    with pytest.raises(ValueError, match="start must be between"):
        next(D.reverse(model, torch.zeros(1, 1, 8, 8), start=model.config.timesteps))


def test_the_denoising_tab_shows_the_three_errors():
    at = open_page("app_pages/diffusion_theater/page.py")
    open_tab(at, "diff_tab", "Denoising")
    at.select_slider(key="diff_dn_sigma").set_value(1.0).run()
    assert not at.exception, [e.value for e in at.exception]
    values = {m.label: float(m.value) for m in at.metric}
    assert values["After denoising"] < 0.5 * values["Error of the noisy image"]
    assert any("the reverse process starts at t =" in c for c in captions(at))


def test_a_28x28_model_runs_ddpm_only_when_asked_on_the_cpu():
    """The Samplers tab of the default Fashion-MNIST model opens on DDIM and Heun; DDPM's 1000 steps (~50 s for 16
    images on a CPU) wait behind a button that says their cost."""
    at = open_page(PAGE)
    assert at.selectbox(key="diff_model").value == "ddpm-fashion"
    at.session_state["diff_cmp_n"] = 4
    at.session_state["diff_cmp_steps"] = 10
    open_tab(at, "diff_tab", "Samplers")
    texts = [m.value for m in at.markdown]
    assert any(t.startswith("**DDIM (Euler on the ODE), 10 steps:") for t in texts)
    assert any(t.startswith("**Heun on the ODE, 10 steps:") for t in texts)
    assert "**DDPM (reverse SDE), 1000 steps**" in texts  # its title, no time: not run
    assert at.button(key="diff_cmp_run_ddpm").label.startswith("Run DDPM's 1000 steps (about ")
