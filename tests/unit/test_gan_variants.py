"""The GAN variants' networks and ideas on known answers: adaptive instance norm, style mixing, self-attention,
BigGAN's truncated latents and orthogonal regularisation, R1; a training step of each; bad configs."""
import math

import pytest
from gen_core.device import make_generator
import torch
import torch.nn.functional as F

from gen_core.labs import gan as gan_lab
from gen_core.data import load_dataset
from gen_core.models import family_defaults, gan
from gen_core.models.gan.variants import SelfAttention, adaptive_instance_norm


def build(family, data_shape=(1, 8, 8), **overrides):
    defaults = family_defaults(family)
    conditional = defaults.pop("conditional", False)
    config = gan.Config(**{**dict(data_shape=data_shape, width=8, z_dim=8, batch_size=8,
                                  num_classes=10 if conditional else 0), **gan.ARCH_DEFAULTS[defaults["arch"]],
                           **defaults, **overrides})
    torch.manual_seed(0)
    return gan.build(config).eval()


def test_adaptive_instance_norm_gives_each_feature_map_the_style_s_mean_and_spread():
    torch.manual_seed(0)
    h = torch.randn(2, 3, 6, 6) * 5 + 2
    scale, shift = torch.tensor([[1.0, 2.0, 0.5], [3.0, 1.0, 1.0]]), torch.tensor([[0.0, -1.0, 4.0], [1.0, 1.0, 1.0]])
    out = adaptive_instance_norm(h, scale, shift)
    assert torch.allclose(out.mean((2, 3)), shift, atol=1e-5)                       # StyleGAN eq. 1
    assert torch.allclose(out.std((2, 3), unbiased=False), scale, atol=1e-3)
    # where the features lie is kept: the same pattern, only rescaled
    assert torch.allclose(F.instance_norm(out, eps=1e-5), F.instance_norm(h, eps=1e-5), atol=1e-3)


def test_self_attention_rows_are_distributions_and_start_as_the_identity():
    torch.manual_seed(0)
    layer = SelfAttention(16)
    x = torch.randn(2, 16, 5, 5)
    layer.keep_map = True
    y = layer(x)
    assert torch.equal(y, x)  # gamma = 0 at the start: attention adds nothing until training turns it up
    beta = layer.last_map
    assert beta.shape == (2, 25, 25)
    assert torch.allclose(beta.sum(-1), torch.ones(2, 25))
    with torch.no_grad():
        layer.gamma.fill_(1.0)
    assert not torch.allclose(layer(x), x)


def test_attention_of_a_pixel_maps_image_coordinates_to_the_layer_grid():
    beta = torch.softmax(torch.randn(16, 16), -1)  # a 4x4 layer under an 8x8 image
    assert torch.equal(gan_lab.attention_of_pixel(beta, 4, 8, 5, 2), beta[2 * 4 + 1].view(4, 4))
    with pytest.raises(ValueError, match="outside"):
        gan_lab.attention_of_pixel(beta, 4, 8, 8, 0)
    uniform = gan_lab.attention_spread(torch.full((3, 16, 16), 1 / 16))
    assert uniform["entropy"] == pytest.approx(math.log(16))


def test_truncated_latents_stay_inside_and_shrink_monotonically_with_the_threshold():
    model = build("biggan")
    previous = None
    for threshold in (0.1, 0.5, 1.0, 2.0, 8.0):
        z = gan.truncated_latents(model, 4000, threshold, make_generator(3))
        assert z.abs().max() <= threshold + 1e-6
        if previous is not None:  # the same uniforms: every coordinate moves outwards as the threshold grows
            assert torch.all(z.abs() >= previous.abs() - 1e-6)
        previous = z
    assert previous.mean().abs() < 0.02 and previous.std() == pytest.approx(1.0, abs=0.02)  # 8: a plain normal


def test_orthogonal_penalty_is_zero_for_orthogonal_filters_and_the_off_diagonal_gram_otherwise():
    layer = torch.nn.Linear(4, 3, bias=False)
    with torch.no_grad():
        layer.weight.copy_(torch.linalg.qr(torch.randn(4, 4))[0][:3] * 2.5)  # orthogonal rows of any length
    assert float(gan.orthogonal_penalty(layer).detach()) == pytest.approx(0.0, abs=1e-9)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[1.0, 0, 0, 0], [1.0, 1, 0, 0], [0, 0, 1.0, 0]]))
    assert float(gan.orthogonal_penalty(layer).detach()) == pytest.approx(2.0)  # the two off-diagonal entries of 1


def test_style_mixing_takes_the_first_layers_from_one_source_and_the_rest_from_the_other():
    model = build("stylegan")
    z_a, z_b = torch.randn(3, 8), torch.randn(3, 8)
    a, b = gan_lab.style_mix(model, z_a, z_a), gan_lab.style_mix(model, z_b, z_b)
    steps = model.generator.num_styles
    assert torch.allclose(gan_lab.style_mix(model, z_a, z_b, crossover=steps), a)
    assert torch.allclose(gan_lab.style_mix(model, z_a, z_b, crossover=0), b)
    mixed = gan_lab.style_mix(model, z_a, z_b)
    assert not torch.allclose(mixed, a) and not torch.allclose(mixed, b)
    sheet = gan_lab.mixing_grid(model, z_a[:2], z_b)
    assert sheet.shape == (3 * 4, 1, 8, 8)
    assert torch.allclose(sheet[1:4], b) and torch.allclose(sheet[4], a[0])  # first row, first column: the sources


def test_stylegan_truncation_in_w_reaches_the_mean_style_at_psi_zero():
    model = build("stylegan")
    with torch.no_grad():
        model.generator.w_avg.normal_()
    x = gan.sample(model, 6, generator=make_generator(0), truncation=0.0)
    noiseless = [torch.zeros_like(n) for n in model.generator.draw_noises(6, None)]
    same_w = model.generator.synthesise(model.generator.w_avg.expand(6, model.generator.num_styles, -1), noiseless)
    # psi = 0: every sample has the mean style; only the per-pixel noise still differs (its strength starts at 0)
    assert torch.allclose(x, same_w, atol=1e-6)


def test_noise_inputs_change_the_image_only_where_they_are_let_in():
    model = build("stylegan")
    with torch.no_grad():
        for layer in model.generator.layers:
            layer.noise_strength.fill_(0.5)
    z = torch.randn(1, 8)
    everywhere = gan_lab.noise_effect(model, z, 4, make_generator(0), "all")
    assert everywhere["images"].shape == (4, 1, 8, 8) and float(everywhere["std"].max()) > 0
    with torch.no_grad():
        for layer in model.generator.layers:
            layer.noise_strength.zero_()
    silent = gan_lab.noise_effect(model, z, 4, make_generator(0), "all")
    assert float(silent["std"].max()) < 1e-6  # no strength, no effect
    with pytest.raises(ValueError, match="layers"):
        gan_lab.noise_effect(model, z, 4, torch.Generator(), "middle")


def test_r1_penalty_is_added_on_real_data():
    model = build("stylegan", r1_weight=0.0)
    x = torch.rand(8, 1, 8, 8) * 2 - 1
    y = torch.zeros(8, dtype=torch.long)
    losses = []
    for weight in (0.0, 10.0):
        torch.manual_seed(0)
        m = build("stylegan", r1_weight=weight).train()
        trainer = gan.Trainer(m, m.config)
        losses.append(trainer.discriminator_step(x, y, make_generator(1))["loss_d"])
    grad_x = x.clone().requires_grad_(True)
    logits, _ = build("stylegan").train().discriminate(grad_x)
    grad, = torch.autograd.grad(logits.sum(), grad_x)
    assert losses[1] - losses[0] == pytest.approx(5.0 * float(grad.square().flatten(1).sum(1).mean()), rel=1e-3)
    assert model.config.r1_weight == 0.0


@pytest.mark.parametrize("family, shape", [("biggan", (1, 8, 8)), ("sagan", (1, 16, 16)), ("stylegan", (1, 8, 8))])
def test_a_few_discriminator_steps_on_a_fixed_batch_lower_its_loss(family, shape):
    model = build(family, data_shape=shape).train()
    trainer = gan.Trainer(model, model.config)
    x = torch.rand(8, *shape) * 2 - 1
    y = torch.arange(8) % 10
    fake, labels = trainer.generate_batch(8, make_generator(0))
    losses = [trainer.discriminator_step(x, y, make_generator(1), fake, labels)["loss_d"]
              for _ in range(15)]
    assert losses[-1] < losses[0], losses
    full = trainer.step(x, y, make_generator(2))
    assert math.isfinite(full["loss_g"]) and math.isfinite(full["loss_d"])


@pytest.mark.parametrize("overrides, message", [
    (dict(arch="dcgan", attention=True), "attention"),
    (dict(arch="stylegan", num_classes=10), "unconditional"),
    (dict(arch="biggan", ortho_weight=-1.0), "ortho_weight"),
    (dict(arch="stylegan", mixing=1.5), "mixing"),
    (dict(arch="biggan", attention=True, data_shape=(1, 4, 4)), "side 8"),
])
def test_bad_variant_configs_say_what_is_wrong(overrides, message):
    with pytest.raises(ValueError, match=message):
        gan.Config(**overrides)


def test_the_truncation_curve_trades_fidelity_for_variety_on_a_small_model():
    """Measured on an untrained conditional model: the within-class spread must grow with the threshold, since
    every z coordinate moves outwards (the shipped model's curve is checked in test_shipped_gan_variants)."""
    model = build("biggan")
    rows = gan_lab.truncation_curve(model, load_dataset("digits"), thresholds=(0.1, 0.5, 2.0), per_class=10)
    assert [r["threshold"] for r in rows] == [0.1, 0.5, 2.0]
    spreads = [r["spread"] for r in rows]
    assert spreads == sorted(spreads) and spreads[0] < spreads[-1]
    with pytest.raises(ValueError, match="class-conditional"):
        gan_lab.truncation_curve(build("stylegan"), load_dataset("digits"))


def test_minibatch_spread_keeps_gradients_finite_for_identical_samples():
    """A collapsed generator sends identical samples: the plain std's gradient would be NaN there (it was, and
    training diverged at step 1633)."""
    model = build("stylegan").train()
    x = torch.zeros(8, 1, 8, 8, requires_grad=True)
    logits, _ = model.discriminate(x)
    grad, = torch.autograd.grad(logits.sum(), x)
    assert torch.isfinite(grad).all()


def test_attention_on_the_shape_counts_the_weight_on_inked_positions():
    images = -torch.ones(1, 1, 8, 8)
    images[0, 0, :4, :4] = 1.0                      # ink in the top-left quarter
    uniform = torch.full((1, 4, 4), 1 / 16)
    found = gan_lab.attention_on_shape(uniform, images)
    assert found["shape_share"] == pytest.approx(0.25) and found["weight_on_shape"] == pytest.approx(0.25)
    on_ink = torch.zeros(1, 4, 4)
    on_ink[0, 0, 1] = 1.0                           # all the weight on one inked position
    assert gan_lab.attention_on_shape(on_ink, images)["weight_on_shape"] == pytest.approx(1.0)
