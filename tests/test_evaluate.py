"""gen_core.evaluate: each measure on a known answer, then the command on shipped checkpoints."""
import subprocess
import sys

import numpy as np
import pytest
import torch

from gen_core import evaluate
from gen_core.core import InferenceCore
from gen_core.data import load_dataset
from gen_core.errors import GenLabError


def test_frechet_distance_known_answers():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(4000, 3))
    assert evaluate.frechet_distance(a, a) == pytest.approx(0, abs=1e-8)  # identical sets
    # N(0, I) against N(m, 4 I) in 3-D: |m|^2 + 3 (1 + 4 - 2 * 2) = |m|^2 + 3, with sampling error
    b = rng.normal(size=(4000, 3)) * 2 + np.array([1.0, 2.0, 0.0])
    assert evaluate.frechet_distance(a, b) == pytest.approx(5 + 3, rel=0.05)
    dead = np.c_[a, np.zeros(len(a))]  # a feature that never fires: singular covariance, still finite
    assert evaluate.frechet_distance(dead, dead) == pytest.approx(0, abs=1e-8)


def test_precision_recall_known_answers():
    rng = np.random.default_rng(1)
    real = rng.normal(size=(500, 4))
    same = evaluate.precision_recall(real, real)
    assert same == {"precision": 1.0, "recall": 1.0}
    repeated = np.repeat(real[:1], 500, 0)  # one image, repeated: inside the real manifold, covering none of it
    found = evaluate.precision_recall(repeated, real)
    assert found["precision"] == 1.0 and found["recall"] < 0.02


def test_memorisation_rate_known_answers():
    d = load_dataset("digits")
    train, test = d.x_train.flatten(1).numpy(), d.x_test.flatten(1).numpy()
    assert evaluate.memorisation_rate(train[:200], train, test)["memorised"] == 1.0   # copies of training images
    held_out = evaluate.memorisation_rate(test, train, test)["memorised"]
    assert held_out == pytest.approx(evaluate.MEMORISED_QUANTILE, abs=0.01)           # by construction


def test_train_on_generated_against_real():
    d = load_dataset("digits")
    x, y = d.x_train.flatten(1).numpy(), d.y_train.numpy()
    xt, yt = d.x_test.flatten(1).numpy(), d.y_test.numpy()
    found = evaluate.train_on_generated(x, y, x, y, xt, yt)  # "generated" = real: both the same
    assert found["accuracy_trained_on_generated"] == found["accuracy_trained_on_real"] > 0.9
    shuffled = evaluate.train_on_generated(x, np.random.default_rng(0).permutation(y), x, y, xt, yt)
    assert shuffled["accuracy_trained_on_generated"] < 0.3  # labels that say nothing teach nothing


@pytest.fixture(scope="module")
def core():
    return InferenceCore("cpu")


def test_a_collapsed_gan_scores_worse_than_a_healthy_one(core):
    settings = evaluate.Settings(metric_samples=300, train_samples=600)
    healthy = evaluate.evaluate(core, "gan-digits", settings)
    collapsed = evaluate.evaluate(core, "gan-digits-collapsed", settings)
    assert healthy["fd"] > healthy["fd_floor"] > 0
    assert collapsed["fd"] > 3 * healthy["fd"]
    assert collapsed["recall"] < healthy["recall"] and collapsed["classes_covered"] < healthy["classes_covered"]
    assert collapsed["accuracy_trained_on_generated"] < healthy["accuracy_trained_on_generated"]
    assert healthy["labels"] == "reference classifier"
    vae = evaluate.evaluate(core, "vae-digits", evaluate.Settings(metric_samples=100, train_samples=0))
    assert vae["likelihood"].startswith("ELBO") and vae["nll_nats"] > 0 and "accuracy_trained_on_real" not in vae
    assert vae["bits_per_dim"] == pytest.approx(vae["nll_nats"] / (64 * np.log(2)))


def test_conditional_models_train_on_the_labels_they_were_asked_for(core):
    found = evaluate.evaluate(core, "cgan-digits", evaluate.Settings(metric_samples=100, train_samples=300))
    assert found["labels"] == "asked for" and found["train_samples"] == 300


@pytest.mark.parametrize("name, message", [("ddpm-ring8", "2-D model"), ("cyclegan-digits-invert", "translates"),
                                           ("no-such-model", "no-such-model")])
def test_what_cannot_be_evaluated_gets_one_line(core, name, message):
    with pytest.raises(GenLabError, match=message):
        evaluate.evaluate(core, name, evaluate.Settings(metric_samples=10, train_samples=0))


def test_the_command_prints_the_table():
    done = subprocess.run([sys.executable, "-m", "gen_core.evaluate", "gan-digits", "--samples", "200",
                           "--train-samples", "400"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    header, row = done.stdout.splitlines()[:2]
    assert header.split()[:3] == ["checkpoint", "FD", "floor"] and row.startswith("gan-digits")
    bad = subprocess.run([sys.executable, "-m", "gen_core.evaluate", "gan-digits", "--samples", "0"],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and bad.stderr.strip().splitlines() == [
        "error: --samples must be between 10 and 50000, got 0"]
