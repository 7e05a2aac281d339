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
