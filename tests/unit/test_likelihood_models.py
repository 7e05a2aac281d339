"""The Likelihood Lab's models: a known-answer likelihood for every kind (PixelCNN, Glow, HMM, the GRU, diffusion's
bound), masks that never let a pixel see itself or the future (by gradients), a training step that lowers each
loss, and the binarised, text and series data sets."""
import itertools
import math

import numpy as np
import pytest
from gen_core.device import make_generator
import torch
from scipy import stats

from gen_core.data import load_dataset
from gen_core.data import sequences
from gen_core.models import ebm, glow, hmm, pixelcnn, rnn


def train_steps(module, config, dataset, steps, seed=0):
    torch.manual_seed(seed)
    model = module.build(config)
    trainer = module.Trainer(model, config)
    generator = make_generator(seed)
    x, y = dataset.x_train[:config.batch_size], dataset.y_train[:config.batch_size]
    losses = [list(trainer.step(x, y, generator).values())[0] for _ in range(steps)]
    return model, losses

# --- data ----------------------------------------------------------------------------------------------------


def test_binarised_digits_are_the_digits_at_mid_grey():
    grey, binary = load_dataset("digits"), load_dataset("digits-binary")
    assert set(binary.x_test.unique().tolist()) == {-1.0, 1.0}
    assert torch.equal(binary.x_test > 0, grey.x_test > 0) and torch.equal(binary.y_test, grey.y_test)


def test_text_windows_decode_to_the_shipped_text():
    d = load_dataset("text:genesis")
    assert d.kind == "text" and d.shape == (sequences.WINDOW + 1,)
    text = sequences.read_text("genesis")
    assert text.startswith("In the beginning God created the heaven and the earth.")
    assert sequences.decode(d.x_train[0], d.vocabulary) == text[:sequences.WINDOW + 1]
    assert sequences.decode(d.x_test[0], d.vocabulary) in text


def test_series_classes_have_their_generating_processes():
    d = load_dataset("series")
    assert d.x_train.shape == (1200, 64, 1) and d.class_names == ("ar1", "sine", "switching")
    x = d.x_train[:, :, 0].numpy()
    lag1 = [np.mean([np.corrcoef(s[:-1], s[1:])[0, 1] for s in x[d.y_train.numpy() == k]]) for k in range(3)]
    assert 0.75 < lag1[0] < 0.95          # AR(1) with phi = 0.9
    assert lag1[2] > 0.5 and abs(lag1[1]) < 0.9  # switching: stays in a state ~20 steps
    switching = x[d.y_train.numpy() == 2]
    assert abs(np.abs(switching).mean() - 1.0) < 0.1  # levels at -1 and +1

# --- PixelCNN ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("first_kernel", [3, 7])
def test_pixelcnn_never_sees_the_pixel_itself_or_the_future(first_kernel):
    config = pixelcnn.Config(image_shape=(1, 8, 8), channels=8, num_layers=3, first_kernel=first_kernel)
    torch.manual_seed(0)
    model = pixelcnn.build(config)
    order = torch.arange(64).view(8, 8)
    for row, col in itertools.product(range(8), range(8)):
        field = pixelcnn.receptive_field(model, row, col)
        assert not field[order >= row * 8 + col].any(), (row, col)
    field = pixelcnn.receptive_field(model, 5, 4)
    assert field[5, 3] and field[4, 4] and field[4, 3]  # and it does see its neighbours to the left and above


def test_a_plain_masked_stack_has_a_blind_spot_that_a_wide_first_layer_covers():
    torch.manual_seed(0)
    plain = pixelcnn.build(pixelcnn.Config(image_shape=(1, 8, 8), channels=8, num_layers=3, first_kernel=3))
    wide = pixelcnn.build(pixelcnn.Config(image_shape=(1, 8, 8), channels=8, num_layers=3, first_kernel=7))
    earlier = torch.arange(64).view(8, 8) < 4 * 8 + 3
    blind_plain = earlier & ~pixelcnn.receptive_field(plain, 4, 3)
    blind_wide = earlier & ~pixelcnn.receptive_field(wide, 4, 3)
    assert blind_plain[3, 5]  # the row above, two to the right: in the blind spot of 3x3 masks
    assert int(blind_wide.sum()) < int(blind_plain.sum()) and not blind_wide[3, 5]


def test_pixelcnn_likelihood_matches_independent_bernoullis_by_hand():
    """With every weight zero and the last bias b, each pixel is ink with probability sigmoid(b), whatever came
    before: log p(x) = n_ink log sigmoid(b) + n_blank log(1 - sigmoid(b))."""
    model = pixelcnn.build(pixelcnn.Config(image_shape=(1, 4, 4), channels=4, num_layers=2))
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()
        model.head[-1].bias.fill_(0.7)
    x = torch.where(torch.rand(5, 1, 4, 4, generator=make_generator(1)) > 0.6, 1.0, -1.0)
    ink = (x > 0).flatten(1).sum(1).double()
    p = 1 / (1 + math.exp(-0.7))
    expected = ink * math.log(p) + (16 - ink) * math.log(1 - p)
    assert torch.allclose(model.log_prob(x).double(), expected, atol=1e-5)


def test_pixelcnn_training_lowers_the_loss_and_completion_keeps_the_given_half():
    d = load_dataset("digits-binary")
    config = pixelcnn.config_for(d, channels=16, num_layers=2)
    model, losses = train_steps(pixelcnn, config, d, 30)
    assert losses[-1] < losses[0] - 5
    known = d.x_test[:3]
    mask = torch.zeros(8, 8, dtype=torch.bool)
    mask[:4] = True
    out = pixelcnn.generate(model.eval(), 3, make_generator(0), known=known, mask=mask)
    assert torch.equal(out[:, :, :4], known[:, :, :4]) and set(out.unique().tolist()) <= {-1.0, 1.0}

# --- Glow ----------------------------------------------------------------------------------------------------


def small_glow(shape=(1, 4, 4), seed=0, trained_steps=3):
    """A small Glow whose actnorms are initialised and whose couplings have moved off the identity."""
    config = glow.Config(image_shape=shape, levels=2, num_scales=2, steps_per_scale=2, hidden=8)
    torch.manual_seed(seed)
    model = glow.build(config)
    trainer = glow.Trainer(model, config)
    x = torch.where(torch.rand(16, *shape, generator=make_generator(seed)) > 0.5, 1.0, -1.0)
    for _ in range(trained_steps):
        trainer.step(x, torch.zeros(16, dtype=torch.long), make_generator(seed))
    return model.eval().double()


def test_glow_log_determinant_matches_slogdet_of_the_full_jacobian():
    model = small_glow()
    y = (torch.rand(1, 1, 4, 4, generator=make_generator(3)) - 0.5).double()

    def f(v):
        zs, _, _ = model.encode(v.view(1, 1, 4, 4))
        return torch.cat([z.flatten() for z in zs])

    jacobian = torch.autograd.functional.jacobian(f, y.flatten())
    _, log_det, _ = model.encode(y)
    log_det = log_det.detach()
    assert float(log_det[0]) == pytest.approx(float(torch.linalg.slogdet(jacobian)[1]), abs=1e-9)
    assert abs(float(log_det[0])) > 0.1  # a real test: the map is not volume-preserving


def test_a_linear_glow_is_the_gaussian_scipy_computes():
    """A fresh Glow (couplings and priors zero-initialised) is linear, f(y) = A y with standard-normal latents, so
    y ~ N(0, (A^T A)^-1); its log_prob must be that Gaussian's log density."""
    config = glow.Config(image_shape=(1, 4, 4), levels=2, num_scales=2, steps_per_scale=2, hidden=8)
    torch.manual_seed(1)
    model = glow.build(config).eval().double()
    y = (torch.rand(3, 1, 4, 4, generator=make_generator(2)) - 0.5).double()

    def f(v):
        return torch.cat([z.flatten() for z in model.encode(v.view(1, 1, 4, 4))[0]])

    a = torch.autograd.functional.jacobian(f, torch.zeros(16, dtype=torch.float64)).numpy()
    covariance = np.linalg.inv(a.T @ a)
    expected = stats.multivariate_normal(np.zeros(16), covariance).logpdf(y.flatten(1).numpy())
    assert np.allclose(model.log_prob_continuous(y).detach().numpy(), expected, atol=1e-8)


def test_glow_inverts_and_its_discrete_bound_is_below_the_continuous_density():
    model = small_glow((1, 8, 8))
    y = (torch.rand(4, 1, 8, 8, generator=make_generator(0)) - 0.5).double()
    zs, _, _ = model.encode(y)
    assert float((model.decode(zs) - y).abs().max().detach()) < 1e-10
    x = glow.quantise(y, 2)
    bound = model.log_prob_bound(x, make_generator(0), samples=4)
    assert bound.shape == (4,) and torch.isfinite(bound).all()
    # a probability of a cell: at most 0 nats
    assert (bound <= 1e-6).all()


def test_glow_temperature_zero_gives_one_image_per_seed_whatever_the_noise():
    model = small_glow((1, 8, 8)).float()
    shapes = model.latent_shapes()
    a = [torch.randn(2, *s, generator=make_generator(1)) for s in shapes]
    b = [torch.randn(2, *s, generator=make_generator(2)) for s in shapes]
    with torch.no_grad():
        assert torch.allclose(model.decode(noises=a, temperature=0.0), model.decode(noises=b, temperature=0.0))
        assert not torch.allclose(model.decode(noises=a, temperature=1.0), model.decode(noises=b, temperature=1.0))


def test_glow_samples_draw_again_the_latents_whose_inverse_explodes():
    """At T = 1 a quarter of glow-fashion's latents send a coupling's scale to 0 and the inverse to NaN (at T = 0.7,
    the default, none of 10,000 since the 8-epoch retraining; 2 in 1,000 before it); sample() draws those rows again
    and keeps the finite rows as they were."""
    from gen_core.core import InferenceCore
    model = InferenceCore("cpu").load("glow-fashion").model
    with torch.inference_mode():
        raw = model.decode(n=256, temperature=1.0, generator=make_generator(0))
        x = glow.sample(model, 256, generator=make_generator(0), temperature=1.0)
    exploded = ~torch.isfinite(raw.flatten(1)).all(1)
    assert 20 < int(exploded.sum()) < 128
    assert torch.isfinite(x).all() and x.shape == (256, 1, 28, 28)
    assert torch.equal(x[~exploded], glow.quantise(raw[~exploded], model.config.levels))


def test_the_temperature_grid_passes_over_draws_that_explode_at_any_temperature():
    """The Likelihood Lab's temperature grid keeps one draw per column at every T: a draw whose inverse explodes at
    T = 1 gives way to the next, so no tile is NaN and the finite columns are the first draws, unchanged."""
    from gen_core.core import InferenceCore
    from gen_core.labs import likelihood as lab
    core = InferenceCore("cpu")
    temperatures = (0.0, 0.7, 1.0)
    out = lab.glow_temperatures(core, "glow-fashion", temperatures, 6, 0)
    grid = out["grid"].view(len(temperatures), 6, 1, 28, 28)
    assert torch.isfinite(grid).all() and out["redrawn"] >= 1
    model = core.load("glow-fashion").model
    generator = make_generator(0)
    noises = [torch.randn(6, *shape, generator=generator) for shape in model.latent_shapes()]
    with torch.inference_mode():
        first = torch.stack([model.decode(noises=noises, temperature=t) for t in temperatures])
    kept = torch.isfinite(first.flatten(2)).all(2).all(0)
    assert 0 < int(kept.sum()) < 6  # seed 0: one of the six first draws explodes at T = 1
    assert torch.equal(grid[:, kept], glow.quantise(first[:, kept], model.config.levels))


def test_glow_training_lowers_the_loss():
    d = load_dataset("digits-binary")
    _, losses = train_steps(glow, glow.config_for(d, steps_per_scale=2, hidden=16), d, 25)
    assert losses[-1] < losses[0] - 2

# --- HMM -----------------------------------------------------------------------------------------------------


def tiny_hmm():
    config = hmm.Config(data_shape=(4, 1), num_states=2, num_classes=1)
    model = hmm.build(config)
    with torch.no_grad():
        model.startprob[0] = torch.tensor([0.7, 0.3], dtype=torch.float64)
        model.transmat[0] = torch.tensor([[0.9, 0.1], [0.25, 0.75]], dtype=torch.float64)
        model.means[0] = torch.tensor([[-1.0], [1.5]], dtype=torch.float64)
        model.covars[0] = torch.tensor([[0.5], [0.8]], dtype=torch.float64)
    return model


def brute_force(model, x):
    """log p(x) and the best path by enumerating all 2^4 hidden paths."""
    start, trans = model.startprob[0].numpy(), model.transmat[0].numpy()
    means, var = model.means[0, :, 0].numpy(), model.covars[0, :, 0].numpy()
    joints = {}
    for path in itertools.product(range(2), repeat=len(x)):
        p = start[path[0]] * np.prod([trans[a, b] for a, b in zip(path, path[1:])])
        p *= np.prod([stats.norm(means[s], np.sqrt(var[s])).pdf(v) for s, v in zip(path, x)])
        joints[path] = p
    best = max(joints, key=joints.get)
    return math.log(sum(joints.values())), np.array(best), math.log(joints[best])


def test_hmm_forward_probability_and_viterbi_match_brute_force_enumeration():
    model = tiny_hmm()
    x = np.array([[-0.8], [1.2], [1.9], [-1.1]])
    expected, best, best_log = brute_force(model, x[:, 0])
    assert float(model.log_likelihoods(torch.from_numpy(x[None]))[0, 0]) == pytest.approx(expected, abs=1e-9)
    log_joint, path, posterior = hmm.viterbi(model, x, 0)
    assert np.array_equal(path, best) and log_joint == pytest.approx(best_log, abs=1e-9)
    assert np.allclose(posterior.sum(1), 1)


def test_hmm_em_raises_the_likelihood_and_the_class_hmms_classify_the_series():
    d = load_dataset("series")
    config = hmm.config_for(d)
    model = hmm.build(config)
    trainer = hmm.Trainer(model, config)
    generator = make_generator(0)
    nll = [trainer.step(d.x_train, d.y_train, generator)["nll"] for _ in range(8)]
    assert all(b <= a + 1e-6 for a, b in zip(nll[1:], nll[2:]))  # EM never lowers the likelihood
    metrics = hmm.evaluate(model, d, generator)
    assert metrics["accuracy"] > 0.9
    samples = hmm.sample(model, 3, generator=generator, label=2)
    assert samples.shape == (3, 64, 1)
    assert (samples.abs().mean() - 1).abs() < 0.3  # the switching class: values near -1 and +1


def test_the_generative_classifier_wins_with_few_examples():
    from gen_core.labs import sequences as sequence_lab
    curve = sequence_lab.learning_curve(load_dataset("series"), sizes=(3, 100))
    assert curve["hmm"][0] > curve["logistic"][0]  # 3 series per class: the HMMs already classify
    assert curve["logistic"][1] > curve["logistic"][0]

# --- the GRU -------------------------------------------------------------------------------------------------


def test_text_model_likelihood_by_hand_with_a_constant_softmax():
    config = rnn.Config(data_shape=(6,), vocabulary="abc", embed=4, hidden=8)
    model = rnn.build(config)
    bias = torch.tensor([0.2, -1.0, 1.3])
    with torch.no_grad():
        model.head.weight.zero_()
        model.head.bias.copy_(bias)
    x = torch.tensor([[0, 1, 2, 2, 0, 1]])
    log_softmax = torch.log_softmax(bias, 0)
    assert float(model.log_prob(x)[0]) == pytest.approx(float(log_softmax[x[0, 1:]].sum()), abs=1e-5)
    assert torch.allclose(rnn.next_distribution(model, x[0]), torch.softmax(bias, 0))


def test_series_model_likelihood_by_hand_with_a_constant_gaussian():
    config = rnn.Config(data_shape=(5, 1), hidden=8)
    model = rnn.build(config)
    with torch.no_grad():
        model.head.weight.zero_()
        model.head.bias.copy_(torch.tensor([0.3, math.log(0.5)]))
    x = torch.tensor([[[0.0], [0.1], [-0.4], [1.2], [0.6]]])
    expected = stats.norm(0.3, 0.5).logpdf(x[0, 1:, 0].numpy()).sum()
    assert float(model.log_prob(x)[0]) == pytest.approx(expected, abs=1e-5)


def test_gru_training_lowers_both_losses_and_continues_sequences():
    text = load_dataset("text:genesis")
    model, losses = train_steps(rnn, rnn.config_for(text, hidden=32), text, 40)
    assert losses[-1] < losses[0] - 1
    codes = rnn.continue_text(model.eval(), sequences.encode("And God", text.vocabulary), 20, 1.0,
                              make_generator(0), n=2)
    assert codes.shape == (2, 20) and int(codes.max()) < len(text.vocabulary)
    series = load_dataset("series")
    model, losses = train_steps(rnn, rnn.config_for(series), series, 40)
    assert losses[-1] < losses[0]
    futures, mean, std = rnn.continue_series(model.eval(), series.x_test[0, :30], 10,
                                             make_generator(0), n=50)
    assert futures.shape == (50, 10, 1) and mean.shape == (29, 1) and (std > 0).all()
    assert futures[:, -1].std() > futures[:, 0].std() * 0.5  # many futures: a spread that does not vanish

# --- the energy model on images ------------------------------------------------------------------------------


def test_image_energy_model_trains_and_its_chains_stay_images():
    d = load_dataset("digits")
    config = ebm.config_for(d, langevin_steps=5, buffer_size=128, sample_steps=10, lr=1e-3)
    model, losses = train_steps(ebm, config, d, 15)
    assert model.chains.shape == (128, 1, 8, 8)
    x = ebm.sample(model.eval(), 4, generator=make_generator(0))
    assert x.shape == (4, 1, 8, 8) and x.min() >= -1 and x.max() <= 1
    with torch.no_grad():
        assert float(model.energy(d.x_test[:64]).mean()) < float(model.energy(model.noise(64)).mean())


def test_the_hmm_learning_curve_a_lesson_reveals_is_shipped_and_still_measures_the_same(monkeypatch):
    """The lesson's reveal shows it: read from assets/likelihood (never 50 HMM fits while a class waits), and its
    first point is what a fresh fit measures now."""
    from gen_core.core import InferenceCore
    from gen_core.data import load_dataset
    from gen_core.labs import sequences
    series = load_dataset(InferenceCore("cpu").load("hmm-series").card["dataset"]["name"])
    fresh = sequences.learning_curve(series, sizes=(3,))
    monkeypatch.setattr(sequences, "learning_curve", lambda *a, **k: (_ for _ in ()).throw(AssertionError("refit")))
    stored = sequences.stored_learning_curve(series)
    assert stored["per_class"] == list(sequences.LEARNING_CURVE_SIZES)
    assert (stored["hmm"][0], stored["logistic"][0]) == (fresh["hmm"][0], fresh["logistic"][0])


def test_the_glow_round_trip_is_exact_to_float32_and_kept_on_disk(genlab_home):
    """The Glow tab's invertibility check: image -> z -> image changes no pixel's level; it is measured once per
    machine (glow-fashion's took 45 s on every visit before it was kept), a second call reads the disk."""
    from gen_core import kept
    from gen_core.core import InferenceCore
    from gen_core.data import load_card_dataset
    from gen_core.labs import likelihood as lab
    core = InferenceCore("cpu")
    dataset = load_card_dataset("digits-binary")
    first = lab.glow_round_trip(core, "glow-digits-binary", dataset)
    assert first["pixels_changed"] == 0 and first["max_error"] < 1e-3
    assert first["images"] == min(len(dataset.x_test), lab.ROUND_TRIP_IMAGES)
    assert first["pixels"] == first["images"] * 64
    measured = len(kept.measured)
    again = lab.glow_round_trip(core, "glow-digits-binary", dataset)
    assert len(kept.measured) == measured and "kept_at" in again  # read, not measured again
    assert again["pixels_changed"] == first["pixels_changed"]
