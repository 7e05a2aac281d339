import math

import pytest
import torch

from gen_core.data import load_dataset
from gen_core.device import make_generator
from gen_core.latent import interpolate
from gen_core.models import family_defaults, gan


def tiny(data_shape=(1, 8, 8), **kw):
    torch.manual_seed(0)
    return gan.build(gan.Config(data_shape=data_shape, z_dim=4, width=8, **kw))


@pytest.mark.parametrize("arch, shape", [("mlp", (1, 8, 8)), ("dcgan", (1, 8, 8)), ("dcgan", (1, 28, 28)),
                                         ("mlp", (2,))])
@pytest.mark.parametrize("num_classes", [0, 3])
def test_shapes_and_ranges(arch, shape, num_classes):
    model = tiny(shape, arch=arch, num_classes=num_classes)
    x = gan.sample(model, 5, generator=make_generator(0))
    assert x.shape == (5, *shape)
    if len(shape) == 3:
        assert x.min() >= -1 and x.max() <= 1
    logits, class_logits = model.discriminate(x, torch.zeros(5, dtype=torch.long) if num_classes else None)
    assert logits.shape == (5,)
    assert (class_logits is None) == (num_classes == 0)


def test_the_value_function_and_losses_by_hand():
    zero = torch.zeros(4)
    assert float(gan.value(zero, zero)) == pytest.approx(-math.log(4))  # D = 1/2 everywhere
    logits = torch.tensor([2.0])
    d = 1 / (1 + math.exp(-2.0))
    assert float(gan.generator_loss("minimax", logits)) == pytest.approx(math.log(1 - d))
    assert float(gan.generator_loss("nonsaturating", logits)) == pytest.approx(-math.log(d))
    assert float(gan.discriminator_loss("hinge", torch.tensor([0.5]), torch.tensor([-2.0]))) == pytest.approx(0.5)
    assert float(gan.discriminator_loss("wgan-gp", torch.tensor([3.0]), torch.tensor([1.0]))) == pytest.approx(-2.0)


def test_gradient_penalty_of_a_linear_critic():
    """l(x) = w . x has gradient w everywhere, so the penalty is (|w| - 1)^2."""
    model = tiny((2,), arch="mlp")
    w = torch.tensor([3.0, 4.0])

    def linear(x, labels=None):
        return x @ w, None
    model.discriminate = linear
    real, fake = torch.randn(8, 2), torch.randn(8, 2)
    assert float(gan.gradient_penalty(model, real, fake, None, make_generator(0))) == pytest.approx(16.0)


@pytest.mark.parametrize("loss", gan.LOSSES)
@pytest.mark.parametrize("family", ["gan", "dcgan", "cgan"])
def test_a_discriminator_step_lowers_its_loss_on_a_fixed_batch(loss, family):
    digits = load_dataset("digits")
    model = gan.build(gan.config_for(digits, **{**family_defaults(family), "loss": loss, "width": 16, "lr_d": 1e-3}))
    trainer = gan.Trainer(model, model.config)
    x, y = digits.x_train[:64], digits.y_train[:64]
    # the same seed draws the same fake batch; G does not move during discriminator steps
    before = trainer.discriminator_step(x, y, make_generator(0))["loss_d"]
    for _ in range(4):
        trainer.discriminator_step(x, y, make_generator(0))
    after = trainer.discriminator_step(x, y, make_generator(0))["loss_d"]
    assert after < before


def test_a_full_step_reports_both_players():
    model = tiny(num_classes=0)
    metrics = gan.Trainer(model, model.config).step(torch.rand(16, 1, 8, 8) * 2 - 1, torch.zeros(16).long(),
                                                    make_generator(0))
    assert set(metrics) == {"loss_d", "loss_g", "d_real", "d_fake", "log_d_real", "log_1m_d_fake"}
    assert 0 < metrics["d_real"] < 1 and metrics["log_d_real"] < 0


def test_truncation_zero_collapses_every_sample_to_one():
    model = tiny(num_classes=0).eval()
    x = gan.sample(model, 6, generator=make_generator(1), truncation=0.0)
    assert torch.allclose(x, x[:1].expand_as(x))
    y = gan.sample(model, 6, generator=make_generator(1), truncation=1.0)
    assert not torch.allclose(y, y[:1].expand_as(y))


def test_conditional_labels_and_class_morph():
    model = tiny(num_classes=3).eval()
    labels = gan.draw_labels(model, 4, make_generator(0), label=2)
    assert labels.tolist() == [2, 2, 2, 2]
    with pytest.raises(ValueError, match="unconditional"):
        gan.draw_labels(tiny(), 2, make_generator(0), label=1)
    z = interpolate(torch.randn(4), torch.randn(4), 5)
    x, d = gan.generate_path(model, z, 0, 2)
    assert x.shape == (5, 1, 8, 8) and d.shape == (5,)
    end, _ = gan.generate_path(model, z[-1:].expand(2, -1), 2, 2)
    assert torch.allclose(x[-1], end[0], atol=1e-5)  # the path ends on class 2 exactly


def test_sample_batch_scores_what_it_draws():
    model = tiny(num_classes=0).eval()
    batch = gan.sample_batch(model, 7, generator=make_generator(3))
    assert batch["x"].shape == (7, 1, 8, 8) and batch["z"].shape == (7, 4) and batch["labels"] is None
    logits, _ = model.discriminate(batch["x"])
    assert torch.allclose(batch["d"], torch.sigmoid(logits), atol=1e-6)
    unjudged = gan.sample_batch(model, 7, generator=make_generator(3), judge=False)
    assert "d" not in unjudged and torch.equal(unjudged["x"], batch["x"])  # the same samples, without D


def test_the_memorisation_check_is_of_the_very_samples_the_grid_shows():
    """GAN Studio draws the grid (samples_batch) and its nearest training images (nearest_training) apart, so the
    grid never waits on the check: the check must find the neighbours of the same samples (known answer: cdist)."""
    from gen_core.core import InferenceCore
    from gen_core.labs import gan as gan_lab
    core, digits = InferenceCore("cpu"), load_dataset("digits")
    labels = tuple(range(10)) * 2
    batch = gan_lab.samples_batch(core, "cgan-digits", 20, 5, 0.8, labels)
    near = gan_lab.nearest_training(core, "cgan-digits", digits, 20, 5, 0.8, labels)
    exact = torch.cdist(batch["x"].flatten(1), digits.x_train.flatten(1)).topk(4, largest=False)
    assert torch.equal(near["close"], exact.indices) and torch.allclose(near["close_distance"], exact.values, atol=1e-4)
    assert torch.equal(near["nearest"], exact.indices[:, 0])


def test_bad_configs_name_the_choices():
    with pytest.raises(ValueError, match="unknown loss 'lsgan'"):
        gan.Config(loss="lsgan")
    with pytest.raises(ValueError, match="dcgan architecture needs images"):
        gan.Config(data_shape=(2,), arch="dcgan")


# --- the progressive GAN (arch "progressive") ----------------------------------------------------------------

def test_the_progressive_schedule_holds_then_fades_each_resolution_in():
    assert [gan.level_at(i, 500, 1) for i in (0, 499, 500, 750, 1000, 5000)] == [0.0, 0.0, 0.0, 0.5, 1.0, 1.0]
    assert [gan.level_at(i, 10, 2) for i in (0, 10, 15, 20, 30, 35, 40)] == [0.0, 0.0, 0.5, 1.0, 1.0, 1.5, 2.0]
    assert gan.split_level(1.25) == (2, 0.25) and gan.split_level(1.0) == (1, 0.0)


@pytest.mark.parametrize("shape", [(1, 8, 8), (1, 28, 28)])
def test_progressive_networks_work_at_every_level(shape):
    model = gan.build(gan.Config(arch="progressive", data_shape=shape))
    top = model.generator.top
    with torch.no_grad():
        for level in [k / 2 for k in range(2 * top + 1)]:
            x = model.generator(torch.randn(3, 32), None, level)
            logits, _ = model.discriminator(x, None, level)
            assert x.shape == (3, *shape) and logits.shape == (3,) and x.abs().max() <= 1
        coarse = model.generator(torch.randn(3, 32), None, 0.0)
    block = 2 ** top  # at level 0 the image is the lowest resolution, upsampled: constant blocks
    assert torch.equal(coarse, coarse[:, :, ::block, ::block].repeat_interleave(block, 2).repeat_interleave(block, 3))


def test_progressive_training_follows_the_schedule():
    digits = load_dataset("digits")
    config = gan.Config(arch="progressive", grow_steps=2, batch_size=32)
    torch.manual_seed(0)
    model = gan.build(config)
    trainer = gan.Trainer(model, config)
    levels = []
    for _ in range(6):
        trainer.step(digits.x_train[:32], digits.y_train[:32], make_generator(0))
        levels.append(float(model.generator.level))
    assert levels == [0.0, 0.0, 0.0, 0.5, 1.0, 1.0] and float(model.discriminator.level) == 1.0
