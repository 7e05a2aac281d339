"""The HMM tab's experiments: HMMs per class (generative) against logistic regression (discriminative) on the
procedural series, as the syllabus's comparison table pairs an HMM with a discriminative sequence model.

The discriminative classifier sees each series as a fixed vector of features, the values themselves and the
magnitudes of their Fourier transform (which make the sine's period and the random walk's slow drift visible to
a linear model), standardised, with scikit-learn's LogisticRegression. It models p(class | x) only; it cannot
sample a series or say how likely one is.
"""
from __future__ import annotations


import numpy as np
from gen_core.device import make_generator
from gen_core.json_cache import cached_json
from gen_core.shipped import ASSETS
import torch

LEARNING_CURVE_SIZES = (3, 10, 30, 100, 400)
# learning curves measured once: shipped for the bundled series (`python bench/lesson_answers.py --ship`), else
# measured on first use and kept under $GENLAB_HOME (a lesson's reveal shows one: it must not fit 50 HMMs while a
# class waits)
SHIPPED_CURVES = ASSETS / "likelihood"


def features(x: np.ndarray) -> np.ndarray:
    """(N, T, 1) series -> (N, T + T//2 + 1) values and |rfft| magnitudes."""
    values = x[:, :, 0]
    return np.concatenate([values, np.abs(np.fft.rfft(values, axis=1))], axis=1)


def discriminative(x_train: np.ndarray, y_train: np.ndarray, seed: int = 0):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, random_state=seed)).fit(
        features(x_train), y_train)


def fit_hmms(x_train: torch.Tensor, y_train: torch.Tensor, num_classes: int, num_states: int = 3,
             iterations: int = 15, seed: int = 0):
    """A fresh HMM bank trained by `iterations` EM iterations on the given sequences."""
    from gen_core.models import hmm

    config = hmm.Config(data_shape=tuple(x_train.shape[1:]), num_states=num_states, num_classes=num_classes)
    model = hmm.build(config)
    trainer = hmm.Trainer(model, config)
    generator = make_generator(seed)
    for _ in range(iterations):
        trainer.step(x_train, y_train, generator)
    return model


def subset(y: np.ndarray, per_class: int, seed: int) -> np.ndarray:
    """Indices of `per_class` training series of each class, drawn with a seed."""
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.permutation(np.flatnonzero(y == k))[:per_class] for k in np.unique(y)])


def curve_file(dataset_name: str, sizes, seed: int) -> str:
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in dataset_name)
    return f"hmm-learning-curve-{safe}-{'-'.join(str(s) for s in sizes)}-seed{seed}.json"


def stored_learning_curve(dataset, sizes=LEARNING_CURVE_SIZES, seed: int = 0) -> dict[str, list]:
    """learning_curve, read from the shipped file or this machine's cache when one was measured, else measured now
    and kept (the same numbers: the fits are seeded)."""
    return cached_json(curve_file(dataset.name, tuple(sizes), seed), SHIPPED_CURVES, "sequences",
                       lambda: learning_curve(dataset, sizes, seed))


def learning_curve(dataset, sizes=LEARNING_CURVE_SIZES, seed: int = 0) -> dict[str, list]:
    """Test accuracy of both classifiers trained on `size` series per class: the generative model needs fewer
    examples to reach its (lower or equal) asymptote (Ng & Jordan, 2002)."""
    x, y = dataset.x_train.numpy(), dataset.y_train.numpy()
    x_test, y_test = dataset.x_test.numpy(), dataset.y_test.numpy()
    out = {"per_class": [], "hmm": [], "logistic": []}
    for size in sizes:
        index = subset(y, size, seed)
        bank = fit_hmms(dataset.x_train[index], dataset.y_train[index], dataset.num_classes, seed=seed)
        predicted, _ = bank.classify(dataset.x_test)
        out["per_class"].append(int(size))
        out["hmm"].append(float((predicted.numpy() == y_test).mean()))
        out["logistic"].append(float((discriminative(x[index], y[index], seed).predict(features(x_test))
                                      == y_test).mean()))
    return out
