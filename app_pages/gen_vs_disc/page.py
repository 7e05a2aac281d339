"""Generative vs discriminative classifiers: the syllabus's comparison table, one row at a time, on real data.

A thin page: the data controls and the outline, then one tab module per row of the table (boundaries, curves,
missing, irrelevant, generation, outliers), each `show(data_key)`, over gen_core/labs/classifiers.py."""
import numpy as np
import streamlit as st

from app_pages.gen_vs_disc import boundaries, curves, generation, irrelevant, missing, outliers
from app_pages.gen_vs_disc.common import task
from gen_core.data import dataset_names
from gen_core.data.toys import TOYS
from gen_core.labs import classifiers as lab
from ui.widget_keys import GVD
from ui.tabs import show_tabs

TABS = {"Decision boundaries": boundaries.show, "Learning curves": curves.show, "Missing data": missing.show,
        "Irrelevant features": irrelevant.show, "Generation": generation.show, "Outliers": outliers.show}
# The syllabus's table (syllabus.md, "Generative vs Discriminative models"), each row pointing at its tab.
OUTLINE = [
    ("Objective", "learn the data distribution p(x, y)", "learn the boundary p(y | x)", "Decision boundaries"),
    ("Data generation", "can generate new samples", "cannot generate data", "Generation"),
    ("Use cases", "augmentation, synthetic data, anomaly detection", "classification, regression", "Outliers"),
    ("Model complexity / data needed", "more assumptions: good with few examples, may plateau lower",
     "fewer assumptions: needs more data, ends better", "Learning curves"),
    ("Handling missing data", "integrates missing features out", "needs imputation first", "Missing data"),
    ("Robustness to irrelevant features", "can be sensitive to them", "tends to be more robust", "Irrelevant features"),
]

st.title("Generative vs discriminative classifiers")
st.markdown(r"A **generative** classifier models how each class produces data, $p(x\mid y)\,p(y)$, and classifies "
            r"by Bayes' rule; a **discriminative** one models $p(y\mid x)$ directly. The syllabus's table makes six "
            r"claims about the difference. Each row below leads to the experiment that tests it, on the data you choose.")

# Folded while a guided lesson runs: the lesson walks the rows itself, and the open table pushed each step's
# experiment below the fold of a projected screen.
with st.expander("The six rows and their experiments", expanded="lesson" not in st.session_state,
                 icon=":material/table_rows:"):
    header = st.columns([2, 3, 3, 3])
    for col, text in zip(header, ["**Row**", "**Generative**", "**Discriminative**", "**See it**"]):
        col.markdown(text)
    for row, generative, discriminative, tab in OUTLINE:
        c = st.columns([2, 3, 3, 3])  # the buttons' column fits 'Irrelevant features' (it was cut off)
        c[0].markdown(f"*{row}*")
        c[1].markdown(generative)
        c[2].markdown(discriminative)
        c[3].button(tab, key=f"gvd_go_{tab}", on_click=lambda t=tab: st.session_state.update(gvd_tab=t),
                    icon=":material/arrow_downward:")

IMAGE_SETS = ("digits", "shapes")
choices = [lab.SYNTHETIC, "digits", "shapes", *TOYS]
c = st.columns([2, 1, 1, 1])
data_name = c[0].selectbox("Data", choices, index=choices.index("digits"), key=GVD.DATA, bind="query-params",
                           help=f"Any registered dataset: {', '.join(n for n in dataset_names() if ':' not in n)}")
dim = separation = correlation = None
if data_name == lab.SYNTHETIC:
    dim = c[1].slider("Features", 2, 50, 20, key=GVD.DIM, bind="query-params")
    separation = c[2].slider("Class separation", 0.5, 4.0, 3.0, 0.25, key=GVD.SEP, bind="query-params")
    correlation = c[3].slider("Feature correlation", 0.0, 0.95, 0.8, 0.05, key=GVD.CORR, bind="query-params",
                              help="0: naive Bayes's independence assumption holds; near 1 it is badly wrong")

X_train, y_train, X_test, y_test, image_shape, class_names = task(data_name, dim, separation, correlation)
st.caption(f"{len(X_train)} training and {len(X_test)} test examples, {X_train.shape[1]} features, "
           f"{len(np.unique(y_train))} classes.")
data_key = (data_name, dim, separation, correlation)


@st.fragment
def experiment(show, data_key):
    """One tab's controls and pictures: a control reruns this section only, not the page above it (the outline
    table's two dozen elements and the data controls)."""
    with st.spinner("Fitting the models..."):
        show(data_key)


show_tabs({label: (lambda show=show: experiment(show, data_key)) for label, show in TABS.items()},
          key=GVD.TAB, page="gvd")
