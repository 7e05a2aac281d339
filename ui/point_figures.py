"""Plotly figures of the 2-D Playground: samples against data for every model, metrics, loss curves, and the
look inside each family (D's heat map and G's gradients, the VAE's decoder grid, the denoising field, the flow's
layers, the energy landscape with Langevin chains). Plain functions of `gen_core.labs.playground` models, so the
benchmark can time the page's redraw without Streamlit."""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from gen_core.labs import playground as P

from gen_core.labs import playground_views as views

COLORS = {"gan": "#d62728", "vae": "#1f77b4", "ddpm": "#2ca02c", "flow": "#9467bd", "ebm": "#ff7f0e"}
# Compared GAN presets (keyed by preset name on the page) take the rest of Plotly's default palette, by preset.
# (Not grey: the data points are grey.)
PRESET_COLORS = ("#8c564b", "#e377c2", "#bcbd22", "#17becf", "#393b79", "#637939", "#843c39")


def colour(key: str) -> str:
    """A model's colour: its family's, or a compared preset's own."""
    return COLORS.get(key) or PRESET_COLORS[list(P.PRESETS).index(key) % len(PRESET_COLORS)]


def loss_colours(key: str) -> list[str]:
    """The colours of a model's loss curves in order (D's or the only loss in the model's colour, G's dark grey),
    shared by the live frames and the paused figure so pausing does not repaint the curves."""
    return [colour(key), "#5a5a5a", "#17becf"]


def arrows(x: np.ndarray, d: np.ndarray, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """Line segments x -> x + scale * d as one trace's coordinates, NaN (a gap) between segments."""
    x, end = np.asarray(x, float), np.asarray(x, float) + scale * np.asarray(d, float)
    segments = np.stack([x, end, np.full_like(x, np.nan)], 1).reshape(-1, 2)
    return segments[:, 0], segments[:, 1]


def joined(lines: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Many polylines (each (n, 2)) as one trace's NumPy coordinates, NaN between them: one trace of arrays
    validates and draws far faster than hundreds of traces or Python lists."""
    gap = np.full((1, 2), np.nan)
    stacked = np.concatenate([part for line in lines for part in (np.asarray(line, float), gap)])
    return stacked[:, 0], stacked[:, 1]


def square_axes(figure: go.Figure, extent, rows: int = 1, cols: int = 1):
    """Every subplot shows `extent` with equal units on both axes, titled x₁ and x₂ (the plane's coordinates); a panel
    wider than it is tall shrinks (constrain "domain") rather than showing more of the plane around the data."""
    if rows * cols == 1 and not figure._has_subplots():
        figure.update_xaxes(range=extent[:2], showgrid=False, zeroline=False, constrain="domain", title="x₁")
        figure.update_yaxes(range=extent[2:], showgrid=False, zeroline=False, scaleanchor="x", constrain="domain",
                            title="x₂")
        return
    for k in range(1, rows * cols + 1):
        where = dict(row=(k - 1) // cols + 1, col=(k - 1) % cols + 1)
        figure.update_xaxes(range=extent[:2], showgrid=False, zeroline=False, constrain="domain", title="x₁", **where)
        figure.update_yaxes(range=extent[2:], showgrid=False, zeroline=False, constrain="domain", title="x₂",
                            scaleanchor=f"x{k if k > 1 else ''}", **where)


def sample_title(label: str, steps: int, samples: np.ndarray, extent, separator: str = " · ") -> str:
    """A samples panel's title (both renderers): the model, its step, and how many samples lie outside the view."""
    away = views.outside(samples, extent)
    return f"{label}{separator}step {steps}" + (f" · {away} outside" if away else "")


def samples_figure(models: dict, samples: dict, real: np.ndarray, extent) -> go.Figure:
    families = list(models)
    figure = make_subplots(rows=1, cols=len(families), horizontal_spacing=0.02,
                           subplot_titles=[sample_title(models[f].label, models[f].steps, samples[f], extent, "<br>")
                                           for f in families])
    for col, family in enumerate(families, start=1):
        figure.add_trace(go.Scatter(x=real[:, 0], y=real[:, 1], mode="markers", showlegend=col == 1, name="data",
                                    marker=dict(size=3, color="rgba(120,120,120,0.35)")), row=1, col=col)
        s = samples[family]
        figure.add_trace(go.Scatter(x=s[:, 0], y=s[:, 1], mode="markers", name="samples", showlegend=col == 1,
                                    marker=dict(size=3, color=colour(family))), row=1, col=col)
    square_axes(figure, extent, 1, len(families))
    # The legend sits below the x axis's tick labels, not on them.
    figure.update_layout(height=340, margin=dict(l=10, r=10, t=60, b=30),
                         legend=dict(orientation="h", yanchor="top", y=-0.12, x=0),
                         uirevision="samples")
    return figure


def metrics_table(models: dict, found: dict) -> pd.DataFrame:
    rows = []
    for family, model in models.items():
        m = found[family]
        # Text cells: "—" before any training, and "∞" for the KL of a histogram with no sample on a mode. (The page
        # shows the table as Markdown, where a lone "-" would be a list bullet.)
        row = {"model": model.label, "step": model.steps,
               "steps/s training": f"{model.steps / model.seconds:.0f}" if model.seconds else "—"}
        if "modes_covered" in m:
            kl = m["reverse_kl"]
            row.update({"modes covered": f"{m['modes_covered']}/{m['num_modes']}",
                        "high quality": f"{m['high_quality']:.1%}", "reverse KL": f"{kl:.3f}" if kl < 1e9 else "∞"})
        row.update({"precision": round(m.get("precision", float("nan")), 3),
                    "recall": round(m.get("recall", float("nan")), 3)})
        rows.append(row)
    return pd.DataFrame(rows).set_index("model")


def loss_keys(history: dict) -> list[str]:
    """The loss series a model's step reports (loss_d / loss_g, loss, nll)."""
    return [k for k in history if k.startswith("loss") or k == "nll"]


def curves_figure(models: dict) -> go.Figure:
    families = list(models)
    figure = make_subplots(rows=1, cols=len(families), horizontal_spacing=0.05,
                           subplot_titles=[models[f].label for f in families])
    for col, family in enumerate(families, start=1):
        history = models[family].history
        steps = history["step"]
        stride = max(1, len(steps) // 400)
        palette = loss_colours(family)
        for k, key in enumerate(loss_keys(history)):
            figure.add_trace(go.Scatter(x=steps[::stride], y=history[key][::stride], mode="lines", name=key,
                                        showlegend=False, line=dict(width=1, color=palette[k % len(palette)])),
                             row=1, col=col)
        metric = models[family].metric_history
        if "high_quality" in metric:
            figure.add_trace(go.Scatter(x=metric["step"], y=metric["high_quality"], mode="lines", name="high quality",
                                        line=dict(color="grey", dash="dot"), showlegend=False), row=1, col=col)
    figure.update_layout(height=220, margin=dict(l=10, r=10, t=40, b=10), uirevision="curves")
    figure.update_xaxes(title="training step")
    figure.update_yaxes(title="loss", col=1)
    return figure


def gan_inside(view: views.InsideView, real: np.ndarray, samples: dict, extent) -> go.Figure:
    d = view.data
    figure = make_subplots(rows=1, cols=2, horizontal_spacing=0.12, subplot_titles=(
        "D(x) (yellow: 'real') and G's push", "a grid of z under G"))
    d_map = d["d_map"]
    figure.add_trace(go.Heatmap(x=d_map["x"], y=d_map["y"], z=d_map["d"], zmin=0, zmax=1, colorscale="Viridis",
                                colorbar=dict(title="D(x)", len=0.8, x=0.43, thickness=12)), row=1, col=1)
    figure.add_trace(go.Scatter(x=real[:, 0], y=real[:, 1], mode="markers", name="data", showlegend=False,
                                marker=dict(size=3, color="white")), row=1, col=1)
    ax, ay = arrows(d["pushed"], d["push"], 0.12 * (extent[1] - extent[0]))
    figure.add_trace(go.Scatter(x=ax, y=ay, mode="lines", line=dict(color="#d62728", width=1), showlegend=False,
                                hoverinfo="skip"), row=1, col=1)
    figure.add_trace(go.Scatter(x=d["pushed"][:, 0], y=d["pushed"][:, 1], mode="markers", showlegend=False,
                                marker=dict(size=4, color="#d62728")), row=1, col=1)
    figure.add_trace(go.Scatter(x=real[:, 0], y=real[:, 1], mode="markers", showlegend=False,
                                marker=dict(size=3, color="rgba(120,120,120,0.35)")), row=1, col=2)
    gx, gy = joined(d["grid"])
    figure.add_trace(go.Scatter(x=gx, y=gy, mode="lines", showlegend=False, hoverinfo="skip",
                                line=dict(color="#d62728", width=1)), row=1, col=2)
    square_axes(figure, extent, 1, 2)
    figure.update_layout(height=420, margin=dict(l=10, r=10, t=40, b=10), uirevision="gan")
    return figure


def vae_inside(view: views.InsideView, real: np.ndarray, samples: dict, extent) -> go.Figure:
    sigma, vae_samples = view.data["sigma"], samples["vae"]
    figure = go.Figure([go.Scatter(x=real[:, 0], y=real[:, 1], mode="markers", name="data",
                                   marker=dict(size=3, color="rgba(120,120,120,0.35)")),
                        go.Scatter(x=vae_samples[:, 0], y=vae_samples[:, 1], mode="markers", name="samples",
                                   marker=dict(size=3, color=COLORS["vae"], opacity=0.5))])
    gx, gy = joined(view.data["grid"])
    figure.add_trace(go.Scatter(x=gx, y=gy, mode="lines", hoverinfo="skip", name="decoder mean over a grid of z",
                                line=dict(color="#08306b", width=1)))
    figure.update_layout(title=f"decoder mean mu(z) over a z grid; samples add noise of sigma = "
                               f"({sigma[0]:.3f}, {sigma[1]:.3f}): the blur between modes",
                         height=420, margin=dict(l=10, r=10, t=40, b=10), uirevision="vae")
    square_axes(figure, extent)
    return figure


def diffusion_inside(view: views.InsideView, real: np.ndarray, samples: dict, extent) -> go.Figure:
    field = view.data["field"]
    ax, ay = arrows(field["x"], field["pull"], 0.5)
    figure = go.Figure([go.Scatter(x=real[:, 0], y=real[:, 1], mode="markers", name="data",
                                   marker=dict(size=3, color="rgba(120,120,120,0.35)")),
                        go.Scatter(x=ax, y=ay, mode="lines", name="x0_hat - x_t (half length)",
                                   line=dict(color=COLORS["ddpm"], width=1)),
                        go.Scatter(x=field["x"][:, 0], y=field["x"][:, 1], mode="markers", showlegend=False,
                                   marker=dict(size=3, color=COLORS["ddpm"]))])
    figure.update_layout(title=f"denoising field at t = {view.data['t']}: where the model thinks the clean data is",
                         height=420, margin=dict(l=10, r=10, t=40, b=10), uirevision="ddpm")
    square_axes(figure, extent)
    return figure


def flow_inside(view: views.InsideView, real: np.ndarray, samples: dict, extent) -> go.Figure:
    stages = view.data["stages"]
    shown = list(range(len(stages)))
    cols = 5
    rows = -(-len(shown) // cols)
    figure = make_subplots(rows=rows, cols=cols, horizontal_spacing=0.02, vertical_spacing=0.06,
                           subplot_titles=["z ~ N(0, I)"] + [f"after layer {k}" for k in shown[1:]])
    for i, k in enumerate(shown):
        r, c = i // cols + 1, i % cols + 1
        if k == shown[-1]:
            figure.add_trace(go.Scatter(x=real[:, 0], y=real[:, 1], mode="markers", showlegend=False,
                                        marker=dict(size=2, color="rgba(120,120,120,0.35)")), row=r, col=c)
        gx, gy = joined(stages[k])
        figure.add_trace(go.Scatter(x=gx, y=gy, mode="lines", showlegend=False, hoverinfo="skip",
                                    line=dict(color=COLORS["flow"], width=1)), row=r, col=c)
    square_axes(figure, extent, rows, cols)
    figure.update_layout(height=230 * rows, margin=dict(l=10, r=10, t=40, b=10), uirevision="flow")
    return figure


def ebm_inside(view: views.InsideView, real: np.ndarray, samples: dict, extent) -> go.Figure:
    landscape, chains = view.data["landscape"], view.data["chains"]
    figure = go.Figure([go.Heatmap(x=landscape["x"], y=landscape["y"], z=landscape["energy"], colorscale="Cividis",
                                   colorbar=dict(title="E(x)")),
                        go.Scatter(x=real[:, 0], y=real[:, 1], mode="markers", name="data",
                                   marker=dict(size=2, color="white"))])
    for k in range(chains.shape[1]):
        figure.add_trace(go.Scatter(x=chains[:, k, 0], y=chains[:, k, 1], mode="lines", showlegend=k == 0,
                                    name="Langevin chains from noise", line=dict(color=COLORS["ebm"], width=1.5)))
    figure.add_trace(go.Scatter(x=chains[-1, :, 0], y=chains[-1, :, 1], mode="markers", name="chain ends",
                                marker=dict(size=7, color=COLORS["ebm"], symbol="x")))
    figure.update_layout(title="energy E(x) (dark: low, where samples gather) and 80-step Langevin chains from noise",
                         height=420, margin=dict(l=10, r=10, t=40, b=10), uirevision="ebm",
                         legend=dict(orientation="h", y=-0.1))
    square_axes(figure, extent)
    return figure


FIGURES = {"gan": gan_inside, "vae": vae_inside, "ddpm": diffusion_inside, "flow": flow_inside,
           "ebm": ebm_inside}  # one per family of gen_core.labs.playground.INSIDE_VIEWS (a test checks)


def inside_figure(view: views.InsideView, real: np.ndarray, samples: dict, extent) -> go.Figure:
    """The 'look inside' view (gen_core.labs.playground.inside_view) as a Plotly figure (ui.point_frames: a picture)."""
    return FIGURES[view.family](view, real, samples, extent)
