"""Discrete diffusion (D3PM) and variational diffusion (VDM): the forward process's marginals against the closed
form, the reverse posterior against Bayes' rule by hand, the learned schedule staying monotone, and a training
step of each that lowers its loss."""
import math

import pytest
from gen_core.device import make_generator
import torch

from gen_core.data import load_dataset
from gen_core.models import d3pm, vdm


@pytest.mark.parametrize("transition", d3pm.TRANSITIONS)
def test_d3pm_closed_form_marginals_are_the_product_of_the_steps(transition):
    config = d3pm.Config(transition=transition, timesteps=12)
    steps, closed = d3pm.step_matrices(config), d3pm.cumulative_matrices(config)
    assert torch.allclose(steps.sum(-1), torch.ones(12, config.states, dtype=torch.float64))
    product = torch.eye(config.states, dtype=torch.float64)
    for t in range(12):
        product = product @ steps[t]
        assert torch.allclose(product, closed[t + 1], atol=1e-12)
    assert torch.allclose(closed[-1][0], closed[-1][1])  # at T the data is forgotten


@pytest.mark.parametrize("transition", d3pm.TRANSITIONS)
def test_d3pm_simulated_chains_match_the_marginals(transition):
    """Run the forward chain step by step on many pixels: the share in each state at t is x_0 Qbar_t."""
    config = d3pm.Config(transition=transition, timesteps=8)
    model = d3pm.build(config)
    generator = make_generator(0)
    x = torch.ones(20_000, dtype=torch.long)  # every pixel starts as ink
    for t in range(1, 9):
        x = d3pm.sample_categorical(model.q_step[t - 1][x].double(), generator)
        share = torch.bincount(x, minlength=config.states).double() / len(x)
        assert torch.allclose(share, model.q_bar[t][1].double(), atol=0.015), (t, share)


def test_d3pm_posterior_is_bayes_rule_by_hand():
    config = d3pm.Config(transition="uniform", timesteps=10)
    model = d3pm.build(config)
    q_step, q_bar = d3pm.step_matrices(config), d3pm.cumulative_matrices(config)
    t = 4
    for x0 in (0, 1):
        for x_t in (0, 1):
            by_hand = torch.tensor([q_step[t - 1][prev, x_t] * q_bar[t - 1][x0, prev] for prev in (0, 1)])
            by_hand = by_hand / by_hand.sum()
            got = d3pm.posterior(model, torch.full((1, 1, 1), x_t), torch.nn.functional.one_hot(
                torch.full((1, 1, 1), x0), 2).float(), torch.tensor([t]))[0, 0, 0]
            assert torch.allclose(got.double(), by_hand, atol=1e-6)


def test_d3pm_trains_and_samples_binary_digits():
    d = load_dataset("digits-binary")
    config = d3pm.config_for(d, timesteps=10, channels=16)
    torch.manual_seed(0)
    model = d3pm.build(config)
    trainer = d3pm.Trainer(model, config)
    generator = make_generator(0)
    x = d.x_train[:64]
    losses = [trainer.step(x, None, generator)["loss"] for _ in range(40)]
    assert sum(losses[-5:]) / 5 < sum(losses[:5]) / 5
    out = d3pm.sample(model.eval(), 4, generator=generator)
    assert out.shape == (4, 1, 8, 8) and set(out.unique().tolist()) <= {-1.0, 1.0}
    bound = d3pm.bound(model, d.x_test[:8], generator)
    assert (bound > 0).all() and (bound < 64 * math.log(2) * 3).all()


def test_vdm_schedule_stays_monotone_through_training_and_the_prior_kl_is_the_gaussian_kl():
    d = load_dataset("digits-binary")
    config = vdm.config_for(d, channels=8)
    assert config.levels == 2
    torch.manual_seed(0)
    model = vdm.build(config)
    trainer = vdm.Trainer(model, config)
    generator = make_generator(0)
    x = d.x_train[:64]
    bounds = [trainer.step(x, None, generator)["bound"] for _ in range(30)]
    assert sum(bounds[-5:]) < sum(bounds[:5])
    t, log_snr = vdm.log_snr_curve(model)
    assert (log_snr[1:] < log_snr[:-1]).all()  # SNR falls with t: the schedule is monotone
    out = vdm.bound_terms(model.eval(), x[:4], generator)
    gamma_1 = model.schedule(torch.tensor([1.0]))
    alpha, sigma = vdm.alpha_sigma(gamma_1)
    expected = torch.distributions.kl_divergence(torch.distributions.Normal(alpha * x[:4], sigma),
                                                 torch.distributions.Normal(0.0, 1.0)).flatten(1).sum(1)
    assert torch.allclose(out["prior"], expected, atol=1e-4)


def test_vdm_samples_land_on_the_data_levels():
    config = vdm.Config(image_shape=(1, 8, 8), levels=2, channels=8, sample_steps=10)
    model = vdm.build(config).eval()
    out = vdm.sample(model, 3, generator=make_generator(0))
    assert out.shape == (3, 1, 8, 8) and set(out.unique().tolist()) <= {-1.0, 1.0}


def test_super_resolution_trains_and_its_upscales_keep_the_input():
    from gen_core.models import cascade
    d = load_dataset("digits")
    config = cascade.config_for(d, channels=8, timesteps=20)
    torch.manual_seed(0)
    model = cascade.build(config)
    trainer = cascade.Trainer(model, config)
    generator = make_generator(0)
    x = d.x_train[:64]
    losses = [trainer.step(x, None, generator)["loss"] for _ in range(40)]
    assert sum(losses[-5:]) < sum(losses[:5])
    low = cascade.downsample(d.x_test[:4], 4)
    assert low.shape == (4, 1, 4, 4)
    out = cascade.upscale(model.eval(), low, generator)
    assert out.shape == (4, 1, 8, 8) and out.min() >= -1 and out.max() <= 1


def test_the_shipped_super_resolution_model_agrees_with_its_input_and_varies_the_detail():
    """What the tab claims: upscales of one low-resolution digit shrink back to it, yet differ from one another."""
    from gen_core.labs import diffusion as diffusion_lab
    from gen_core.core import InferenceCore
    from gen_core.models import cascade
    core = InferenceCore("cpu")
    low = cascade.downsample(load_dataset("digits").x_test[11:12], 4)[0]
    samples = diffusion_lab.upscale(core, "srdiff-digits", low, 8, seed=0)
    consistency = (cascade.downsample(samples, 4) - low[None]).pow(2).mean()
    spread = samples.std(0).mean()
    assert consistency < 0.02 and spread > 0.05


# --- the Diffusion Theater's tabs for them, through AppTest ------------------------------------------------------

@pytest.fixture(scope="module")
def theater():
    from tests.apptest import open_page
    return open_page("app_pages/diffusion_theater/page.py")


def first_image_url(at) -> str:
    return at.get("image")[0].proto.imgs[0].url


def test_discrete_tab_corrupts_the_chosen_digit_and_plays_the_reverse_chain(theater):
    from tests.apptest import open_tab
    at = open_tab(theater, "diff_tab", "Discrete")
    assert any("t = 0 of 64" in e.proto.srcdoc for e in at.get("iframe"))
    assert any("keeps a pixel with probability 1.00" in c.value for c in at.caption)
    before = first_image_url(at)
    at.number_input(key="diff_d3pm_index").set_value(9).run()
    assert not at.exception and first_image_url(at) != before


def test_variational_tab_shows_its_bound_beside_the_fixed_schedule(theater):
    from tests.apptest import open_tab
    at = open_tab(theater, "diff_tab", "Variational")
    metrics = {m.label: m.value for m in at.metric}
    learned = float(metrics["Its bound"].split()[0])
    fixed = float(metrics["DDPM, fixed linear schedule, same digits"].split()[0])
    assert learned < fixed
    before = first_image_url(at)
    at.number_input(key="diff_vdm_seed").set_value(3).run()
    assert not at.exception and first_image_url(at) != before


def test_super_resolution_tab_upscales_the_chosen_image_and_runs_the_cascade(theater):
    from tests.apptest import open_tab
    at = open_tab(theater, "diff_tab", "Super-resolution")
    consistency = [c.value for c in at.caption if c.value.startswith("Shrunk back")]
    image_captions = [i.caption for e in at.get("image") for i in e.proto.imgs]
    assert consistency and any("super-resolution model's" in c for c in image_captions)
    before = first_image_url(at)
    at.number_input(key="diff_sr_index").set_value(20).run()
    assert not at.exception and first_image_url(at) != before
