"""Features tab: a linear classifier with 5, 10 or 30 labels per class, on raw pixels, on the features a GAN's
discriminator learned without labels, and on a VAE encoder's codes: the syllabus's 'feature learning', measured."""
import streamlit as st

from gen_core import render
from gen_core.labs import uses
from ui.charts import legible
from ui.lab_cache import lab_call

COLOURS = {"raw pixels": "#808495", "GAN discriminator": "#ff2b2b", "VAE encoder (μ)": "#0068c9"}


@st.fragment
def show(device: str) -> None:
    st.markdown("GANs learn a representation as they train (the syllabus's *feature learning*): the discriminator "
                "must notice what makes a digit a digit. Freeze it, read its last hidden layer, and fit a linear "
                "classifier on a handful of labels; the same for a VAE's encoder and for the raw pixels.")
    found = lab_call(uses.figures, device, "linear_probe", "dcgan-digits", "vae-digits")
    sizes = found["labels_per_class"]
    figure = render.accuracy_figure(
        sizes, found["rows"], f"linear probe: test accuracy on {found['test_images']} digits (mean ± sd, "
        f"{found['seeds']} draws of the labelled examples)", "labelled examples per class", COLOURS,
        names={key: f"{key} ({found['dims'][key]} numbers)" for key in found["rows"]})
    st.plotly_chart(legible(figure), key="gan_probe_curve")
    rows = found["rows"]
    st.markdown(f"With {sizes[0]} labels per class: raw pixels {rows['raw pixels'][0][0]:.1%}, the GAN's "
                f"discriminator {rows['GAN discriminator'][0][0]:.1%}, the VAE's 16 codes "
                f"{rows['VAE encoder (μ)'][0][0]:.1%}.")
    st.caption("dcgan-digits's discriminator (never shown a label) and vae-digits's encoder means, both frozen; "
               "logistic regression on standardised features. A 16-number code keeps less than 2,048 "
               "discriminator features, yet it was learned to reconstruct, not to tell digits apart. Reproduce: "
               "python bench/uses.py")
