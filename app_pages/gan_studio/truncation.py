"""Truncation tab (BigGAN): the truncation trick as a measured trade-off of fidelity against variety, samples at
each threshold, and what the same model does when trained with a smaller batch."""
from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from gen_core.labs import gan as gan_lab
from ui.charts import legible
from ui.images import labelled_grid
from ui.loaders import card_of, checkpoints_of, choose_checkpoint, core_on
from ui.settings import global_seed

SHEET_THRESHOLDS = (0.25, 0.5, 1.0, 2.0, 4.0)


@st.cache_data(show_spinner=False, max_entries=16)
def sheet(name: str, device: str, label: int, seed: int):
    return core_on(device).run(name, lambda m: gan_lab.sample_sheet_by_threshold(m.model, SHEET_THRESHOLDS, label,
                                                                                  10, seed))


def curve_figure(curves: dict[str, dict]):
    """Fidelity (precision) against variety (recall), one line per model, each point a threshold."""
    figure = go.Figure()
    for name, curve in curves.items():
        figure.add_trace(go.Scatter(x=curve["recall"], y=curve["precision"], mode="lines+markers+text", name=name,
                                    text=[f"{t:g}" for t in curve["threshold"]], textposition="top center"))
    figure.update_layout(title="Truncation: fidelity against variety (labels: the threshold)",
                         xaxis_title="recall (variety)", yaxis_title="precision (fidelity)", height=380,
                         margin=dict(l=10, r=10, t=40, b=10), legend=dict(orientation="h", y=-0.25))
    return figure


def measures_figure(curve: dict):
    figure = go.Figure()
    for key, label in (("label_accuracy", "classifier reads the class asked for"), ("precision", "precision"),
                       ("recall", "recall"), ("spread", "spread within a class (pixel std)")):
        figure.add_trace(go.Scatter(x=curve["threshold"], y=curve[key], mode="lines+markers", name=label))
    figure.update_xaxes(tickvals=curve["threshold"], ticktext=[f"{t:g}" for t in curve["threshold"]])
    figure.update_layout(title="Each measure against the threshold", xaxis_title="truncation threshold",
                         yaxis_title="value of the measure",
                         xaxis_type="log", height=380, margin=dict(l=10, r=10, t=40, b=10),
                         legend=dict(orientation="h", y=-0.25))
    return figure


@st.fragment
def show(device: str) -> None:
    st.markdown(r"**BigGAN** (Brock et al., 2019) draws $z$ from a *truncated* normal at sampling time: coordinates "
                r"beyond a threshold are drawn again. A small threshold keeps $z$ near the centre, where the generator "
                r"was trained most: cleaner, more typical images, but fewer kinds. The curve measures it on 1000 "
                r"samples (100 per class, the same uniforms at every threshold): *fidelity* as k-NN precision and "
                r"as the reference classifier reading the class that was asked for, *variety* as k-NN recall and the "
                r"spread within a class. Its generator is trained with BigGAN's other ideas: one class embedding "
                r"shared by every conditional batch norm, orthogonal regularisation, spectral norm and the hinge "
                r"loss.")
    c = st.columns([3, 2, 2])
    name = choose_checkpoint(("biggan", "sagan"), "trunc_model", "Model",
                             "python -m gen_core.train biggan --dataset digits --epochs 100", where=c[0],
                             accept=lambda card: "truncation_curve" in card.get("metrics", {}))
    if name is None:
        return
    card = card_of(name)
    names = list(card["dataset"].get("class_names", []))
    label = names.index(c[1].selectbox("Class", names, index=min(3, len(names) - 1), key="trunc_class",
                                       bind="query-params"))
    curve = card["metrics"]["truncation_curve"]
    left, right = st.columns(2)
    # the same family on the same data: the models the curve and the table compare
    alike = {m["name"]: m for m in checkpoints_of(card["family"])
             if "truncation_curve" in m["card"].get("metrics", {})
             and m["card"]["dataset"]["name"] == card["dataset"]["name"]}
    same_data = {n: m["card"]["metrics"]["truncation_curve"] for n, m in alike.items()}
    left.plotly_chart(legible(curve_figure(same_data)), key="trunc_curve")
    right.plotly_chart(legible(measures_figure(curve)), key="trunc_measures")
    images = sheet(name, device, label, global_seed())
    st.image(labelled_grid(images, [""] * len(images), 10, tile_px=48,
                           row_labels=[f"threshold {t:g}" for t in SHEET_THRESHOLDS]), output_format="PNG",
             caption=f"{name}: ten samples of class {names[label]} at each threshold, drawn from the same uniforms "
                     f"(each column is one z, pulled in as the threshold shrinks).")
    st.subheader("Scaling up: the same model, trained with another batch size")
    rows = []
    for other, entry in alike.items():
        cfg, metrics = entry["card"]["config"], entry["card"]["metrics"]
        curve_of = metrics["truncation_curve"]
        last = len(curve_of["threshold"]) - 1  # the widest threshold: practically no truncation
        rows.append({"model": other, "batch size": cfg["batch_size"], "width": cfg["width"],
                     "attention": cfg.get("attention", False), "steps": entry["card"]["steps"],
                     "images seen": entry["card"]["steps"] * cfg["batch_size"],
                     "class read as asked": round(metrics.get("label_accuracy", float("nan")), 3),
                     "precision": round(curve_of["precision"][last], 3),
                     "recall": round(curve_of["recall"][last], 3)})
    st.dataframe(rows, hide_index=True)
    st.caption("BigGAN's first finding was that batch size matters: with eight times the batch, each step's "
               "gradient averages over more of every class, and the model reached far better scores in the same "
               "number of steps. The rows here ran the same number of steps (4140) on the same digits with "
               "batches of 8 and 64 (precision and recall without truncation).")
