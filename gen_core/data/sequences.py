"""Sequence data for the autoregressive models and HMMs: a text for a character model, and a procedural set of
time series with three kinds of generating process (the classes an HMM-per-class classifier tells apart).

- `text:genesis`: the Book of Genesis, King James Version (1611, public domain), 196,818 characters, one verse a
  line; taken from Debian's `bible-kjv-text` package (`bible -f Genesis1:1-50:26`, verse numbers removed). x holds
  windows of WINDOW + 1 character indices (the model reads the first WINDOW and predicts the next of each); the
  first 90% of the verses train, the last 10% test. The vocabulary is the sorted characters of the whole text.
- `series`: 1,200 train / 300 test series of SERIES_LENGTH steps, (N, T, 1), drawn from seed 7, three classes:
  `ar1` (x_t = 0.9 x_{t-1} + 0.45 e_t), `sine` (sin(2 pi t / period + phase) plus 0.25 noise, period 8 to 16) and
  `switching` (a two-state Markov chain that stays with probability 0.95, means -1 and +1, noise 0.35): the last is
  an HMM itself, so an HMM fits it exactly; the others it can only approximate.
"""
from __future__ import annotations

import functools

import numpy as np
import torch
from gen_core.shipped import ASSETS

TEXT_DIR = ASSETS / "text"
TEXTS = {"genesis": ("genesis-kjv.txt", "the Book of Genesis, King James Version (1611, public domain)")}
WINDOW = 64
SERIES_LENGTH = 64
SERIES_CLASSES = ("ar1", "sine", "switching")
SERIES_SEED = 7


def text_names() -> list[str]:
    return [f"text:{name}" for name in TEXTS]


@functools.lru_cache(maxsize=4)
def read_text(name: str) -> str:
    from gen_core.errors import GenLabError

    if name not in TEXTS:
        raise GenLabError(f"unknown text {name!r}; choose one of {', '.join(TEXTS)}")
    return (TEXT_DIR / TEXTS[name][0]).read_text(encoding="utf-8")


def vocabulary(text: str) -> str:
    return "".join(sorted(set(text)))


def encode(text: str, vocab: str) -> torch.Tensor:
    """Character indices (int64); a character outside the vocabulary raises a GenLabError naming it."""
    from gen_core.errors import GenLabError

    index = {c: k for k, c in enumerate(vocab)}
    missing = sorted(set(text) - set(index))
    if missing:
        raise GenLabError(f"the model knows {len(vocab)} characters; {''.join(missing)[:20]!r} are not among them")
    return torch.tensor([index[c] for c in text], dtype=torch.int64)


def decode(codes, vocab: str) -> str:
    return "".join(vocab[int(k)] for k in codes)


def _windows(codes: torch.Tensor, stride: int) -> torch.Tensor:
    count = (len(codes) - WINDOW - 1) // stride + 1
    return torch.stack([codes[k * stride:k * stride + WINDOW + 1] for k in range(count)])


def load_text(name: str):
    from gen_core.data.dataset import Dataset

    text = read_text(name)
    vocab = vocabulary(text)
    lines = text.splitlines(keepends=True)
    cut = int(len(lines) * 0.9)
    train, test = "".join(lines[:cut]), "".join(lines[cut:])
    x_train = _windows(encode(train, vocab), WINDOW // 2)   # overlapping by half: every character is predicted
    x_test = _windows(encode(test, vocab), WINDOW)          # disjoint: each test character is scored once
    return Dataset(
        name=f"text:{name}", kind="text", x_train=x_train, y_train=torch.zeros(len(x_train), dtype=torch.int64),
        x_test=x_test, y_test=torch.zeros(len(x_test), dtype=torch.int64), class_names=("text",),
        description=f"{TEXTS[name][1]}: {len(text):,} characters, {len(vocab)} distinct; windows of {WINDOW + 1}",
        vocabulary=vocab)


def draw_series(n_per_class: int, rng: np.random.Generator, length: int = SERIES_LENGTH):
    """(3 n, length, 1) float32 series and their class labels, in class order."""
    out, labels = [], []
    for label, kind in enumerate(SERIES_CLASSES):
        for _ in range(n_per_class):
            if kind == "ar1":
                x = np.zeros(length)
                x[0] = rng.normal(0, 0.45 / np.sqrt(1 - 0.81))
                for t in range(1, length):
                    x[t] = 0.9 * x[t - 1] + 0.45 * rng.normal()
            elif kind == "sine":
                period, phase = rng.uniform(8, 16), rng.uniform(0, 2 * np.pi)
                x = np.sin(2 * np.pi * np.arange(length) / period + phase) + 0.25 * rng.normal(size=length)
            else:
                state, states = int(rng.integers(2)), []
                for _ in range(length):
                    states.append(state)
                    state = state if rng.random() < 0.95 else 1 - state
                x = np.where(np.array(states) == 1, 1.0, -1.0) + 0.35 * rng.normal(size=length)
            out.append(x)
            labels.append(label)
    return np.asarray(out, dtype=np.float32)[:, :, None], np.asarray(labels, dtype=np.int64)


def load_series():
    from gen_core.data.dataset import Dataset

    rng = np.random.default_rng(SERIES_SEED)
    x_train, y_train = draw_series(400, rng)
    x_test, y_test = draw_series(100, rng)
    return Dataset(
        name="series", kind="sequence", x_train=torch.from_numpy(x_train), y_train=torch.from_numpy(y_train),
        x_test=torch.from_numpy(x_test), y_test=torch.from_numpy(y_test), class_names=SERIES_CLASSES,
        description=f"procedural time series of {SERIES_LENGTH} steps: AR(1), noisy sines, a two-state switching "
                    f"process; 1200 train / 300 test")
