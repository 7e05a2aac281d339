"""Diffusion: schedules, the forward process, a training step, and the samplers checked against a model whose
optimal noise prediction is known in closed form."""
import math

import numpy as np
import pytest
from gen_core.device import make_generator
import torch
from torch import nn

from gen_core.models import load_checkpoint
from gen_core.models import diffusion as D


@pytest.mark.parametrize("name", D.SCHEDULES)
def test_schedule_invariants(name):
    s = D.make_schedule(name, 1000)
    assert s["beta"].shape == (1000,)
    assert (s["beta"] > 0).all() and (s["beta"] < 1).all()
    abar = s["abar"]
    assert (abar[1:] < abar[:-1]).all(), "abar_t must strictly decrease"
    assert abar[0] > 0.99 and abar[-1] < 1e-3, "starts near the data, ends near pure noise"
    assert torch.allclose(abar, torch.cumprod(1 - s["beta"], 0))
    assert (s["snr"][1:] < s["snr"][:-1]).all()


def test_linear_schedule_matches_ho_et_al():
    s = D.make_schedule("linear", 1000)
    assert s["beta"][0].item() == pytest.approx(1e-4) and s["beta"][-1].item() == pytest.approx(0.02)
    # abar_T for the linear schedule is about 4e-5 (Ho et al., section 4: "L_T ~ 1e-5 bits")
    assert 1e-5 < s["abar"][-1].item() < 1e-4


def test_cosine_keeps_more_signal_midway():
    linear, cosine = D.make_schedule("linear", 1000), D.make_schedule("cosine", 1000)
    assert cosine["abar"][500] > linear["abar"][500]


def test_forward_samples_have_the_right_mean_and_variance():
    model = D.build(D.Config(image_shape=(1,), timesteps=1000))
    x0 = torch.full((200_000, 1), 0.7)
    for t in (0, 250, 999):
        eps = torch.randn(x0.shape, generator=make_generator(t))
        x_t = D.q_sample(model, x0, torch.full((len(x0),), t), eps)
        abar = model.abar[t].item()
        assert x_t.mean().item() == pytest.approx(math.sqrt(abar) * 0.7, abs=0.01)
        assert x_t.var().item() == pytest.approx(1 - abar, abs=0.01)


def test_forward_chain_agrees_with_the_one_jump_formula():
    model = D.build(D.Config(image_shape=(1,), timesteps=100))
    x0 = torch.full((50_000, 1), -0.5)
    chain = D.forward_chain(model, x0, make_generator(0), every=50)
    assert chain.shape == (3, 50_000, 1)
    abar = model.abar[49].item()  # after 50 steps
    assert chain[1].mean().item() == pytest.approx(math.sqrt(abar) * -0.5, abs=0.01)
    assert chain[1].var().item() == pytest.approx(1 - abar, abs=0.01)


@pytest.mark.parametrize("shape,classes", [((1, 8, 8), 0), ((1, 28, 28), 10), ((2,), 0)])
def test_networks_predict_noise_of_the_input_shape(shape, classes):
    model = D.build(D.Config(image_shape=shape, channels=16, num_classes=classes))
    x = torch.randn(3, *shape)
    labels = torch.tensor([0, 1, 2]) if classes else None
    eps = model.predict_eps(x, torch.tensor([0, 10, 999]), labels, guidance=2.0, net=model.net)
    assert eps.shape == x.shape


def test_a_training_step_lowers_the_loss():
    torch.manual_seed(0)
    config = D.Config(image_shape=(1, 8, 8), channels=16, num_classes=10, lr=2e-3)
    model = D.build(config)
    trainer = D.Trainer(model, config)
    x = torch.rand(64, 1, 8, 8) * 2 - 1
    y = torch.randint(0, 10, (64,))

    def fixed_loss():
        return D.loss(model, x, y, make_generator(1), net=model.net).item()

    before = fixed_loss()
    for _ in range(30):
        trainer.step(x, y, make_generator(2))
    assert fixed_loss() < before * 0.9


class GaussianOracle(nn.Module):
    """The exact noise predictor for data x0 ~ N(m, s^2) in one dimension:
    E[eps | x_t] = b (x_t - a m) / (a^2 s^2 + b^2), with a = sqrt(abar_t), b = sqrt(1 - abar_t)."""

    def __init__(self, abar, m, s):
        super().__init__()
        self.abar, self.m, self.s = abar, m, s

    def forward(self, x, t, labels=None):
        a, b = self.abar[t].sqrt()[:, None], (1 - self.abar[t]).sqrt()[:, None]
        return b * (x - a * self.m) / (a ** 2 * self.s ** 2 + b ** 2)


def oracle_model(m=1.5, s=0.5, timesteps=200):
    model = D.build(D.Config(image_shape=(1,), timesteps=timesteps))
    model.ema = GaussianOracle(model.abar, m, s)
    return model


@pytest.mark.parametrize("sampler,steps,eta", [("ddpm", None, 1.0), ("ddim", 200, 1.0), ("ddim", 100, 0.0)])
def test_samplers_recover_the_data_distribution(sampler, steps, eta):
    # (with few steps the deterministic sampler under-disperses: 20 of 200 steps give std 0.43, 100 give 0.49)
    model = oracle_model()
    x = D.run_to_end(D.reverse(model, torch.randn(20_000, 1, generator=make_generator(0)),
                               sampler=sampler, steps=steps, eta=eta, generator=make_generator(1)))
    assert x.mean().item() == pytest.approx(1.5, abs=0.03)
    assert x.std().item() == pytest.approx(0.5, abs=0.03)


def test_ddim_with_eta_one_over_all_steps_agrees_with_ddpm_in_distribution():
    model = oracle_model()
    x_T = torch.randn(20_000, 1, generator=make_generator(0))
    ddpm = D.run_to_end(D.reverse(model, x_T, sampler="ddpm", generator=make_generator(1)))
    ddim = D.run_to_end(D.reverse(model, x_T, sampler="ddim", steps=200, eta=1.0,
                                  generator=make_generator(2)))
    quantiles = torch.tensor([0.05, 0.25, 0.5, 0.75, 0.95])
    assert torch.allclose(ddpm.flatten().quantile(quantiles), ddim.flatten().quantile(quantiles), atol=0.03)
    # and with eta = 0 DDIM is deterministic: the same noise gives the same sample
    a = D.run_to_end(D.reverse(model, x_T[:100], sampler="ddim", steps=20, generator=make_generator(3)))
    b = D.run_to_end(D.reverse(model, x_T[:100], sampler="ddim", steps=20, generator=make_generator(4)))
    assert torch.equal(a, b)


@pytest.mark.parametrize("sampler,steps,expected", [("ddpm", None, 200), ("ddim", 7, 7), ("ddim", 1, 1)])
def test_the_sampler_yields_one_item_per_step(sampler, steps, expected):
    model = oracle_model()
    items = list(D.reverse(model, torch.randn(4, 1), sampler=sampler, steps=steps))
    assert len(items) == expected
    assert [i.index for i in items] == list(range(expected))
    assert items[0].t == 199 and items[-1].t_next == -1  # always from pure noise, always to the end
    assert all(i.x_t.shape == i.x0.shape == i.x_next.shape == (4, 1) for i in items)
    assert all(a.t > b.t for a, b in zip(items, items[1:]))


def test_the_predicted_clean_data_converges_on_the_sample():
    model = oracle_model()
    items = list(D.reverse(model, torch.randn(8, 1), sampler="ddim", steps=10))
    errors = [float((i.x0 - items[-1].x_next).abs().max()) for i in items]
    assert errors[-1] < 1e-5 and errors[0] > errors[-1]


def test_inpainting_keeps_the_known_values():
    model = oracle_model()
    known = torch.tensor([[0.25], [0.0]])
    mask = torch.tensor([[1.0], [0.0]])
    x = D.run_to_end(D.reverse(model, torch.randn(2, 1), sampler="ddim", steps=20, eta=1.0,
                               known=known, mask=mask, generator=make_generator(0)))
    assert x[0].item() == pytest.approx(0.25)
    assert x[1].item() != 0.0


def test_timestep_sequence():
    assert D.timestep_sequence(1000, 1000) == list(range(999, -1, -1))
    seq = D.timestep_sequence(1000, 50)
    assert len(seq) == 50 and seq[0] == 999 and seq[-1] == 0
    with pytest.raises(ValueError):
        D.timestep_sequence(1000, 0)


def test_classifier_free_guidance_extrapolates_from_unconditional_to_conditional():
    class Fixed(nn.Module):
        def forward(self, x, t, labels):
            return torch.where(labels[:, None] == 10, torch.zeros_like(x), torch.ones_like(x))

    model = D.build(D.Config(image_shape=(1,), num_classes=10))
    model.ema = Fixed()
    x, t, y = torch.zeros(3, 1), torch.zeros(3, dtype=torch.long), torch.tensor([1, 2, 3])
    assert torch.equal(model.predict_eps(x, t, y, guidance=3.0), torch.full((3, 1), 3.0))
    assert torch.equal(model.predict_eps(x, t, y, guidance=0.0), torch.zeros(3, 1))
    assert torch.equal(model.predict_eps(x, t, None), torch.zeros(3, 1))
    # one scale per sample: the Guidance tab samples every scale in one batch
    assert torch.equal(model.predict_eps(x, t, y, guidance=torch.tensor([0.0, 1.0, 3.0])),
                       torch.tensor([[0.0], [1.0], [3.0]]))


def test_the_guidance_grid_in_one_batch_matches_one_run_per_scale():
    from gen_core.labs import diffusion as lab
    from gen_core.core import InferenceCore
    from gen_core.data import load_card_dataset
    core, scales = InferenceCore("cpu"), (0.0, 1.0, 3.0)
    grid = lab.guidance_grid(core, "ddpm-digits", load_card_dataset("digits"), 7, scales, 4, 5, 10)
    model = core.load("ddpm-digits").model
    x_T = D.initial_noise(model, 4, make_generator(5))
    for row, scale in zip(grid["x"], scales):
        alone = D.run_to_end(D.reverse(model, x_T, sampler="ddim", steps=10, labels=torch.full((4,), 7),
                                       guidance=scale))
        assert torch.allclose(row, alone.float(), atol=1e-5)
    assert grid["x"].shape == (3, 4, *x_T.shape[1:])


def test_denoising_field_points_towards_the_data():
    model = oracle_model(m=1.0, s=0.1)
    x0, _ = D.denoising_field(model, torch.tensor([[-2.0], [4.0]]), t=100)
    direction = (x0 - torch.tensor([[-2.0], [4.0]])).flatten()
    assert direction[0] > 0 and direction[1] < 0


def test_bad_configs_are_refused():
    with pytest.raises(ValueError, match="schedule"):
        D.Config(schedule="quadratic")
    with pytest.raises(ValueError):
        D.Config(timesteps=1)
    with pytest.raises(ValueError, match="unconditional"):
        D.sample(oracle_model(), 2, generator=torch.Generator(), label=3)
    np.testing.assert_equal(D.Config().is_image, True)


# --- CUDA graphs (gen_core/cuda_graphs.py); their replay is checked against the network in tests/gpu/test_cuda.py ------

def test_cuda_graphs_are_enabled_on_every_diffusion_network_unless_switched_off(monkeypatch):
    from gen_core import checkpoints, cuda_graphs

    ldm, _ = load_checkpoint(checkpoints.resolve("ldm-digits"))
    assert D.Diffusion.graphed is None and ldm.diffusion.graphed is None  # off until a GPU core turns them on
    cuda_graphs.enable(ldm)
    assert isinstance(ldm.diffusion.graphed, cuda_graphs.GraphedNetwork)
    monkeypatch.setenv("GENLAB_CUDA_GRAPHS", "0")
    plain, _ = load_checkpoint(checkpoints.resolve("ddpm-ring8"))
    cuda_graphs.enable(plain)
    assert plain.graphed is None


def test_a_failed_graph_capture_falls_back_to_the_eager_network_for_good():
    """CPU tensors cannot be captured: the wrapper warns once and answers None (the caller runs the network)."""
    from gen_core import cuda_graphs

    model = D.build(D.Config(image_shape=(2,), hidden=16, timesteps=10))
    graphed = cuda_graphs.GraphedNetwork()
    x, t = torch.zeros(4, 2), torch.zeros(4, dtype=torch.long)
    with torch.inference_mode(), pytest.warns(RuntimeWarning, match="eagerly"):
        assert graphed(model.ema, x, t, None) is None
    assert graphed.failed and not graphed.graphs
    with torch.inference_mode():
        assert graphed(model.ema, x, t, None) is None  # no second capture
        model.graphed = graphed
        assert model.predict_eps(x, t).shape == (4, 2)  # on the CPU the eager network answers


def test_the_theaters_forward_views_follow_the_one_jump_formula():
    from gen_core.labs import diffusion as diffusion_lab
    x0, eps = torch.full((1, 1, 4, 4), 0.5), torch.randn(1, 1, 4, 4, generator=make_generator(0))
    views = diffusion_lab.forward_views(x0, eps, 1000, 999)
    for name, view in views.items():
        abar = D.make_schedule(name, 1000)["abar"][999]
        assert view["a"] == pytest.approx(float(abar.sqrt())) and view["b"] == pytest.approx(float((1 - abar).sqrt()))
        torch.testing.assert_close(view["x_t"], abar.sqrt().float() * x0 + (1 - abar).sqrt().float() * eps)
        assert view["strip"].shape == (8, 1, 4, 4) and view["strip_t"][0] == 0 and view["strip_t"][-1] == 999
        torch.testing.assert_close(view["strip"][-1:], view["x_t"])
    # at t = 0 the image is almost untouched; at T-1 it is almost pure noise (the linear schedule keeps ~0.6%)
    assert diffusion_lab.forward_views(x0, eps, 1000, 0)["linear"]["a"] > 0.99
    assert views["linear"]["a"] < 0.01


class ExactGaussianDiffusion:
    """A diffusion 'model' whose noise prediction is exact for data ~ N(mu, s^2 I) in 2-D:
    E[eps | x_t] = sqrt(1 - abar) (x_t - sqrt(abar) mu) / (abar s^2 + 1 - abar), since x_t = sqrt(abar) x0 +
    sqrt(1 - abar) eps is Gaussian jointly with eps."""

    def __init__(self, mu, s, T=1000):
        from types import SimpleNamespace
        self.mu, self.s = torch.tensor(mu), s
        self.abar = torch.cumprod(1 - torch.linspace(1e-4, 0.02, T, dtype=torch.float64), 0).float()
        self.config = SimpleNamespace(timesteps=T, is_image=False)

    def predict_eps(self, x, t, labels=None, guidance=1.0):
        abar = self.abar[t][:, None]
        return (1 - abar).sqrt() * (x - abar.sqrt() * self.mu) / (abar * self.s ** 2 + 1 - abar)


@pytest.mark.parametrize("sampler, steps", [("ddpm", None), ("heun", 25), ("heun", 50)])
def test_the_reverse_sde_and_the_probability_flow_ode_reach_the_same_gaussian(sampler, steps):
    """Known answer: every sampler of an exact model of N(mu, s^2 I) returns that Gaussian. The reverse SDE
    (DDPM, 1000 stochastic steps) and the probability-flow ODE (Heun, 25 or 50 steps) agree in distribution."""
    model = ExactGaussianDiffusion([1.0, -2.0], 0.5)
    g = make_generator(0)
    x_T = torch.randn(20000, 2, generator=g)
    x = D.run_to_end(D.reverse(model, x_T, sampler=sampler, steps=steps, generator=g))
    assert x.mean(0).tolist() == pytest.approx([1.0, -2.0], abs=0.03)
    assert x.std(0).tolist() == pytest.approx([0.5, 0.5], abs=0.03)


def test_heun_is_deterministic_and_uses_two_calls_a_step():
    model = ExactGaussianDiffusion([0.0, 0.0], 1.0)
    calls = []
    predict = model.predict_eps
    model.predict_eps = lambda *a, **k: calls.append(1) or predict(*a, **k)
    x_T = torch.randn(8, 2, generator=make_generator(1))
    steps = list(D.reverse(model, x_T, sampler="heun", steps=10))
    assert len(steps) == 10 and steps[-1].t == 0 and steps[-1].t_next == -1
    assert len(calls) == 2 * 9 + 1  # the last step lands on sigma = 0 with one call
    again = D.run_to_end(D.reverse(model, x_T, sampler="heun", steps=10))
    assert torch.equal(again, steps[-1].x_next)


def test_heun_is_second_order_where_ddim_is_first():
    """DDIM with eta = 0 is Euler's method on the same ODE: on the same 25 timesteps it shrinks the Gaussian's
    spread (0.445 for 0.5), Heun's corrected steps nearly keep it (0.507)."""
    model = ExactGaussianDiffusion([1.0, -2.0], 0.5)
    x_T = torch.randn(20000, 2, generator=make_generator(0))
    spread = {s: float(D.run_to_end(D.reverse(model, x_T, sampler=s, steps=25)).std(0).mean()) for s in ("ddim", "heun")}
    assert abs(spread["heun"] - 0.5) < 0.02 < abs(spread["ddim"] - 0.5)


@pytest.mark.parametrize("timesteps", [2, 5, 10, 20, 1000])
def test_every_schedule_keeps_alpha_bar_a_probability_for_any_number_of_steps(timesteps):
    """A rescaled linear schedule with few steps once had betas over 1: alpha_t < 0 and a NaN loss at step 1."""
    from gen_core.models.diffusion.schedule import make_schedule
    for name in ("linear", "cosine"):
        s = make_schedule(name, timesteps)
        assert (s["beta"] > 0).all() and (s["beta"] <= 0.999).all(), (name, timesteps)
        assert (s["abar"] > 0).all() and (s["abar"] < 1).all() and (s["abar"][1:] < s["abar"][:-1]).all()
