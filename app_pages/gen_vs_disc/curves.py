"""Learning curves tab: test accuracy against training-set size, and Ng & Jordan's crossover."""
import numpy as np
import plotly.graph_objects as go
import streamlit as st

from app_pages.gen_vs_disc.common import colour, models_beside_option, task
from gen_core import classifiers
from gen_core.labs import classifiers as lab
from ui.charts import legible
from ui.settings import global_seed


@st.cache_data(show_spinner=False, max_entries=32)
def curves(data_key: tuple, names: tuple, sizes: tuple, resamples: int, seed: int) -> tuple[dict, float]:
    """({model: accuracies}, seconds the fits took): kept on disk (a lesson reveals this view)."""
    kept = lab.learning_curves_of(data_key, names, sizes, resamples, seed)
    return lab.by_model(kept), kept["seconds"]


def show(data_key: tuple) -> None:
    X_train, y_train = task(*data_key)[:2]
    data_name = data_key[0]
    st.markdown("Ng and Jordan (2001): naive Bayes approaches its best error with far fewer examples than "
                "(unregularised) logistic regression, but logistic regression's best is lower when naive Bayes's "
                "independence assumption is wrong, so the curves cross. On the synthetic task, raise the feature "
                "correlation to break that assumption and watch the crossover move; compare with the default, "
                "L2-penalised logistic regression, whose penalty already helps it with few examples.")
    # Ng & Jordan's pair on the synthetic task; on real data the usual, penalised logistic regression
    synthetic = data_name == lab.SYNTHETIC
    if not synthetic:
        left, right = st.columns([3, 1])
        left.info("On this data the usual, penalised logistic regression leads at every size, so the curves do not "
                  "cross. Ng and Jordan's crossover shows on the synthetic task with correlated features (0.8): naive "
                  "Bayes leads up to about 50 examples, then unpenalised logistic regression overtakes it.")
        right.button("Show the crossover", icon=":material/swap_horiz:", key="gvd_curve_to_synthetic",
                     on_click=lambda: st.session_state.update(gvd_data=lab.SYNTHETIC, gvd_corr=0.8))
    names, option = models_beside_option(
        "gvd_curve_models_synthetic" if synthetic else "gvd_curve_models",
        ["Naive Bayes", "Logistic regression (no penalty)" if synthetic else "Logistic regression"])
    resamples = option.slider("Resamples", 10, 30, 10, key="gvd_curve_resamples", bind="query-params")
    classes = len(np.unique(y_train))
    sizes = lab.curve_sizes(len(X_train), classes)
    if not names:
        return
    result, seconds = curves(data_key, tuple(names), sizes, resamples, global_seed())
    figure = go.Figure()
    for i, name in enumerate(names):
        acc = result[name]
        mean, low, high = acc.mean(0), np.percentile(acc, 10, 0), np.percentile(acc, 90, 0)
        figure.add_trace(go.Scatter(x=list(sizes) + list(sizes)[::-1], y=list(high) + list(low)[::-1], fill="toself",
                                    mode="lines", fillcolor=colour(i, 0.18), line=dict(width=0), hoverinfo="skip",
                                    showlegend=False))
        figure.add_trace(go.Scatter(x=sizes, y=mean, name=name, mode="lines+markers",
                                    line=dict(color=colour(i),
                                              dash="solid" if classifiers.is_generative(name) else "dash")))
    generative = [n for n in names if classifiers.is_generative(n)]
    discriminative = [n for n in names if not classifiers.is_generative(n)]
    note = ""
    if generative and discriminative:
        found = lab.crossover(sizes, result[generative[0]], result[discriminative[0]])
        if found is not None:
            # On a log axis a shape takes the data value but an annotation takes its log10: add_vline's own
            # annotation put the label at 10^n and stretched the axis to 10^64-10^128.
            figure.add_vline(x=found["overtaken_at"], line_dash="dot", line_color="grey")
            figure.add_annotation(x=np.log10(found["overtaken_at"]), y=1, yref="paper", yanchor="bottom",
                                  showarrow=False, text=f"{discriminative[0]} overtakes from n = {found['overtaken_at']}")
            note = (f"Crossover: {generative[0]} is ahead at n = {found['leads_from']} to {found['leads_to']}; "
                    f"{discriminative[0]} overtakes from n = {found['overtaken_at']} on and ends higher.")
        else:
            note = (f"No crossover between {generative[0]} and {discriminative[0]} over these sizes: one leads "
                    "throughout." + (" Try another feature correlation." if data_name == lab.SYNTHETIC else
                                     " On real data with the penalised logistic regression that is usual: see the "
                                     "crossover on the synthetic task."))
    figure.update_xaxes(range=[np.log10(sizes[0]) - 0.05, np.log10(sizes[-1]) + 0.05])  # a log axis's range: log10
    figure.update_layout(xaxis_type="log", xaxis_title="training examples", yaxis_title="test accuracy", height=380,
                         margin=dict(l=10, r=10, t=40, b=10), legend=dict(orientation="h", y=-0.2))
    st.plotly_chart(legible(figure), width="stretch", key="gvd_curve_chart")
    st.caption(f"Mean over {resamples} random training subsets; bands from the 10th to the 90th percentile. Solid: "
               f"generative, dashed: discriminative. {note} Computed in {seconds:.2f} s when first asked on this machine (kept since).")
