"""Decision boundaries tab: each model's p(y | x) over the plane with the training points (inputs with more
features projected on their first two principal components)."""
import numpy as np
import streamlit as st

from app_pages.gen_vs_disc.common import COLOURS, models_beside_option, task, timed
from gen_core.labs import classifiers as lab
from ui.images import fast_png
from ui.point_frames import Panel, side_by_side
from ui.settings import global_seed
from ui.text import plain
from ui.widget_keys import GVD


@st.cache_data(show_spinner=False, max_entries=32)
def surfaces(data_key: tuple, names: tuple, n_train: int, seed: int):
    X_train, y_train, X_test, y_test, image_shape, _ = task(*data_key)
    if X_train.shape[1] == 2:
        return lab.decision_surfaces(names, X_train, y_train, X_test, y_test, n_train, seed)
    from sklearn.decomposition import PCA
    pca = PCA(2, random_state=0).fit(X_train)
    return lab.decision_surfaces(names, pca.transform(X_train), y_train, pca.transform(X_test), y_test, n_train, seed)


def probability_image(proba: np.ndarray) -> np.ndarray:
    """p(y | x) on the grid (K, R, R) as colours: each class's colour weighted by its probability, so confident
    regions are saturated and uncertain ones fade towards grey-white."""
    colours = COLOURS[np.arange(len(proba)) % len(COLOURS)].astype(float)
    mix = np.einsum("krc,kd->rcd", proba, colours)
    confidence = proba.max(0)[..., None]
    white = np.full(3, 255.0)
    return (white + (mix - white) * (confidence - 1 / len(proba)) / (1 - 1 / len(proba))).clip(0, 255).astype(np.uint8)


@st.cache_data(show_spinner=False, max_entries=32)
def boundaries_picture(data_key: tuple, names: tuple, n_train: int, seed: int) -> bytes:
    """The models' p(y | x) with the training points, side by side, as PNG bytes: drawing and encoding it took most
    of this page's server run (~80 of 116 ms, py-spy), for a picture every visitor with the same settings shares.
    A model that failed to fit is left out (the page says why)."""
    result = surfaces(data_key, names, n_train, seed)
    gx, gy = result["gx"], result["gy"]
    extent = (gx[0], gx[-1], gy[0], gy[-1])
    panels = []
    for name in [n for n in names if "error" not in result["models"][n]]:
        panel = Panel(extent, 300, f"{name}: test acc {result['models'][name]['accuracy']:.1%}")
        panel.picture(probability_image(result["models"][name]["proba"]))
        for k in np.unique(result["y"]):
            points = result["X"][result["y"] == k]
            panel.dots(points, (0, 0, 0), radius=3)  # a dark rim, so points read on their own class's colour
            panel.dots(points, tuple(int(v) for v in COLOURS[int(k) % len(COLOURS)]), radius=2)
        panels.append(panel)
    return fast_png(side_by_side(panels, gap=12, columns=min(3, len(panels))))


def show(data_key: tuple) -> None:
    X_train = task(*data_key)[0]
    if X_train.shape[1] != 2:
        st.info(f"Boundaries are drawn in a plane: these {X_train.shape[1]}-feature inputs are projected onto their "
                "first two principal components and the models are fitted there. Pick a 2-D toy to see them on the "
                "data itself.")
    names, option = models_beside_option("gvd_bound_models", ["Naive Bayes", "QDA", "Logistic regression", "RBF SVM"])
    n_train = option.select_slider("Training points", [10, 20, 50, 100, 200, 500, 1000, 4000], 200, key=GVD.BOUND_N, bind="query-params")
    if not names:
        return
    result, seconds = timed(surfaces, data_key, tuple(names), n_train, global_seed())
    for name in [n for n in names if "error" in result["models"][n]]:
        st.warning(plain(result["models"][name]["error"]))
    fitted = [n for n in names if "error" not in result["models"][n]]
    if not fitted:
        return
    # One picture, not a Plotly chart: this is the page's first view, and a Plotly chart there made every new
    # browser tab load Plotly's 4.7 MB bundle first (and each change redraw 4 heat maps in the browser).
    st.image(boundaries_picture(data_key, tuple(names), n_train, global_seed()),
             caption=" · ".join(f"{n}: test acc {result['models'][n]['accuracy']:.1%}" for n in fitted))
    st.caption(f"Colour: p(y | x), faded where the model is unsure; dots: the {len(result['y'])} training points. "
               f"Computed in {seconds:.2f} s (cached after). Generative models draw boundaries where their class "
               "densities cross (naive Bayes: axis-aligned ellipses; QDA: conics); discriminative ones fit the "
               "boundary itself.")
