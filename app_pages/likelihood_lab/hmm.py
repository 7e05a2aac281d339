"""HMM tab: the hidden states of a series (Viterbi) with each step's posterior, samples from the model, its
log-likelihood, and the HMM-per-class classifier beside a discriminative one."""
from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from gen_core.labs import sequences as sequence_lab
from gen_core.labs import likelihood as lab
from ui.charts import legible
from ui.loaders import choose_checkpoint, core_on, get_core, get_dataset
from ui.settings import global_seed
from ui.widget_keys import LIKELIHOOD

STATE_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]


@st.cache_data(show_spinner=False, max_entries=4)
def discriminative_accuracy(dataset_name: str) -> float:
    d = get_dataset(dataset_name)
    model = sequence_lab.discriminative(d.x_train.numpy(), d.y_train.numpy())
    return float((model.predict(sequence_lab.features(d.x_test.numpy())) == d.y_test.numpy()).mean())


@st.cache_data(show_spinner=False, max_entries=4)
def learning_curve(dataset_name: str) -> dict:
    return sequence_lab.stored_learning_curve(get_dataset(dataset_name))


@st.cache_data(show_spinner=False, max_entries=16)
def samples(name: str, device: str, seed: int, num_classes: int) -> np.ndarray:
    core = core_on(device)
    return np.stack([core.sample(name, 2, seed=seed, label=k)[:, :, 0].numpy() for k in range(num_classes)])


def states_chart(series: np.ndarray, view: dict) -> alt.Chart:
    states = len(view["state_means"])
    frame = pd.DataFrame({"t": np.arange(len(series)), "value": series,
                          "state": [f"state {s} (mean {view['state_means'][s]:+.2f})" for s in view["path"]]})
    domain = [f"state {s} (mean {view['state_means'][s]:+.2f})" for s in range(states)]
    colour = alt.Color("state:N", scale=alt.Scale(domain=domain, range=STATE_COLOURS[:states]),
                       legend=alt.Legend(orient="bottom", title="Viterbi state"))
    line = alt.Chart(frame).mark_line(color="#bbb").encode(x="t:Q", y="value:Q")
    dots = alt.Chart(frame).mark_circle(size=60).encode(x=alt.X("t:Q", title="step"), y=alt.Y("value:Q"), color=colour,
                                                        tooltip=["t", alt.Tooltip("value:Q", format=".2f"), "state"])
    return alt.layer(line, dots).properties(height=340, title="the series, each step coloured by its Viterbi state")


def posterior_chart(view: dict) -> alt.Chart:
    posterior = view["posterior"]
    states = posterior.shape[1]
    frame = pd.DataFrame([{"t": t, "state": f"state {s}", "p": float(posterior[t, s])}
                          for t in range(len(posterior)) for s in range(states)])
    return (alt.Chart(frame, title="p(state | whole series) per step (forward-backward)", height=220)
            .mark_area().encode(x=alt.X("t:Q", title="step"), y=alt.Y("p:Q", stack="normalize", title="posterior"),
                                color=alt.Color("state:N", scale=alt.Scale(range=STATE_COLOURS[:states]),
                                                legend=None)))


@st.fragment
def show() -> None:
    st.markdown("A hidden Markov model: a hidden state jumps between a few values by a Markov chain, and each "
                "step's observation is drawn from its state's Gaussian. The forward algorithm sums over every path "
                "of hidden states to give the exact likelihood; Viterbi finds the single best path. One HMM per "
                "class and Bayes' rule make a generative classifier (fitted with hmmlearn's Baum-Welch).")
    name = choose_checkpoint("hmm", LIKELIHOOD.HMM_MODEL, "Model",
                             "python -m gen_core.train hmm --dataset series --epochs 25")
    if name is None:
        return
    core = get_core()
    card = core.load(name).card
    dataset = get_dataset(card["dataset"]["name"])
    classes = list(dataset.class_names)
    c = st.columns(2)
    index = c[0].number_input("Test series #", 0, len(dataset.x_test) - 1, 250, key="ll_hmm_index",
                              bind="query-params")
    series = dataset.x_test[int(index)].numpy()
    truth = classes[int(dataset.y_test[int(index)])]
    scores = lab.hmm_scores(core, name, series.astype(np.float64))
    decided = classes[int(np.argmax(scores["class_posterior"]))]
    choice = c[1].selectbox("Decode with the HMM of class", ["the classifier's choice"] + classes,
                            key="ll_hmm_class", bind="query-params")
    k = classes.index(decided if choice == "the classifier's choice" else choice)
    view = {**lab.hmm_decode(core, name, series.astype(np.float64), k), **scores}
    st.altair_chart(legible(states_chart(series[:, 0], view)))
    st.altair_chart(legible(posterior_chart(view)))
    m = st.columns(3)
    m[0].metric(f"log p(x) under the {classes[k]} HMM", f"{view['per_class'][k]:.1f} nats")
    m[1].metric("log p(x, Viterbi path)", f"{view['log_joint']:.1f} nats",
                help="The best single path's joint probability: at most p(x), which sums over all paths")
    m[2].metric("Classifier's decision", decided, delta="right" if decided == truth else f"wrong (it is {truth})",
                delta_color="normal" if decided == truth else "inverse")
    frame = pd.DataFrame({"class": classes, "log p(x | class)": view["per_class"],
                          "p(class | x)": view["class_posterior"]})
    st.dataframe(frame, hide_index=True, column_config={
        "log p(x | class)": st.column_config.NumberColumn(format="%.1f"),
        "p(class | x)": st.column_config.ProgressColumn(min_value=0.0, max_value=1.0, format="%.3f")})

    st.subheader("Samples from each class's HMM")
    seed = st.number_input("Seed", 0, 2**31 - 1, global_seed(), key="ll_hmm_seed", bind="query-params")
    drawn = samples(name, str(core.device), int(seed), len(classes))
    for kk, column in enumerate(st.columns(len(classes))):
        rows = [{"t": t, "value": float(drawn[kk, j, t]), "sample": j}
                for j in range(drawn.shape[1]) for t in range(drawn.shape[2])]
        column.altair_chart(legible(alt.Chart(pd.DataFrame(rows), title=classes[kk], height=230).mark_line().encode(
            x=alt.X("t:Q", title="step"), y=alt.Y("value:Q", scale=alt.Scale(domain=[-3, 3])),
            color=alt.Color("sample:N", legend=None))))
    st.caption("The switching series come out right (they are an HMM); the sines and the random walk cannot be, "
               "since a few discrete states with independent noise have no notion of a phase or of drifting values.")

    st.subheader("Generative against discriminative")
    a = st.columns(2)
    a[0].metric("HMM per class (generative)", f"{card['metrics'].get('accuracy', float('nan')):.1%}")
    a[1].metric("Logistic regression on values and spectrum (discriminative)",
                f"{discriminative_accuracy(dataset.name):.1%}")
    if st.toggle("Compare them with fewer training series (both refitted on 3 to 400 series per class)", key=LIKELIHOOD.HMM_CURVE,
                 bind="query-params"):
        with st.spinner("Fitting HMMs and logistic regressions on 3 to 400 series per class..."):
            curve = learning_curve(dataset.name)
        rows = [{"series per class": n, "accuracy": acc, "classifier": label}
                for key, label in (("hmm", "HMM per class"), ("logistic", "logistic regression"))
                for n, acc in zip(curve["per_class"], curve[key])]
        st.altair_chart(legible(alt.Chart(pd.DataFrame(rows), height=260).mark_line(point=True).encode(
            x=alt.X("series per class:Q", scale=alt.Scale(type="log")), y=alt.Y("accuracy:Q", scale=alt.Scale(
                domain=[0, 1])), color=alt.Color("classifier:N", legend=alt.Legend(orient="bottom")))))
        st.caption("The generative model needs few examples: it fits a handful of parameters per class. The "
                   "discriminative one models only the boundary and catches up with more data (Ng & Jordan, 2002).")
