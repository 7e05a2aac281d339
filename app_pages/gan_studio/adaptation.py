"""Domain adaptation tab: a classifier trained on the digits fails on the same digits in another domain (inverted,
rotated); translating that domain back with a CycleGAN first recovers it, up to the ceiling of a classifier trained
on labelled images of the new domain. Measured on the 360 test digits (gen_core/labs/uses.py)."""
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from gen_core.labs import uses
from ui.charts import legible
from ui.images import labelled_grid
from ui.lab_cache import lab_call
from ui.loaders import checkpoints_of
from ui.widget_keys import GAN

ROWS = [("source_on_source", "trained on digits, tested on digits"),
        ("source_on_target", "trained on digits, tested on the new domain"),
        ("source_on_translated", "the same, after the CycleGAN translates the new domain back"),
        ("target_on_target", "ceiling: trained on labelled images of the new domain")]


@st.fragment
def show(device: str) -> None:
    st.markdown("The syllabus's **domain adaptation**: knowledge learned on a source domain is carried to a target "
                "domain with a different distribution. Here the source is the digits, the target the same digits "
                "under a change the classifier never saw, and the bridge is a CycleGAN trained without pairs.")
    names = [c["name"] for c in checkpoints_of("cyclegan") if c["source"] == "shipped"]
    translator = st.selectbox("Translator", names, key=GAN.ADAPT_MODEL, bind="query-params",
                              help="cyclegan-digits-invert: inverted digits; cyclegan-digits-rot90: rotated ones "
                                   "(an MLP translator that did not learn the rotation)")
    found = lab_call(uses.figures, device, "domain_adaptation", translator)
    accuracy = [found[key] for key, _ in ROWS]
    figure = go.Figure(go.Bar(x=accuracy, y=[label for _, label in ROWS], orientation="h",
                              text=[f"{a:.1%}" for a in accuracy], textposition="outside",
                              marker_color=["#83c9ff", "#ff8700", "#29b09d", "#d5dae5"]))
    figure.update_layout(height=300, margin=dict(l=10, r=40, t=30, b=40), yaxis=dict(autorange="reversed"),
                         title=f"test accuracy on {found['test_images']} digits, target domain: {found['transform']}")
    figure.update_xaxes(title="accuracy", range=[0, 1.12], tickformat=".0%")
    figure.update_yaxes(title="classifier")
    st.plotly_chart(legible(figure), key="gan_adapt_bars")
    examples = lab_call(uses.translation_examples, device, translator)
    st.image(labelled_grid(examples.flatten(0, 1), [], 8, tile_px=56,
                           row_labels=["source", "target domain", "translated back"]), output_format="PNG")
    recovered = found["source_on_translated"] - found["source_on_target"]
    if recovered > 0.3:
        st.success(f"Translating first recovers {recovered:.0%} of accuracy: from {found['source_on_target']:.1%} "
                   f"to {found['source_on_translated']:.1%}, against a ceiling of {found['target_on_target']:.1%} "
                   f"that needed the new domain's labels.")
    else:
        st.warning(f"This translator does not carry the knowledge over: {found['source_on_target']:.1%} before, "
                   f"{found['source_on_translated']:.1%} after. It learned to make images that look like the source "
                   f"domain without keeping which digit they are (see its row above), the failure cycle consistency "
                   f"alone does not rule out.")
    st.dataframe(pd.DataFrame({"classifier": [label for _, label in ROWS], "test accuracy": accuracy}),
                 hide_index=True, column_config={"test accuracy": st.column_config.NumberColumn(format="percent")})
    st.caption("Logistic regression on the 64 pixels (scikit-learn), trained on the 1,437 training digits or their "
               "transform; the CycleGAN never saw a label. Reproduce: python bench/uses.py")
