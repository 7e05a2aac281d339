"""The 2-D models of the Playground: RealNVP, the energy model, the point VAE, the packed / annealed GAN, and the
live wrapper with its views and drawing helpers."""
import math

import numpy as np
import pytest
from gen_core.device import make_generator
import torch

from gen_core.labs import playground as P

from gen_core.labs import playground_views as views

from gen_core.labs import drawn_points
from gen_core.data import load_dataset
from gen_core.errors import GenLabError
from gen_core.models import ebm, flow, gan, vae


@pytest.fixture(scope="module")
def ring8():
    return load_dataset("ring8")


def batch(dataset, n=256, seed=0):
    index = torch.randint(len(dataset.x_train), (n,), generator=make_generator(seed))
    return dataset.x_train[index], dataset.y_train[index]


# --- RealNVP ---------------------------------------------------------------------------------------------------

def test_flow_layers_invert_and_the_density_integrates_to_one(ring8):
    torch.manual_seed(0)
    model = flow.build(flow.config_for(ring8))
    for layer in model.layers:  # non-trivial weights (training starts from the identity)
        torch.nn.init.normal_(layer.net[-1].weight, std=0.1)
    z = torch.randn(64, 2)
    x = model.generate(z)
    back = x / model.config.data_scale
    for layer in reversed(model.layers):
        back, _ = layer.inverse(back)
    assert torch.allclose(back, z, atol=1e-4)
    # Change of variables done right: p(x) sums to 1 over the plane (a Riemann sum on a fine grid).
    _, _, grid = views.plane_grid((-10, 10, -10, 10), 600)
    cell = (20 / 599) ** 2
    with torch.no_grad():
        total = float(model.log_prob(grid).exp().sum()) * cell
    assert total == pytest.approx(1.0, abs=0.02)


def test_flow_training_lowers_the_negative_log_likelihood(ring8):
    torch.manual_seed(0)
    model = flow.build(flow.config_for(ring8))
    trainer = flow.Trainer(model, model.config)
    x, y = batch(ring8)
    first = trainer.step(x, y)["nll"]
    for _ in range(60):
        last = trainer.step(*batch(ring8, seed=_))["nll"]
    assert last < first - 0.3
    stages = views.flow_layers(model)
    assert len(stages) == model.config.num_layers + 1 and stages[0][0].shape == (60, 2)


# --- energy model ---------------------------------------------------------------------------------------------

def test_energy_training_makes_data_lower_in_energy_than_noise(ring8):
    torch.manual_seed(0)
    model = ebm.build(ebm.config_for(ring8))
    trainer = ebm.Trainer(model, model.config)
    noise = make_generator(1)
    for k in range(150):
        trainer.step(*batch(ring8, seed=k), noise)
    with torch.no_grad():
        on_data = model.energy(ring8.x_test[:500]).mean()
        centre = model.energy(torch.zeros(50, 2) + 0.01 * torch.randn(50, 2)).mean()  # the ring's empty middle
    assert on_data < centre
    chains = views.langevin_chains(model, n=5, steps=20, record_every=5)
    assert chains.shape == (5, 5, 2) and np.isfinite(chains).all()


def test_energy_samples_work_under_no_grad(ring8):
    model = ebm.build(ebm.config_for(ring8, sample_steps=5))
    with torch.no_grad():
        x = ebm.sample(model, 10, generator=make_generator(0))
    assert x.shape == (10, 2) and torch.isfinite(x).all()


# --- point VAE ------------------------------------------------------------------------------------------------

def test_point_vae_trains_and_samples_with_its_noise(ring8):
    torch.manual_seed(0)
    model = vae.build(vae.config_for(ring8))
    assert isinstance(model, vae.PointVAE) and model.config.latent_dim == 2
    trainer = vae.Trainer(model, model.config)
    first = trainer.step(*batch(ring8))["loss"]
    for k in range(100):
        last = trainer.step(*batch(ring8, seed=k))["loss"]
    assert last < first - 0.5
    x = vae.sample(model, 300, generator=make_generator(0))
    assert x.shape == (300, 2)
    mean = model.decode(torch.randn(300, 2, generator=make_generator(0)))
    assert not torch.allclose(x, mean)  # samples include p(x|z)'s noise, not just the decoder's mean


# --- GAN: packing, annealing, the shared batch ----------------------------------------------------------------

def test_packed_discriminator_scores_one_logit_per_pack(ring8):
    model = gan.build(gan.config_for(ring8, arch="mlp", pack=4))
    logits, _ = model.discriminate(torch.randn(64, 2))
    assert logits.shape == (16,)
    with pytest.raises(ValueError, match="pack"):
        gan.config_for(ring8, arch="mlp", pack=3, batch_size=256)
    with pytest.raises(ValueError, match="pack"):
        gan.config_for(load_dataset("digits"), arch="dcgan", pack=2)


def test_annealing_takes_the_learning_rate_to_zero(ring8):
    config = gan.config_for(ring8, arch="mlp", anneal_steps=100, batch_size=64)
    trainer = gan.Trainer(gan.build(config), config)
    factors = []
    for k in range(101):
        factors.append(trainer.learning_rate_factor())
        trainer.iteration += 1
    assert factors[0] == factors[50] == 1.0 and factors[75] == pytest.approx(0.5) and factors[100] == 0.0
    frozen = [p.clone() for p in trainer.model.generator.parameters()]
    trainer.step(*batch(ring8, 64), make_generator(0))
    assert all(torch.equal(a, b) for a, b in zip(frozen, trainer.model.generator.parameters()))


@pytest.mark.parametrize("loss", gan.LOSSES)
def test_a_discriminator_step_lowers_its_loss_on_that_batch(ring8, loss):
    torch.manual_seed(0)
    config = gan.config_for(ring8, arch="mlp", loss=loss, pack=2 if loss == "wgan-gp" else 1)
    model = gan.build(config)
    trainer = gan.Trainer(model, config)
    x, y = batch(ring8)
    with torch.no_grad():
        fake = model.generate(torch.randn(256, config.z_dim))

    def d_loss():
        with torch.no_grad():
            logits, _ = model.discriminate(torch.cat([x, fake]))
            return float(gan.discriminator_loss(loss, *logits.chunk(2)))

    before = d_loss()
    for _ in range(5):
        trainer.discriminator_step(x, y, make_generator(0), fake, None)
    assert d_loss() < before


# --- the live wrapper and its views ---------------------------------------------------------------------------

@pytest.mark.parametrize("preset", list(P.PRESETS))
def test_every_preset_trains_live_and_draws(ring8, preset):
    live = P.LiveModel.from_preset(preset, ring8)
    metrics = live.train(3)
    assert live.steps == 3 and metrics and all(math.isfinite(v) for v in metrics.values())
    samples = live.view_samples()
    assert samples.shape == (P.VIEW_SAMPLES, 2) and np.isfinite(samples).all()
    found = live.record_metrics(samples)
    assert found["num_modes"] == 8 and 0 <= found["high_quality"] <= 1
    assert live.metric_history["step"] == [3]


def test_view_samples_are_fixed_noise_so_only_training_moves_them(ring8):
    live = P.LiveModel.from_preset("GAN: vanilla", ring8)
    first, again = live.view_samples(), live.view_samples()
    assert np.array_equal(first, again)
    live.train(5)
    assert not np.array_equal(first, live.view_samples())


def test_models_on_the_same_points_measure_against_radii_computed_once(ring8):
    """Precision / recall need the held-out points' k-NN radii: every model on the same dataset object uses one
    tensor (equal to computing them afresh), a dataset of other points gets its own."""
    from gen_core.mode_metrics import knn_radii
    a, b = P.LiveModel.from_preset("VAE", ring8), P.LiveModel.from_preset("Flow (RealNVP)", ring8)
    a.record_metrics(a.view_samples())
    b.record_metrics(b.view_samples())
    assert P.real_radii(ring8) is P.real_radii(a.dataset) is P.real_radii(b.dataset)
    assert torch.equal(P.real_radii(ring8), knn_radii(ring8.x_test[:P.METRIC_REAL_POINTS]))
    other = load_dataset("moons")
    assert not torch.equal(P.real_radii(other)[:10], P.real_radii(ring8)[:10])


def test_an_untrained_models_first_view_is_drawn_and_measured_once(ring8, monkeypatch):
    """Models built from the same preset and seed start from the same samples and metrics: the second draws and
    measures nothing; a trained model draws its own; what a caller does to its samples never reaches the record."""
    first = P.LiveModel.from_preset("Diffusion", ring8, seed=3)
    samples = first.view_samples()
    found = first.record_metrics(samples)
    drawn, measured = [], []
    monkeypatch.setattr(P.LiveModel, "_draw_view_samples", lambda self: drawn.append(1) or np.zeros((2, 2)))
    monkeypatch.setattr(P, "point_metrics", lambda *a, **k: measured.append(1) or {})
    second = P.LiveModel.from_preset("Diffusion", ring8, seed=3)
    again = second.view_samples()
    assert np.array_equal(again, samples) and second.record_metrics(again) == found
    assert not drawn and not measured and second.metric_history["step"] == [0]
    again[:] = 99.0  # the caller's copy
    assert np.array_equal(P.LiveModel.from_preset("Diffusion", ring8, seed=3).view_samples(), samples)
    other_seed = P.LiveModel.from_preset("Diffusion", ring8, seed=4)
    other_seed.view_samples()
    assert drawn == [1]  # another seed is another model
    monkeypatch.undo()
    second.train(1)
    assert not second.untrained and not np.array_equal(second.view_samples(), samples)
    assert np.array_equal(P.LiveModel.from_preset("Diffusion", ring8, seed=3).view_samples(), samples)


def test_gan_views(ring8):
    live = P.LiveModel.from_preset("GAN: packed + annealed (fix)", ring8)
    d_map = views.discriminator_map(live.model, (-1.5, 1.5, -1.5, 1.5), resolution=20, companions=ring8.x_test[:8])
    assert d_map["d"].shape == (20, 20) and ((0 <= d_map["d"]) & (d_map["d"] <= 1)).all()
    pushed = views.generator_arrows(live.model, live.view_z[:64])
    assert pushed["x"].shape == pushed["push"].shape == (64, 2) and np.abs(pushed["push"]).sum() > 0
    lines = views.generator_grid(live.model)
    assert len(lines) == 22 and lines[0].shape == (60, 2)


def test_diffusion_and_energy_views(ring8):
    diffusion = P.LiveModel.from_preset("Diffusion", ring8)
    field = views.diffusion_field(diffusion.model, (-1, 1, -1, 1), t=50, resolution=5)
    assert field["x"].shape == field["pull"].shape == (25, 2)
    energy = P.LiveModel.from_preset("Energy (Langevin)", ring8)
    landscape = views.energy_map(energy.model, (-1, 1, -1, 1), resolution=10)
    assert landscape["energy"].shape == (10, 10)


@pytest.mark.parametrize("family", list(views.INSIDE_VIEWS))
def test_each_look_inside_view_is_computed_once_and_drawn_both_ways(ring8, family, monkeypatch):
    """gen_core computes the view; the picture (playing) and the Plotly figure (paused, interactive) draw the same
    data and compute nothing themselves."""
    from ui import point_figures, point_frames
    live = P.LiveModel.from_preset(P.DEFAULT_PRESET[family], ring8)
    live.train(2)
    real = ring8.x_test[:200].numpy()
    extent = views.data_extent(real)
    view = views.inside_view(live, real, extent, diffusion_t=30)
    assert view.family == family and view.data
    for name in ("discriminator_map", "generator_arrows", "generator_grid", "vae_decoder_grid", "flow_layers",
                 "energy_map", "langevin_chains", "diffusion_field"):
        monkeypatch.setattr(views, name, lambda *a, **k: pytest.fail("a renderer recomputed the view"))
    samples = {family: live.view_samples()}
    picture = point_frames.inside_frame(view, real, samples, extent)
    assert picture.width >= 320 and len(picture.getcolors(maxcolors=1 << 20)) > 3  # drawn, not blank
    figure = point_figures.inside_figure(view, real, samples, extent)
    assert len(figure.data) >= 2


def test_every_family_with_a_view_has_both_renderers_and_an_unknown_one_is_refused(ring8):
    from ui import point_figures, point_frames
    assert set(point_frames.PICTURES) == set(point_figures.FIGURES) == set(views.INSIDE_VIEWS) == set(P.FAMILY_LABELS)
    live = P.LiveModel.from_preset("VAE", ring8)
    live.family_name = "autoregressive"
    with pytest.raises(ValueError, match="no 'look inside' view for family 'autoregressive'"):
        views.inside_view(live, ring8.x_test[:10].numpy(), (-1, 1, -1, 1))


def test_user_points_become_a_dataset_and_bad_ones_are_refused():
    points = np.random.default_rng(0).normal(size=(50, 2))
    dataset = P.points_dataset(points)
    assert dataset.kind == "points" and dataset.x_train.shape == (50, 2) and dataset.modes is None
    with pytest.raises(GenLabError, match="at least"):
        P.points_dataset(points[:5])
    with pytest.raises(GenLabError, match="finite"):
        P.points_dataset(np.full((30, 2), np.nan))
    live = P.LiveModel.from_preset("Flow (RealNVP)", dataset)
    live.train(2)
    found = live.record_metrics(live.view_samples())
    assert "modes_covered" not in found and 0 <= found["precision"] <= 1


def test_drawing_helpers():
    rng = np.random.default_rng(0)
    square = drawn_points.fill_region([0, 1, 1, 0], [0, 0, 1, 1], density=400, rng=rng)
    assert 300 < len(square) < 500 and ((square >= 0) & (square <= 1)).all()
    triangle = drawn_points.fill_region([0, 2, 0], [0, 0, 2], density=100, rng=rng)  # area 2
    assert 150 < len(triangle) < 250 and (triangle.sum(1) <= 2 + 1e-9).all()
    assert drawn_points.inside_polygon(np.array([[0.5, 0.5], [1.5, 0.5]]), [0, 1, 1, 0], [0, 0, 1, 1]).tolist() == [True, False]
    around = drawn_points.blob((1.0, -1.0), 400, 0.1, rng)
    assert around.shape == (400, 2) and np.allclose(around.mean(0), [1, -1], atol=0.02)


# --- the command lines: every 2-D family trains and samples to an N x 2 .npy ----------------------------------

@pytest.mark.parametrize("family, extra", [("flow", []), ("ebm", ["--set", "sample_steps=20"]), ("vae", []),
                                           ("gan", ["--set", "pack=4", "--set", "anneal_steps=64"])])
def test_train_and_sample_cli_on_points(tmp_path, monkeypatch, family, extra):
    from gen_core import checkpoints, sample, train

    monkeypatch.setenv("GENLAB_HOME", str(tmp_path / "home"))
    out = tmp_path / family
    assert train.main([family, "--dataset", "ring8", "--epochs", "1", "--out", str(out), "--device", "cpu"]
                      + extra) == 0
    card = checkpoints.read_card(out)
    assert card["steps"] == 32 and "modes_covered" in card["metrics"] and "precision" in card["metrics"]
    assert sample.main([str(out), "--n", "40", "--out", str(tmp_path / "x.npy"), "--device", "cpu"]) == 0
    x = np.load(tmp_path / "x.npy")
    assert x.shape == (40, 2) and x.dtype == np.float32 and np.isfinite(x).all()


def test_a_slow_redraw_still_leaves_half_of_each_frame_to_training():
    assert P.training_seconds(0.03) == pytest.approx(P.FRAME_SECONDS - 0.03)  # fast view: the frame's rest
    assert P.training_seconds(0.4) == pytest.approx(0.4)  # slow view: as long as the redraw


def test_train_for_fills_the_time_it_is_given_at_the_pace_it_measures(monkeypatch):
    """On a clock where a step of a model takes 4 ms, two models and 0.1 s hold 12 steps each (12 x 2 x 4 ms =
    96 ms; a 13th would overrun): the first turn of 5 measures the pace, the second takes the 7 that still fit."""
    clock = [0.0]
    monkeypatch.setattr(P.time, "perf_counter", lambda: clock[0])

    class Model:
        steps = 0

        def train(self, steps):
            self.steps += steps
            clock[0] += 0.004 * steps

    models = [Model(), Model()]
    assert P.train_for(models, 0.1, chunk=5) == 12 and [m.steps for m in models] == [12, 12]
    assert P.train_for(models, 0.1, stop_at=20, chunk=5) == 8  # the pause step comes first


def test_train_for_keeps_models_in_step_and_stops_at_the_pause_step():
    ring = load_dataset("ring8")
    models = [P.LiveModel.from_preset("GAN: vanilla", ring), P.LiveModel.from_preset("Flow (RealNVP)", ring)]
    assert P.train_for(models, 0.0, chunk=3) == 3  # no time: one turn
    assert [m.steps for m in models] == [3, 3]
    taken = P.train_for(models, 0.3, stop_at=1000, chunk=5)
    assert taken >= 5 and [m.steps for m in models] == [3 + taken] * 2
    assert P.train_for(models, 60.0, stop_at=3 + taken + 7, chunk=5) == 7  # stops at the step, not the clock
    assert P.train_for(models, 60.0, stop_at=1) == 0


def test_live_training_slots_make_sessions_take_turns():
    import threading
    slots = P.TrainingSlots(1)
    held, release = threading.Event(), threading.Event()

    def other_session():
        with slots.slot(timeout=1) as (got, _):
            assert got
            held.set()
            release.wait(5)

    thread = threading.Thread(target=other_session)
    thread.start()
    held.wait(5)
    with slots.slot(timeout=0.05) as (got, waited):
        assert not got and waited >= 0.05 and slots.training == 1  # the only slot is taken: this frame waits
    release.set()
    thread.join(5)
    with slots.slot(timeout=0.05) as (got, waited):
        assert got and waited < 0.05 and slots.training == 1
    assert slots.training == 0


def test_panel_rasterises_lines_and_dots_where_the_plane_puts_them():
    """Known answers on a 101-pixel panel of [0, 1]^2: a horizontal line at y = 0.5 fills row 50 edge to edge, a
    segment from inside to a point a billion units away is cut at the edge (and costs no more than the plot), NaN
    gaps separate polylines, and a dot lands on its pixel and the brush around it."""
    from ui.point_frames import Panel
    red, blue = (255, 0, 0), (0, 0, 255)
    panel = Panel((0.0, 1.0, 0.0, 1.0), size=101)
    panel.lines(np.array([0.0, 1.0]), np.array([0.5, 0.5]), red)
    assert (panel.pixels[50] == red).all() and (panel.pixels[49] == 255).all() and (panel.pixels[51] == 255).all()
    panel = Panel((0.0, 1.0, 0.0, 1.0), size=101)
    panel.lines(np.array([0.5, 1e9]), np.array([0.0, 0.0]), blue)  # along the bottom row, far off to the right
    assert (panel.pixels[100, 50:] == blue).all() and (panel.pixels[100, :50] == 255).all()
    panel = Panel((0.0, 1.0, 0.0, 1.0), size=101)
    panel.lines(np.array([0.0, 0.2, np.nan, 0.8, 1.0]), np.array([0.0, 0.0, np.nan, 0.0, 0.0]), red)
    assert (panel.pixels[100, :21] == red).all() and (panel.pixels[100, 21:80] == 255).all()
    assert (panel.pixels[100, 80:] == red).all()
    panel = Panel((0.0, 1.0, 0.0, 1.0), size=101)
    panel.dots(np.array([[0.3, 0.7], [5.0, 5.0], [np.nan, 0.1]]), blue, radius=2)  # one inside, two not drawn
    painted = np.argwhere((panel.pixels == blue).all(-1))
    assert sorted(map(tuple, painted)) == [(v, u) for v in range(29, 33) for u in range(29, 33)]


def test_a_samples_panel_says_how_many_samples_lie_outside_its_view():
    """An untrained or diverging model's samples can all leave the data's box: both renderers' titles count them
    (NaN included), and say nothing when every sample is in view."""
    from ui import point_figures, point_frames
    extent = (-1.0, 1.0, -1.0, 1.0)
    samples = np.array([[0.0, 0.0], [0.5, -0.5], [3.0, 0.0], [0.0, -7.0], [np.nan, 0.0]])
    assert views.outside(samples, extent) == 3 and views.outside(samples[:2], extent) == 0
    assert point_figures.sample_title("GAN", 0, samples, extent) == "GAN · step 0 · 3 outside"
    assert point_figures.sample_title("GAN", 5, samples[:2], extent) == "GAN · step 5"

    class Model:
        label, steps = "GAN", 0
    figure = point_figures.samples_figure({"gan": Model()}, {"gan": samples}, samples[:2], extent)
    assert "3 outside" in figure.layout.annotations[0].text
    picture = point_frames.samples_frame({"gan": Model()}, {"gan": samples}, samples[:2], extent)
    assert picture.width == 250  # drawn with the title (its text is checked above)
