"""The shipped GAN checkpoints do what the GAN Studio says they do."""
import numpy as np
import pytest
import torch

from gen_core import checkpoints, metrics, sample
from gen_core.core import InferenceCore
from gen_core.data import load_dataset

SHIPPED_GANS = ["gan-digits", "gan-digits-collapsed", "gan-digits-imbalanced", "dcgan-digits", "cgan-digits",
                "dcgan-shapes", "cgan-shapes", "progan-digits"]


@pytest.fixture(scope="module")
def core():
    return InferenceCore("cpu")


@pytest.mark.parametrize("name, bar", [("cgan-digits", 0.95),
                                       # the CPU-trained shapes GAN: 73.6% at training time
                                       ("cgan-shapes", 0.65)])
def test_conditional_samples_are_their_class_for_an_independent_classifier(core, name, bar):
    """An RBF SVC fitted on the real images recognises class-k samples as class k (digits: at least 95%)."""
    dataset = load_dataset(checkpoints.read_card(checkpoints.resolve(name))["dataset"]["name"])
    accuracy = metrics.conditional_accuracy(
        lambda label, n: core.sample(name, n, seed=100 + label, label=label), dataset, per_class=100)
    assert accuracy >= bar, f"{name}: {accuracy:.3f}"


def test_the_collapsed_gan_covers_visibly_fewer_classes(core):
    digits = load_dataset("digits")
    healthy = metrics.class_metrics(digits, core.sample("gan-digits", 1000, seed=1))
    collapsed = metrics.class_metrics(digits, core.sample("gan-digits-collapsed", 1000, seed=1))
    assert collapsed["classes_covered"] <= healthy["classes_covered"] - 4
    assert collapsed["class_kl_from_uniform"] > 3 * healthy["class_kl_from_uniform"]
    assert max(collapsed["class_histogram"]) > 0.5  # one class takes over


@pytest.mark.parametrize("name", SHIPPED_GANS)
def test_sample_cli_works_for_every_shipped_gan(name, tmp_path):
    assert sample.main([name, "--n", "12", "--seed", "3", "--out", str(tmp_path / "s.npy")]) == 0
    x = np.load(tmp_path / "s.npy")
    shape = tuple(checkpoints.read_card(checkpoints.resolve(name))["dataset"]["shape"])
    assert x.shape == (12, *shape) and x.dtype == np.float32 and 0 <= x.min() and x.max() <= 1
    assert sample.main([name, "--n", "9", "--out", str(tmp_path / "s.png")]) == 0


def test_sample_cli_label_draws_that_class(tmp_path):
    assert sample.main(["cgan-digits", "--n", "50", "--label", "4", "--out", str(tmp_path / "four.npy")]) == 0
    x = np.load(tmp_path / "four.npy") * 2 - 1  # back to the registry's [-1, 1]
    import torch
    predicted = metrics.predict_classes(load_dataset("digits"), torch.from_numpy(x))
    assert (predicted == 4).mean() >= 0.9


def test_shipped_cards_keep_each_steps_history_and_snapshots():
    for name in SHIPPED_GANS:
        path = checkpoints.resolve(name)
        card = checkpoints.read_card(path)
        history = card["history"]
        assert len(history["step"]) == card["steps"]  # every step kept
        for key in ("loss_d", "loss_g", "d_real", "d_fake", "log_d_real", "log_1m_d_fake"):
            assert len(history[key]) == card["steps"]
        snaps = checkpoints.load_snapshots(path)
        assert len(snaps) >= 6 and min(snaps) == 0 and max(snaps) == card["steps"]


def test_the_imbalanced_gan_shows_the_discriminator_winning():
    """The syllabus's generator/discriminator imbalance: D learns to reject every sample, so G gets no signal."""
    history = checkpoints.read_card(checkpoints.resolve("gan-digits-imbalanced"))["history"]
    assert np.mean(history["d_real"][-100:]) > 0.99 and np.mean(history["d_fake"][-100:]) < 0.01
    healthy = checkpoints.read_card(checkpoints.resolve("gan-digits"))["history"]
    assert 0.2 < np.mean(healthy["d_fake"][-100:]) < 0.8


def test_the_progressive_gan_grew_from_4x4_to_8x8_and_covers_the_digits(core):
    """progan-digits: fully grown, every digit among its samples, and its snapshots show the growth: blocks of
    2x2 equal pixels while it worked at 4x4 (before step 500), detail at the end."""
    loaded = core.load("progan-digits")
    assert float(loaded.model.generator.level) == 1.0 == float(loaded.model.discriminator.level)
    digits = load_dataset("digits")
    assert metrics.class_metrics(digits, core.sample("progan-digits", 1000, seed=1))["classes_covered"] >= 9
    snapshots = checkpoints.load_snapshots(loaded.path)
    early = snapshots[max(step for step in snapshots if 0 < step < 500)]
    late = snapshots[max(snapshots)]
    blocky = lambda x: torch.equal(x, x[:, :, ::2, ::2].repeat_interleave(2, 2).repeat_interleave(2, 3))  # noqa: E731
    assert blocky(early) and not blocky(late)
