"""Order-agnostic autoregressive diffusion (gen_core/models/ardm.py): the bound by hand for a model that knows
nothing, the training estimate unbiased for the same bound, the network blind to the pixels it has not been
given, generation in any order (and inpainting), and a real training run that lowers the bound."""
import math

import pytest
import torch

from gen_core.data import load_dataset
from gen_core.device import make_generator
from gen_core.models import ardm


def tiny(seed=0, **overrides):
    torch.manual_seed(seed)
    return ardm.build(ardm.Config(image_shape=(1, 4, 4), channels=16, num_layers=2, **overrides)).eval()


def images(n=6, side=4, seed=1):
    return torch.where(torch.rand(n, 1, side, side, generator=make_generator(seed)) > 0.5, 1.0, -1.0)


def test_a_model_that_knows_nothing_gives_every_image_d_log_2_nats():
    model = tiny()
    with torch.no_grad():
        model.head[-1].weight.zero_()
        model.head[-1].bias.zero_()  # every logit 0: p(ink) = 1/2 for every pixel, whatever is known
    x = images()
    bound = model.log_prob_bound(x, make_generator(0))
    assert torch.allclose(bound, torch.full((6,), -16 * math.log(2)), atol=1e-5)
    # the training estimate, D / (D - t + 1) times the unknown pixels' cross-entropy, is exact for every t
    for seed in range(5):
        out = ardm.training_loss(model, x, make_generator(seed))
        assert float(out["loss"].detach()) == pytest.approx(16 * math.log(2), abs=1e-4)


def test_the_training_estimate_and_the_full_order_sum_estimate_the_same_bound():
    model = tiny(seed=3)
    with torch.no_grad():
        model.head[-1].weight.mul_(20)  # sharpen the predictions so the orders disagree
    x = images(1, seed=5).expand(4000, -1, -1, -1)
    with torch.no_grad():
        full = -model.log_prob_bound(x[:1000], make_generator(0))
        steps = torch.stack([ardm.training_loss(model, x[:1], make_generator(s))["loss"] for s in range(3000)])
    spread = math.sqrt(float(full.var()) / len(full) + float(steps.var()) / len(steps))
    assert float(full.std()) > 0.05  # the orders matter for this model ...
    assert abs(float(full.mean()) - float(steps.mean())) < 4 * spread  # ... and both estimate E_sigma -log p(x|sigma)


def test_the_network_never_sees_a_pixel_it_was_not_given():
    model = tiny()
    bits = ardm.to_bits(images(1))
    known = torch.zeros_like(bits, dtype=torch.bool)
    known[..., :2, :] = True  # the top two rows given
    flipped = bits.clone()
    flipped[..., 2:, :] = 1 - flipped[..., 2:, :]  # change every pixel that was not given
    assert torch.equal(model.logits(bits, known), model.logits(flipped, known))
    flipped[..., 0, 0] = 1 - flipped[..., 0, 0]  # and a given one does matter
    assert not torch.equal(model.logits(bits, known), model.logits(flipped, known))


def test_generation_fills_every_pixel_once_in_the_order_asked():
    model = tiny()
    for order, expected_first in (("raster", [0, 1, 2, 3]), ("random", None)):
        calls = []
        out = ardm.generate(model, 3, make_generator(7), order=order,
                            on_step=lambda positions, p, bits, drawn: calls.append(positions.clone()))
        assert out.shape == (3, 1, 4, 4) and set(out.unique().tolist()) <= {-1.0, 1.0}
        filled = torch.cat(calls, 1)
        assert len(calls) == 16 and all(sorted(row.tolist()) == list(range(16)) for row in filled)
        if expected_first:
            assert filled[0, :4].tolist() == expected_first
        else:
            assert filled[0].tolist() != list(range(16)) and not torch.equal(filled[0], filled[1])
    calls.clear()
    ardm.generate(model, 2, make_generator(7), pixels_per_step=4, on_step=lambda *a: calls.append(a[0]))
    assert len(calls) == 4 and calls[0].shape == (2, 4)  # parallel generation: four calls for 16 pixels


def test_given_pixels_are_kept_and_the_rest_completed():
    model = tiny()
    x = images(1)
    mask = torch.zeros(4, 4, dtype=torch.bool)
    mask[::2, ::2] = True  # any shape, not only a top half
    out = ardm.generate(model, 5, make_generator(2), known=x.expand(5, -1, -1, -1), mask=mask)
    assert torch.equal(out[:, 0][:, mask], x[0, 0][mask].expand(5, -1))
    assert len({tuple(o.flatten().tolist()) for o in out}) > 1  # the rest is drawn, differently per sample
    with pytest.raises(ValueError, match="order"):
        ardm.generate(model, 1, make_generator(0), order="spiral")


def test_seeded_samples_repeat():
    model = tiny()
    a = ardm.sample(model, 4, generator=make_generator(11))
    b = ardm.sample(model, 4, generator=make_generator(11))
    assert torch.equal(a, b) and not torch.equal(a, ardm.sample(model, 4, generator=make_generator(12)))


def test_training_on_binarised_digits_lowers_the_bound():
    dataset = load_dataset("digits-binary")
    config = ardm.config_for(dataset, channels=32, num_layers=3)
    torch.manual_seed(0)
    model = ardm.build(config)
    trainer = ardm.Trainer(model, config)
    x = dataset.x_test[:128]
    with torch.no_grad():
        before = float(-model.eval().log_prob_bound(x, make_generator(0)).mean())
    order = make_generator(0)
    for _ in range(3):
        for xb, yb in dataset.batches(64, order):
            trainer.step(xb, yb, make_generator(1))
    with torch.no_grad():
        after = float(-model.eval().log_prob_bound(x, make_generator(0)).mean())
    assert before > 40 and after < before - 10  # nats per image: 64 ln 2 = 44.4 knows nothing
