"""Irrelevant features tab: test accuracy as features of pure noise are appended to every input."""
import streamlit as st

from app_pages.gen_vs_disc.common import line_chart, models_beside_option, task, timed
from gen_core.labs import classifiers as lab
from ui.settings import global_seed
from ui.widget_keys import GVD


@st.cache_data(show_spinner=False, max_entries=32)
def irrelevant(data_key: tuple, names: tuple, n_train: int, seed: int):
    X_train, y_train, X_test, y_test, image_shape, _ = task(*data_key)
    return lab.irrelevant_features(names, X_train, y_train, X_test, y_test, lab.NOISE_FEATURES, n_train, seed)


def show(data_key: tuple) -> None:
    X_train = task(*data_key)[0]
    st.markdown("Append k features of pure noise (with the spread of the real ones) to every input. The syllabus: "
                "generative models *can be* sensitive to irrelevant features, discriminative ones *tend to be* more "
                "robust. How sensitive depends on how many numbers the model must estimate per feature: LDA fits a "
                "covariance over all features (every noise feature adds a row and a column to estimate from the "
                "same few examples), while naive Bayes fits one mean and one variance per feature, and a noise "
                "feature's terms in log p(x | y) nearly cancel between classes. Logistic regression and the forest "
                "learn small weights or no splits for noise.")
    names, option = models_beside_option("gvd_irr_models", ["Naive Bayes", "LDA", "Logistic regression", "Random forest"])
    n_train = option.select_slider("Training examples", [50, 100, 200, 500, 1000], 200, key=GVD.IRR_N, bind="query-params")
    if not names:
        return
    result, seconds = timed(irrelevant, data_key, tuple(names), min(n_train, len(X_train)), global_seed())
    line_chart(lab.NOISE_FEATURES, result, "noise features added", "test accuracy", "gvd_irr_chart")
    drops = {name: float(acc[0] - acc[-1]) for name, acc in result.items()}
    summary = "; ".join(f"{name} {result[name][0]:.0%} to {result[name][-1]:.0%}" for name in names)
    st.caption(f"From 0 to {lab.NOISE_FEATURES[-1]} noise features with {min(n_train, len(X_train))} training "
               f"examples: {summary}. Largest drop: {max(drops, key=drops.get)}. Computed in {seconds:.2f} s "
               "(cached after).")
