"""Mode-collapse metrics against hand-made cases."""
import math

import numpy as np
import pytest

from gen_core.data import load_dataset
from gen_core.mode_metrics import mode_metrics, precision_recall

RING = load_dataset("ring8")


def test_all_samples_on_one_mode_cover_one_mode():
    samples = np.repeat(RING.modes[:1], 2500, axis=0)
    m = mode_metrics(samples, RING.modes, RING.mode_std)
    assert m["modes_covered"] == 1 and m["high_quality"] == 1.0
    assert m["reverse_kl"] == pytest.approx(math.log(8))


def test_samples_spread_evenly_cover_every_mode_with_zero_kl():
    samples = np.repeat(RING.modes, 100, axis=0)
    m = mode_metrics(samples, RING.modes, RING.mode_std)
    assert m["modes_covered"] == 8 and m["reverse_kl"] == pytest.approx(0.0, abs=1e-12)
    assert m["mode_histogram"] == pytest.approx([1 / 8] * 8)


def test_samples_far_from_every_mode_are_not_high_quality():
    samples = np.zeros((100, 2))  # the ring's centre: distance 1 = 100 standard deviations from each mode
    m = mode_metrics(samples, RING.modes, RING.mode_std)
    assert m["high_quality"] == 0.0 and m["modes_covered"] == 0 and m["reverse_kl"] == math.inf


def test_half_good_half_bad_and_two_modes():
    good = np.repeat(RING.modes[:2], 50, axis=0) + 0.02  # 2 std away: still high quality
    bad = np.repeat(RING.modes[:1], 100, axis=0) + 0.05  # 5 std away
    m = mode_metrics(np.vstack([good, bad]), RING.modes, RING.mode_std)
    assert m["high_quality"] == pytest.approx(0.5)
    assert m["modes_covered"] == 2
    assert m["reverse_kl"] == pytest.approx(math.log(4))  # q = (1/2, 1/2) against p = 1/8 each


def test_min_count_makes_coverage_stricter():
    samples = np.vstack([np.repeat(RING.modes[:1], 99, axis=0), RING.modes[1:2]])
    assert mode_metrics(samples, RING.modes, RING.mode_std)["modes_covered"] == 2
    assert mode_metrics(samples, RING.modes, RING.mode_std, min_count=20)["modes_covered"] == 1


def test_precision_and_recall():
    real = RING.x_train[:800].numpy()
    same = RING.x_test[:800].numpy()
    collapsed = np.repeat(RING.modes[:1], 800, axis=0) + np.random.default_rng(0).normal(0, 0.01, (800, 2))
    off = real + 0.5
    assert precision_recall(same, real)["precision"] > 0.9 and precision_recall(same, real)["recall"] > 0.9
    pr = precision_recall(collapsed, real)
    assert pr["precision"] > 0.9 and pr["recall"] < 0.2  # good samples, one mode: precise, no recall
    assert precision_recall(off, real)["precision"] < 0.05
