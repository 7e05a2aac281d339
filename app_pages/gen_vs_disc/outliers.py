"""Outliers tab: ROC curves of in-distribution test inputs against outliers, scored by log p(x) (generative)
or by confidence max p(y | x) (discriminative)."""
import numpy as np
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from app_pages.gen_vs_disc.common import colour, models_beside_option, task, timed, to_images
from gen_core.labs import classifiers as lab
from ui.charts import legible
from ui.images import show_grid
from ui.settings import global_seed
from ui.widget_keys import GVD


@st.cache_data(show_spinner=False, max_entries=32)
def outliers(data_key: tuple, names: tuple, kind: str, seed: int):
    X_train, y_train, X_test, y_test, image_shape, _ = task(*data_key)
    rng = np.random.default_rng(seed)
    lo, hi = X_train.min(0), X_train.max(0)
    if kind == "uniform noise":
        X_out = rng.uniform(lo, hi, (len(X_test), X_train.shape[1]))
    elif kind == "inverted images":
        X_out = hi.max() + lo.min() - X_test
    else:  # shuffled features: each feature's values kept, their combination destroyed
        X_out = np.stack([rng.permutation(col) for col in X_test.T], 1)
    return lab.outlier_scores(names, X_train, y_train, X_test, X_out, seed), X_out[:8]


def show(data_key: tuple) -> None:
    image_shape = task(*data_key)[4]
    st.markdown("Can the model tell inputs unlike its training data? A generative model's log p(x) is a direct "
                "answer; a discriminative model has only its confidence, max p(y | x), which can be high far from "
                "any data. Each curve separates the test set (in) from the chosen outliers (out).")
    names, option = models_beside_option("gvd_out_models", ["Naive Bayes", "QDA", "Logistic regression", "Random forest"])
    kinds = ["uniform noise", "shuffled features"] + (["inverted images"] if image_shape is not None else [])
    kind = option.selectbox("Outliers", kinds, key=GVD.OUT_KIND, bind="query-params")
    if not names:
        return
    (result, examples), seconds = timed(outliers, data_key, tuple(names), kind, global_seed())
    figure = make_subplots(rows=1, cols=2, subplot_titles=("ROC: in-distribution vs outliers", "AUROC"))
    for i, name in enumerate(names):
        r = result[name]
        figure.add_trace(go.Scatter(x=r["fpr"], y=r["tpr"], name=f"{name} ({r['kind']})", line=dict(color=colour(i))),
                         row=1, col=1)
        figure.add_trace(go.Bar(x=[name], y=[r["auroc"]], marker_color=colour(i), showlegend=False,
                                text=[f"{r['auroc']:.3f}"], textposition="outside"), row=1, col=2)
    figure.add_trace(go.Scatter(x=[0, 1], y=[0, 1], line=dict(dash="dot", color="grey"), showlegend=False), row=1, col=1)
    figure.update_xaxes(title_text="false positive rate", row=1, col=1)
    figure.update_yaxes(title_text="true positive rate", row=1, col=1)
    figure.update_yaxes(range=[0, 1.1], title_text="AUROC", row=1, col=2)
    figure.update_xaxes(title_text="model", row=1, col=2)
    figure.update_layout(height=400, margin=dict(l=10, r=10, t=40, b=10), legend=dict(orientation="h", y=-0.25))
    st.plotly_chart(legible(figure), width="stretch", key="gvd_out_chart")
    st.caption(f"AUROC 1: every outlier scored below every test input; 0.5: no better than chance. Computed in "
               f"{seconds:.2f} s (cached after).")
    if image_shape is not None:
        show_grid(to_images(data_key, examples), nrow=8, caption=f"Some outliers ({kind})")
