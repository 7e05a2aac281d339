"""gen_core.evaluate: each measure on a known answer, then the command on shipped checkpoints."""
import subprocess
import sys

import numpy as np
import pytest

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
    assert same["precision"] == 1.0 and same["recall"] == 1.0 and same["coverage"] == 1.0
    repeated = np.repeat(real[:1], 500, 0)  # one image, repeated: inside the real manifold, covering none of it
    found = evaluate.precision_recall(repeated, real)
    assert found["precision"] == 1.0 and found["recall"] < 0.02


def test_density_and_coverage_known_answers():
    """Naeem et al. (2020): noise spread wider than the data gets k-NN recall near 1 (its own balls are huge) but
    coverage near 0; a second sample of the same distribution gets density near 1 and coverage near 1 - 2^-k."""
    from gen_core.mode_metrics import density_coverage
    rng = np.random.default_rng(2)
    real, other = rng.normal(size=(1000, 8)), rng.normal(size=(1000, 8))
    alike = density_coverage(other, real, k=5)
    assert alike["density"] == pytest.approx(1.0, abs=0.15) and alike["coverage"] > 0.9
    noise = rng.normal(size=(1000, 8)) * 6
    scores = evaluate.precision_recall(noise, real)
    assert scores["recall"] > 0.9 and scores["coverage"] < 0.1 and scores["density"] < 0.1
    assert density_coverage(real + 100, real) == {"density": 0.0, "coverage": 0.0}  # far away: in no real ball


def test_the_test_set_covers_the_training_set_in_reference_features():
    digits = load_dataset("digits")
    from gen_core.metrics import reference_features
    real = reference_features(digits, digits.x_train[:360].flatten(1).numpy())
    held_out = reference_features(digits, digits.x_test.flatten(1).numpy())
    scores = evaluate.precision_recall(held_out, real)
    assert scores["coverage"] > 0.85 and 0.7 < scores["density"] < 1.3
    noise = np.random.default_rng(0).uniform(-1, 1, (360, 64)).astype(np.float32)
    assert evaluate.precision_recall(reference_features(digits, noise), real)["coverage"] < 0.1


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
    heading, header, row = done.stdout.splitlines()[:3]
    assert heading == "scored on the test images of digits:"  # one table per data set, headed by its data
    assert header.split()[:3] == ["checkpoint", "FD", "floor"] and row.startswith("gan-digits")
    bad = subprocess.run([sys.executable, "-m", "gen_core.evaluate", "gan-digits", "--samples", "0"],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and bad.stderr.strip().splitlines() == [
        "error: --samples must be between 10 and 50000, got 0"]


def test_one_unreachable_checkpoint_keeps_the_rows_already_computed(capsys):
    code = evaluate.main(["gan-digits", "no-such-model", "--samples", "100", "--train-samples", "0"])
    out, err = capsys.readouterr()
    assert code == 2 and "no-such-model" in err and err.count("error: ") == 1
    assert out.splitlines()[2].startswith("gan-digits")  # the finished row is printed all the same
    assert "digits" in out.splitlines()[2].split()  # the data each row was scored on


def test_evaluate_reads_the_data_where_train_read_it(tmp_path, capsys):
    """A data root given to evaluate is the one looked in, as train's --data-root is: missing files are one line
    that names it, never a hint to pass the option that was passed."""
    code = evaluate.main(["vae-fashion", "--samples", "100", "--train-samples", "0", "--data-root",
                          str(tmp_path / "nowhere")])
    err = capsys.readouterr().err
    assert code == 2 and f"{tmp_path / 'nowhere'}/FashionMNIST/raw" in err and "leave out --data-root" in err
    assert "Traceback" not in err and err.strip().count("\n") == 0 and not (tmp_path / "nowhere").exists()


def test_classes_are_counted_wherever_the_data_has_labels():
    """An image folder has no shipped reference: evaluate fits one on its training images for the class columns."""
    from gen_core import metrics
    digits = load_dataset("digits")
    judge = metrics.fitted_classifier(digits, limit=500)
    found = metrics.class_metrics(digits, digits.x_test, judge)
    assert found["classes_covered"] == 10 and found["class_kl_from_uniform"] < 0.05


def test_k_nearest_each_agrees_with_one_sample_at_a_time_and_with_the_nearest():
    import torch
    from gen_core import metrics
    generator = torch.Generator().manual_seed(0)
    reference, samples = torch.randn(300, 1, 6, 6, generator=generator), torch.randn(7, 1, 6, 6, generator=generator)
    index, distance = metrics.k_nearest_each(samples, reference, 4, chunk=3)
    assert index.shape == (7, 4) and (distance[:, 1:] >= distance[:, :-1]).all()
    for i in range(7):
        one_index, one_distance = metrics.k_nearest(samples[i], reference, 4)
        assert torch.equal(index[i], one_index) and torch.allclose(distance[i], one_distance)
    nearest, nearest_distance = metrics.nearest_neighbours(samples, reference)
    assert torch.equal(index[:, 0], nearest) and torch.allclose(distance[:, 0], nearest_distance)
    exact = torch.cdist(samples.flatten(1), reference.flatten(1)).topk(4, largest=False)  # the known answer
    assert torch.equal(index, exact.indices) and torch.allclose(distance, exact.values, atol=1e-4)
