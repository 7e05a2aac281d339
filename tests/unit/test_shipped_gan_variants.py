"""The shipped GAN variants do what the GAN Studio says: every one covers at least 9 of 10 classes, StyleGAN's
mixed samples take the class of their coarse source, SAGAN's attention maps are distributions far from uniform,
and BigGAN's truncation curve is monotone."""
import math

import pytest
from gen_core.device import make_generator
import torch

from gen_core import metrics
from gen_core.labs import gan as gan_lab
from gen_core.core import InferenceCore
from gen_core.data import load_dataset

VARIANTS = ("biggan-digits", "biggan-digits-batch8", "sagan-shapes", "stylegan-digits")


@pytest.fixture(scope="module")
def core():
    return InferenceCore("cpu")


@pytest.mark.parametrize("name", ("biggan-digits", "sagan-shapes", "stylegan-digits"))
def test_each_variant_covers_at_least_nine_classes(core, name):
    dataset = load_dataset(core.load(name).card["dataset"]["name"])
    found = metrics.class_metrics(dataset, core.sample(name, 1000, seed=5))
    assert found["classes_covered"] >= 9, found


def test_stylegan_mixes_take_the_class_of_their_coarse_source(core):
    digits = load_dataset("digits")
    found = core.run("stylegan-digits", lambda m: gan_lab.mixing_agreement(
        m.model, digits, gan_lab.MIXING_PAIRS, make_generator(11)))
    assert found.pairs > 600
    assert found.follows_coarse >= 0.9 and found.follows_fine < 0.1, found


def test_stylegan_noise_changes_detail_but_not_the_class(core):
    digits = load_dataset("digits")

    def run(loaded):
        z = torch.randn(20, loaded.model.config.z_dim, generator=make_generator(2))
        kept = []
        for k in range(20):
            drawn = gan_lab.noise_effect(loaded.model, z[k:k + 1], 8, make_generator(k))
            classes = metrics.predict_classes(digits, drawn["images"])
            kept.append(float((classes == classes[0]).mean()))
            assert 0 < float(drawn["std"].mean()) < 0.2  # it changes something, and only a little
        return sum(kept) / len(kept)
    assert core.run("stylegan-digits", run) >= 0.9


def test_sagan_attention_maps_sum_to_one_and_are_far_from_uniform(core):
    def run(loaded):
        z = torch.randn(16, loaded.model.config.z_dim, generator=make_generator(0))
        return gan_lab.generate_with_attention(loaded.model, z, torch.arange(16) % 10)
    result = core.run("sagan-shapes", run)
    beta = result["beta"]
    assert result["side"] == 14 and beta.shape == (16, 196, 196)
    assert torch.allclose(beta.sum(-1), torch.ones(16, 196), atol=1e-4)
    spread = gan_lab.attention_spread(beta)
    assert spread["entropy"] < spread["uniform_entropy"] - 0.5, spread
    assert abs(float(core.load("sagan-shapes").model.generator.attention.gamma.detach())) > 0.05  # training turned it on


def test_biggan_truncation_curve_is_monotone(core):
    """Recomputed from the shipped model (the same function wrote the card's curve): as the threshold grows,
    variety (the spread within a class, and recall) rises and fidelity (the share read as the class asked for)
    falls."""
    digits = load_dataset("digits")
    rows = core.run("biggan-digits", lambda m: gan_lab.truncation_curve(m.model, digits))
    card_curve = core.load("biggan-digits").card["metrics"]["truncation_curve"]
    assert [r["spread"] for r in rows] == pytest.approx(card_curve["spread"], abs=1e-4)
    spread = [r["spread"] for r in rows]
    recall = [r["recall"] for r in rows]
    fidelity = [r["label_accuracy"] for r in rows]
    assert all(a < b for a, b in zip(spread, spread[1:])), spread
    assert all(a <= b + 0.01 for a, b in zip(recall, recall[1:])) and recall[-1] > recall[0] + 0.2, recall
    assert all(a >= b - 0.01 for a, b in zip(fidelity, fidelity[1:])) and fidelity[0] > fidelity[-1], fidelity


def test_the_larger_batch_does_better_in_the_same_number_of_steps(core):
    big, small = core.load("biggan-digits").card, core.load("biggan-digits-batch8").card
    assert big["steps"] == small["steps"]
    assert big["config"]["batch_size"] == 8 * small["config"]["batch_size"]
    assert big["metrics"]["label_accuracy"] > small["metrics"]["label_accuracy"]


@pytest.mark.parametrize("name", VARIANTS)
def test_every_variant_card_says_how_it_was_trained(core, name):
    card = core.load(name).card
    assert card["command"].startswith("python -m gen_core.train ") and card["family"] in card["command"]
    assert all(math.isfinite(v) for v in card["metrics"].values() if isinstance(v, float))
