"""Synthetic data tab: a classifier trained on 10, 30 or 100 real digits per class, alone and with a conditional
GAN's samples added, tested on the real test digits, with the spread over five seeds: whichever way it comes out."""
import streamlit as st

from gen_core import render
from gen_core.labs import uses
from ui.charts import legible
from ui.lab_cache import lab_call
from ui.loaders import checkpoints_of

COLOURS = {"real": "#0068c9", "real + synthetic": "#ff8700", "synthetic only": "#29b09d"}


@st.fragment
def show(device: str) -> None:
    st.markdown("Generated data as training data (the syllabus's *data augmentation* and *synthetic data*): does a "
                "class-conditional GAN's output help a classifier that has only a few real examples?")
    names = [c["name"] for c in checkpoints_of("cgan") if c["source"] == "shipped" and
             c["card"]["dataset"]["name"] == "digits"]
    name = st.selectbox("Conditional generator", names, key="gan_synth_model", bind="query-params")
    found = lab_call(uses.figures, device, "synthetic_training_data", name)
    sizes = found["real_per_class"]
    figure = render.accuracy_figure(
        sizes, found["rows"], f"test accuracy on {found['test_images']} real digits (mean ± sd over {found['seeds']} "
        f"seeds)", "real training images per class", COLOURS, dotted=("synthetic only",))
    st.plotly_chart(legible(figure), key="gan_synth_curve")
    real, mixed = found["rows"]["real"], found["rows"]["real + synthetic"]
    lines = [f"{n} real per class: {r[0]:.1%} ± {r[1]:.1%} alone, {m[0]:.1%} ± {m[1]:.1%} with "
             f"{found['synthetic_per_class']} samples per class ({(m[0] - r[0]) * 100:+.1f} points)"
             for n, r, m in zip(sizes, real, mixed)]
    st.markdown("\n".join(f"- {line}" for line in lines))
    st.caption("The samples help most where real data is scarcest and stop helping once the real set is larger: "
               "they carry no information the generator did not learn from the same 1,437 training digits. "
               "Logistic regression on the 64 pixels; the samples alone score as the dotted line. Reproduce: "
               "python bench/uses.py")
