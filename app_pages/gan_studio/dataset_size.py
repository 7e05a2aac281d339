"""Dataset size tab: the same DCGAN and VAE trained for the same number of steps on 100, 1,000 and all 1,437
training digits (`train --train-limit`): sample quality in the reference features and memorisation against the
images each model saw, with samples beside their nearest training images. The syllabus's "GANs require a large
dataset" and "overfitting on a small dataset", measured."""
import plotly.graph_objects as go
import streamlit as st
import torch
from plotly.subplots import make_subplots

from gen_core import metrics
from gen_core.data import limited
from gen_core.labs import uses
from ui.charts import legible
from ui.images import labelled_grid
from ui.lab_cache import lab_call
from ui.loaders import checkpoint_listing, get_core, get_dataset

MODELS = uses.DATASET_SIZE_MODELS
COLOURS = {"GAN (DCGAN)": "#ff2b2b", "VAE": "#0068c9"}


@st.fragment
def show(device: str) -> None:
    st.markdown("Train the same model for the same number of steps on fewer images and look at two things: how "
                "good its samples are (Fréchet distance to the test digits, lower is better; coverage of the test "
                "digits, higher is better) and how many of them are copies of a training image.")
    listed = {c["name"] for c in checkpoint_listing()}
    names = [n for family in MODELS.values() for n in family]
    missing = [n for n in names if n not in listed]
    if missing:
        st.info(f"Train {', '.join(missing)} first (their commands are in DEVELOPERS.md's table of shipped models).")
        return
    found = lab_call(uses.figures, device, "dataset_size", *names)
    rows = {r["checkpoint"]: r for r in found["rows"]}
    figure = make_subplots(rows=1, cols=3, subplot_titles=("Fréchet distance (lower: better)",
                                                           "coverage (higher: better)", "memorised samples"))
    for label, family in MODELS.items():
        sizes = [rows[n]["train_images"] for n in family]
        for col, key in enumerate(("fd", "coverage", "memorised"), start=1):
            figure.add_trace(go.Scatter(x=sizes, y=[rows[n][key] for n in family], mode="lines+markers", name=label,
                                        line_color=COLOURS[label], showlegend=col == 1), row=1, col=col)
    for col, title in enumerate(("FD", "coverage", "share of samples"), start=1):
        figure.update_xaxes(title="training images", type="log", tickvals=[100, 1000, 1437], row=1, col=col)
        figure.update_yaxes(title=title, row=1, col=col, tickformat=".0%" if col == 3 else None)
    figure.update_layout(height=360, margin=dict(l=10, r=10, t=50, b=40))
    st.plotly_chart(legible(figure), key="gan_size_curves")
    st.caption(f"{found['samples']} samples per model; memorised: nearer one of the model's own training images than "
               f"99% of held-out test digits are. Every model trained for the same number of steps (DCGAN 2,300, "
               f"VAE 5,400), so fewer images means more passes over each.")
    family = st.radio("Samples and their nearest training images", list(MODELS), horizontal=True,
                      key="gan_size_family", bind="query-params")
    core = get_core()
    dataset = get_dataset("digits")
    columns = st.columns(3)
    for column, name in zip(columns, MODELS[family]):
        limit = rows[name]["train_images"]
        seen = limited(dataset, limit) if limit < len(dataset.x_train) else dataset
        x = core.sample(name, 6, seed=0)
        index, _ = metrics.nearest_neighbours(x.flatten(1), seen.x_train.flatten(1))
        sheet = labelled_grid(torch.cat([x, seen.x_train[index]]), ["sample"] * 6 + ["nearest"] * 6, 6,
                              tile_px=44)
        with column:
            st.image(sheet, output_format="PNG", caption=f"{name}: {limit} training images; FD "
                                                         f"{rows[name]['fd']:.1f}, memorised {rows[name]['memorised']:.1%}")
