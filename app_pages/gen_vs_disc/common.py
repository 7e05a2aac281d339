"""What the Generative vs Discriminative tabs share: the data of a task (cached on its arguments), the palette,
the models picker and a timer. Each tab's `show(data_key)` reads its data through `task(*data_key)`: a cached
function depends on its arguments only, never on page globals."""
import time

import numpy as np
import plotly.graph_objects as go
import streamlit as st
import torch

from gen_core import classifiers
from gen_core.labs import classifiers as lab
from ui.charts import legible

COLOURS = np.array([[31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40], [148, 103, 189], [140, 86, 75],
                    [227, 119, 194], [127, 127, 127], [188, 189, 34], [23, 190, 207]])


def colour(k: int, alpha: float | None = None) -> str:
    """The k-th palette colour as a CSS string for plotly."""
    r, g, b = (int(v) for v in COLOURS[int(k) % len(COLOURS)])
    return f"rgb({r},{g},{b})" if alpha is None else f"rgba({r},{g},{b},{alpha})"


@st.cache_data(show_spinner=False, max_entries=16)
def task(name: str, dim, separation, correlation):
    return lab.task_of((name, dim, separation, correlation))


ALL_MODELS = list(classifiers.GENERATIVE + classifiers.DISCRIMINATIVE)


def models_beside_option(key: str, default: list[str]):
    """The models multiselect in a wide column, and the narrow column beside it for the section's own option."""
    wide, narrow = st.columns([3, 1])
    with wide:
        names = pick_models(key, default)
    return names, narrow


def pick_models(key: str, default: list[str]) -> list[str]:
    return st.multiselect("Models", ALL_MODELS, default, key=key, bind="query-params",
                          format_func=lambda n: f"{n} ({'generative' if classifiers.is_generative(n) else 'discriminative'})")


def timed(fn, *args):
    started = time.perf_counter()
    result = fn(*args)
    return result, time.perf_counter() - started


def line_chart(xs, series: dict, x_title: str, y_title: str, key: str):
    figure = go.Figure()
    for i, (name, ys) in enumerate(series.items()):
        figure.add_trace(go.Scatter(x=list(xs), y=ys, name=name, mode="lines+markers",
                                    line=dict(color=colour(i),
                                              dash="solid" if classifiers.is_generative(name) else "dash")))
    figure.update_layout(xaxis_title=x_title, yaxis_title=y_title, height=360, margin=dict(l=10, r=10, t=30, b=10),
                         legend=dict(orientation="h", y=-0.25))
    st.plotly_chart(legible(figure), width="stretch", key=key)


def to_images(data_key: tuple, X: np.ndarray) -> torch.Tensor:
    """Flattened images back to (N, C, H, W) in [-1, 1] for display (NaN shown mid-grey)."""
    X_train, _, _, _, image_shape, _ = task(*data_key)
    lo, hi = np.nanmin(X_train), np.nanmax(X_train)
    x = (np.nan_to_num(X, nan=(lo + hi) / 2) - lo) / (hi - lo) * 2 - 1
    return torch.as_tensor(x, dtype=torch.float32).clamp(-1, 1).reshape(-1, *image_shape)
