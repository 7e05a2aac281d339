"""Small Vega-Lite (Altair) charts for a page's first view. Streamlit loads Plotly's 4.7 MB bundle with the first
Plotly chart a browser tab shows; a page whose first tab needs none opens faster (the VAE map moved to Vega-Lite
for the same reason, see DEVELOPERS.md)."""
from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd


def histogram_chart(groups: dict[str, np.ndarray], title: str, x_title: str, bins: int = 30) -> alt.Chart:
    """Overlaid histograms of several samples of one quantity, each normalised to a density (area 1), on shared
    bins, so groups of different sizes compare."""
    values = np.concatenate([np.asarray(v, float) for v in groups.values()])
    edges = np.histogram_bin_edges(values, bins=bins)
    rows = []
    for name, v in groups.items():
        density, _ = np.histogram(np.asarray(v, float), bins=edges, density=True)
        rows += [{"group": name, "start": a, "end": b, "density": d} for a, b, d in zip(edges[:-1], edges[1:], density)]
    names = list(groups)
    palette = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd"][:len(names)]
    return (alt.Chart(pd.DataFrame(rows), title=title, height=300)
            .mark_rect(opacity=0.55)
            .encode(x=alt.X("start:Q", title=x_title), x2="end:Q",
                    y=alt.Y("density:Q", title="probability density"), y2=alt.datum(0),
                    color=alt.Color("group:N", title=None, scale=alt.Scale(domain=names, range=palette),
                                    legend=alt.Legend(orient="bottom")),
                    tooltip=["group:N", alt.Tooltip("start:Q", format=".2f"), alt.Tooltip("density:Q", format=".3f")]))


SCHEDULE_PANELS = (("beta", "β_t (noise added at step t)", "log"), ("abar", "ᾱ_t (signal kept)", "linear"),
                   ("snr", "SNR(t) = ᾱ_t / (1 − ᾱ_t)", "log"))


def schedule_chart(schedules: dict[str, dict[str, np.ndarray]], t: int, every: int = 5) -> alt.HConcatChart:
    """β_t, ᾱ_t and SNR(t) of each noise schedule ({name: make_schedule's arrays}), side by side, with t marked.
    Every `every`-th step is drawn: the curves are smooth, and the chart's data stays small."""
    colours = alt.Scale(domain=list(schedules), range=["#1f77b4", "#ff7f0e", "#2ca02c"][:len(schedules)])
    panels = []
    for key, title, scale in SCHEDULE_PANELS:
        rows = [{"t": int(step), "value": float(values[key][step]), "schedule": name}
                for name, values in schedules.items()
                for step in sorted(set(range(0, len(values[key]), every)) | {len(values[key]) - 1})]
        marks = [{"t": t, "value": float(values[key][t]), "schedule": name} for name, values in schedules.items()]
        # powers of ten as 1e-9, not SI prefixes ("1n", "1µ" read as nonsense on an SNR axis)
        y = alt.Y("value:Q", title=None, scale=alt.Scale(type=scale),
                  axis=alt.Axis(format="~e") if scale == "log" else alt.Axis())
        colour = alt.Color("schedule:N", scale=colours, title=None, legend=alt.Legend(orient="bottom"))
        lines = alt.Chart(pd.DataFrame(rows)).mark_line().encode(x=alt.X("t:Q", title="t"), y=y, color=colour)
        points = alt.Chart(pd.DataFrame(marks)).mark_point(filled=True, size=70).encode(
            x="t:Q", y=y, color=colour, tooltip=["schedule:N", alt.Tooltip("value:Q", format=".4g")])
        rule = alt.Chart(pd.DataFrame({"t": [t]})).mark_rule(strokeDash=[4, 4], color="grey").encode(x="t:Q")
        panels.append(alt.layer(lines, rule, points, title=title, width=220, height=220))
    return alt.hconcat(*panels)
