"""Series tab: a GRU with a Gaussian output continues a time series many times; the spread of the futures is
its uncertainty."""
from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from gen_core.labs import likelihood as lab
from ui.charts import legible
from ui.loaders import choose_checkpoint, get_core, get_dataset
from ui.settings import global_seed


@st.cache_data(show_spinner=False, max_entries=32)
def forecast(name: str, device: str, dataset_name: str, index: int, given: int, horizon: int, seed: int) -> dict:
    from ui.loaders import core_on
    history = get_dataset(dataset_name).x_test[index, :given]
    return lab.forecast(core_on(device), name, history, horizon, 200, seed)


def fan_chart(series: np.ndarray, given: int, result: dict) -> alt.Chart:
    q = result["quantiles"]
    future_t = np.arange(given, given + q.shape[1])
    truth = pd.DataFrame({"t": np.arange(len(series)), "value": series,
                          "part": np.where(np.arange(len(series)) < given, "given", "what really came")})
    band = pd.DataFrame({"t": future_t, "q05": q[0], "q25": q[1], "median": q[2], "q75": q[3], "q95": q[4]})
    paths = pd.DataFrame([{"t": t, "value": v, "path": k} for k in range(5)
                          for t, v in zip(future_t, result["futures"][k])])
    outer = alt.Chart(band).mark_area(opacity=0.18, color="#1f77b4").encode(x="t:Q", y="q05:Q", y2="q95:Q")
    inner = alt.Chart(band).mark_area(opacity=0.3, color="#1f77b4").encode(x="t:Q", y="q25:Q", y2="q75:Q")
    middle = alt.Chart(band).mark_line(color="#1f77b4").encode(x="t:Q", y="median:Q")
    samples = alt.Chart(paths).mark_line(opacity=0.5, strokeWidth=1, color="#ff7f0e").encode(
        x="t:Q", y="value:Q", detail="path:N")
    real = alt.Chart(truth).mark_line(point=True).encode(
        x=alt.X("t:Q", title="step"), y=alt.Y("value:Q", title="value"),
        color=alt.Color("part:N", scale=alt.Scale(domain=["given", "what really came"], range=["#222", "#2ca02c"]),
                        legend=alt.Legend(orient="bottom", title=None)))
    return alt.layer(outer, inner, middle, samples, real).properties(height=320)


@st.fragment
def show() -> None:
    st.markdown("An autoregressive model of a time series: p(x_t | x_1..x_t-1) is a Gaussian whose mean and "
                "spread a GRU computes from the past. To forecast, draw x_t, feed it back, draw x_t+1, and so on; "
                "200 such futures give a fan (shaded: the middle 50% and 90%), the model's uncertainty, which widens "
                "the further ahead it looks.")
    name = choose_checkpoint("rnn", "ll_series_model", "Model",
                             "python -m gen_core.train rnn --dataset series --epochs 40",
                             accept=lambda card: card["dataset"].get("kind", "image") == "sequence")
    if name is None:
        return
    core = get_core()
    card = core.load(name).card
    dataset = get_dataset(card["dataset"]["name"])
    length = dataset.shape[0]
    c = st.columns(4)
    index = c[0].number_input("Test series #", 0, len(dataset.x_test) - 1, 150, key="ll_series_index",
                              bind="query-params")
    given = c[1].slider("Steps given", 8, length - 8, 40, key="ll_series_given", bind="query-params")
    horizon = c[2].slider("Steps ahead", 4, 48, 24, key="ll_series_horizon", bind="query-params")
    seed = c[3].number_input("Seed", 0, 2**31 - 1, global_seed(), key="ll_series_seed", bind="query-params")
    series = dataset.x_test[int(index), :, 0].numpy()
    kind = dataset.class_names[int(dataset.y_test[int(index)])]
    with st.spinner("Forecasting..."):
        result = forecast(name, str(core.device), dataset.name, int(index), int(given), int(horizon), int(seed))
    st.altair_chart(legible(fan_chart(series[:min(length, given + horizon)], int(given), result)))
    width = result["quantiles"][4] - result["quantiles"][0]
    st.caption(f"A {kind} series. The 90% band is {width[0]:.2f} wide one step ahead and {width[-1]:.2f} at "
               f"{horizon} steps; five of the 200 sampled futures in orange. Test likelihood: "
               f"{card['metrics'].get('nats_per_step', float('nan')):.3f} nats per step.")
