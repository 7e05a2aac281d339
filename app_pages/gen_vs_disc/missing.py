"""Missing data tab: test accuracy as features are hidden, marginalised by the generative models and imputed
for the discriminative ones."""
import numpy as np
import streamlit as st

from app_pages.gen_vs_disc.common import line_chart, pick_models, task, to_images
from gen_core.labs import classifiers as lab
from ui.images import show_grid
from ui.settings import global_seed


@st.cache_data(show_spinner=False, max_entries=32)
def missing(data_key: tuple, names: tuple, seed: int) -> tuple[dict, float]:
    """({model: accuracy per hidden fraction}, seconds the fits took): kept on disk (a lesson reveals this view)."""
    kept = lab.missing_features_of(data_key, names, seed)
    return lab.by_model(kept), kept["seconds"]


def show(data_key: tuple) -> None:
    X_test, image_shape = task(*data_key)[2], task(*data_key)[4]
    st.markdown(r"Hide a share of each test input's features. A Gaussian generative model integrates them out: "
                r"$p(x_{\text{seen}}\mid y) = \int p(x\mid y)\,dx_{\text{hidden}}$ is again Gaussian, with the seen "
                r"rows and columns of the mean and covariance. A discriminative model has no $p(x)$ to integrate, so "
                r"the hidden features are filled with their training means first.")
    names = pick_models("gvd_missing_models", ["Naive Bayes", "LDA", "Logistic regression", "Random forest"])
    if not names:
        return
    result, seconds = missing(data_key, tuple(names), global_seed())
    line_chart([f * 100 for f in lab.MISSING_FRACTIONS], result, "% of test features hidden", "test accuracy",
               "gvd_missing_chart")
    st.caption(f"Solid: generative (marginalised), dashed: discriminative (mean-imputed). Computed in "
               f"{seconds:.2f} s (cached after).")
    if image_shape is not None:
        example = lab.hide(X_test[:8], 0.5, np.random.default_rng(0))
        show_grid(to_images(data_key, example), caption="Test inputs with 50% of their pixels hidden (hidden: mid-grey)", nrow=8)
