"""Generative vs discriminative classifiers: the syllabus's comparison table, one row at a time, on real data."""
import time

import numpy as np
import plotly.graph_objects as go
import streamlit as st
import torch
from plotly.subplots import make_subplots

from gen_core import classifier_lab as lab
from gen_core import classifiers
from gen_core.data import dataset_names
from gen_core.data.toys import TOYS
from ui.images import fast_png, show_grid
from ui.point_frames import Panel, side_by_side
from ui.notice import notice
from ui.settings import global_seed
from ui.text import plain

TABS = ["Decision boundaries", "Learning curves", "Missing data", "Irrelevant features", "Generation", "Outliers"]
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
COLOURS = np.array([[31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40], [148, 103, 189], [140, 86, 75],
                    [227, 119, 194], [127, 127, 127], [188, 189, 34], [23, 190, 207]])


def colour(k: int, alpha: float | None = None) -> str:
    """The k-th palette colour as a CSS string for plotly."""
    r, g, b = (int(v) for v in COLOURS[int(k) % len(COLOURS)])
    return f"rgb({r},{g},{b})" if alpha is None else f"rgba({r},{g},{b},{alpha})"

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
data_name = c[0].selectbox("Data", choices, index=choices.index("digits"), key="gvd_data", bind="query-params",
                           help=f"Any registered dataset: {', '.join(n for n in dataset_names() if ':' not in n)}")
dim = separation = correlation = None
if data_name == lab.SYNTHETIC:
    dim = c[1].slider("Features", 2, 50, 20, key="gvd_dim", bind="query-params")
    separation = c[2].slider("Class separation", 0.5, 4.0, 3.0, 0.25, key="gvd_sep", bind="query-params")
    correlation = c[3].slider("Feature correlation", 0.0, 0.95, 0.8, 0.05, key="gvd_corr", bind="query-params",
                              help="0: naive Bayes's independence assumption holds; near 1 it is badly wrong")


# The cached experiments below take `data_key` (the arguments of `task`) and load their data through it: a cached
# function depends on its arguments only, never on page globals.
@st.cache_data(show_spinner=False, max_entries=16)
def task(name: str, dim, separation, correlation):
    if name == lab.SYNTHETIC:
        return lab.load_task(name, dim, separation, correlation)
    return lab.load_task(name)


X_train, y_train, X_test, y_test, image_shape, class_names = task(data_name, dim, separation, correlation)
st.caption(f"{len(X_train)} training and {len(X_test)} test examples, {X_train.shape[1]} features, "
           f"{len(np.unique(y_train))} classes.")
all_models = list(classifiers.GENERATIVE + classifiers.DISCRIMINATIVE)


def models_beside_option(key: str, default: list[str]):
    """The models multiselect in a wide column, and the narrow column beside it for the section's own option."""
    wide, narrow = st.columns([3, 1])
    with wide:
        names = pick_models(key, default)
    return names, narrow


def pick_models(key: str, default: list[str]) -> list[str]:
    return st.multiselect("Models", all_models, default, key=key, bind="query-params",
                          format_func=lambda n: f"{n} ({'generative' if classifiers.is_generative(n) else 'discriminative'})")


def timed(fn, *args):
    started = time.perf_counter()
    result = fn(*args)
    return result, time.perf_counter() - started


tabs = st.tabs(TABS, key="gvd_tab", on_change="rerun", bind="query-params")
boundary_tab, curves_tab, missing_tab, irrelevant_tab, generation_tab, outlier_tab = tabs


# --- Decision boundaries --------------------------------------------------------------------------------------

@st.cache_data(show_spinner=False, max_entries=32)
def surfaces(data_key: tuple, names: tuple, n_train: int, seed: int):
    X_train, y_train, X_test, y_test, image_shape, _ = task(*data_key)
    if X_train.shape[1] == 2:
        return lab.decision_surfaces(names, X_train, y_train, X_test, y_test, n_train, seed)
    from sklearn.decomposition import PCA
    pca = PCA(2, random_state=0).fit(X_train)
    return lab.decision_surfaces(names, pca.transform(X_train), y_train, pca.transform(X_test), y_test, n_train, seed)


def probability_image(proba: np.ndarray) -> np.ndarray:
    """p(y | x) on the grid (K, R, R) as colours: each class's colour weighted by its probability, so confident
    regions are saturated and uncertain ones fade towards grey-white."""
    colours = COLOURS[np.arange(len(proba)) % len(COLOURS)].astype(float)
    mix = np.einsum("krc,kd->rcd", proba, colours)
    confidence = proba.max(0)[..., None]
    white = np.full(3, 255.0)
    return (white + (mix - white) * (confidence - 1 / len(proba)) / (1 - 1 / len(proba))).clip(0, 255).astype(np.uint8)


@st.cache_data(show_spinner=False, max_entries=32)
def boundaries_picture(data_key: tuple, names: tuple, n_train: int, seed: int) -> bytes:
    """The models' p(y | x) with the training points, side by side, as PNG bytes: drawing and encoding it took most
    of this page's server run (~80 of 116 ms, py-spy), for a picture every visitor with the same settings shares.
    A model that failed to fit is left out (the page says why)."""
    result = surfaces(data_key, names, n_train, seed)
    gx, gy = result["gx"], result["gy"]
    extent = (gx[0], gx[-1], gy[0], gy[-1])
    panels = []
    for name in [n for n in names if "error" not in result["models"][n]]:
        panel = Panel(extent, 300, f"{name}: test acc {result['models'][name]['accuracy']:.1%}")
        panel.picture(probability_image(result["models"][name]["proba"]))
        for k in np.unique(result["y"]):
            points = result["X"][result["y"] == k]
            panel.dots(points, (0, 0, 0), radius=3)  # a dark rim, so points read on their own class's colour
            panel.dots(points, tuple(int(v) for v in COLOURS[int(k) % len(COLOURS)]), radius=2)
        panels.append(panel)
    return fast_png(side_by_side(panels, gap=12, columns=min(3, len(panels))))


def boundaries_section(data_key):
    if X_train.shape[1] != 2:
        st.info(f"Boundaries are drawn in a plane: these {X_train.shape[1]}-feature inputs are projected onto their "
                "first two principal components and the models are fitted there. Pick a 2-D toy to see them on the "
                "data itself.")
    names, option = models_beside_option("gvd_bound_models", ["Naive Bayes", "QDA", "Logistic regression", "RBF SVM"])
    n_train = option.select_slider("Training points", [10, 20, 50, 100, 200, 500, 1000, 4000], 200, key="gvd_bound_n", bind="query-params")
    if not names:
        return
    result, seconds = timed(surfaces, data_key, tuple(names), n_train, global_seed())
    for name in [n for n in names if "error" in result["models"][n]]:
        st.warning(plain(result["models"][name]["error"]))
    fitted = [n for n in names if "error" not in result["models"][n]]
    if not fitted:
        return
    # One picture, not a Plotly chart: this is the page's first view, and a Plotly chart there made every new
    # browser tab load Plotly's 4.7 MB bundle first (and each change redraw 4 heat maps in the browser).
    st.image(boundaries_picture(data_key, tuple(names), n_train, global_seed()),
             caption=" · ".join(f"{n}: test acc {result['models'][n]['accuracy']:.1%}" for n in fitted))
    st.caption(f"Colour: p(y | x), faded where the model is unsure; dots: the {len(result['y'])} training points. "
               f"Computed in {seconds:.2f} s (cached after). Generative models draw boundaries where their class "
               "densities cross (naive Bayes: axis-aligned ellipses; QDA: conics); discriminative ones fit the "
               "boundary itself.")


# --- Learning curves ------------------------------------------------------------------------------------------

@st.cache_data(show_spinner=False, max_entries=32)
def curves(data_key: tuple, names: tuple, sizes: tuple, resamples: int, seed: int):
    X_train, y_train, X_test, y_test, image_shape, _ = task(*data_key)
    return lab.learning_curves(names, X_train, y_train, X_test, y_test, sizes, resamples, seed)


def curves_section(data_key):
    st.markdown("Ng and Jordan (2001): naive Bayes approaches its best error with far fewer examples than "
                "(unregularised) logistic regression, but logistic regression's best is lower when naive Bayes's "
                "independence assumption is wrong, so the curves cross. On the synthetic task, raise the feature "
                "correlation to break that assumption and watch the crossover move; compare with the default, "
                "L2-penalised logistic regression, whose penalty already helps it with few examples.")
    # Ng & Jordan's pair on the synthetic task; on real data the usual, penalised logistic regression
    synthetic = data_name == lab.SYNTHETIC
    if not synthetic:
        left, right = st.columns([3, 1])
        left.info("On this data the usual, penalised logistic regression leads at every size, so the curves do not "
                  "cross. Ng and Jordan's crossover shows on the synthetic task with correlated features (0.8): naive "
                  "Bayes leads up to about 50 examples, then unpenalised logistic regression overtakes it.")
        right.button("Show the crossover", icon=":material/swap_horiz:", key="gvd_curve_to_synthetic",
                     on_click=lambda: st.session_state.update(gvd_data=lab.SYNTHETIC, gvd_corr=0.8))
    names, option = models_beside_option(
        "gvd_curve_models_synthetic" if synthetic else "gvd_curve_models",
        ["Naive Bayes", "Logistic regression (no penalty)" if synthetic else "Logistic regression"])
    resamples = option.slider("Resamples", 10, 30, 10, key="gvd_curve_resamples", bind="query-params")
    classes = len(np.unique(y_train))
    sizes = lab.curve_sizes(len(X_train), classes)
    if not names:
        return
    result, seconds = timed(curves, data_key, tuple(names), sizes, resamples, global_seed())
    figure = go.Figure()
    for i, name in enumerate(names):
        acc = result[name]
        mean, low, high = acc.mean(0), np.percentile(acc, 10, 0), np.percentile(acc, 90, 0)
        figure.add_trace(go.Scatter(x=list(sizes) + list(sizes)[::-1], y=list(high) + list(low)[::-1], fill="toself",
                                    mode="lines", fillcolor=colour(i, 0.18), line=dict(width=0), hoverinfo="skip",
                                    showlegend=False))
        figure.add_trace(go.Scatter(x=sizes, y=mean, name=name, mode="lines+markers",
                                    line=dict(color=colour(i),
                                              dash="solid" if classifiers.is_generative(name) else "dash")))
    generative = [n for n in names if classifiers.is_generative(n)]
    discriminative = [n for n in names if not classifiers.is_generative(n)]
    note = ""
    if generative and discriminative:
        found = lab.crossover(sizes, result[generative[0]], result[discriminative[0]])
        if found is not None:
            # On a log axis a shape takes the data value but an annotation takes its log10: add_vline's own
            # annotation put the label at 10^n and stretched the axis to 10^64-10^128.
            figure.add_vline(x=found["overtaken_at"], line_dash="dot", line_color="black")
            figure.add_annotation(x=np.log10(found["overtaken_at"]), y=1, yref="paper", yanchor="bottom",
                                  showarrow=False, text=f"{discriminative[0]} overtakes from n = {found['overtaken_at']}")
            note = (f"Crossover: {generative[0]} is ahead at n = {found['leads_from']} to {found['leads_to']}; "
                    f"{discriminative[0]} overtakes from n = {found['overtaken_at']} on and ends higher.")
        else:
            note = (f"No crossover between {generative[0]} and {discriminative[0]} over these sizes: one leads "
                    "throughout." + (" Try another feature correlation." if data_name == lab.SYNTHETIC else
                                     " On real data with the penalised logistic regression that is usual: see the "
                                     "crossover on the synthetic task."))
    figure.update_xaxes(range=[np.log10(sizes[0]) - 0.05, np.log10(sizes[-1]) + 0.05])  # a log axis's range: log10
    figure.update_layout(xaxis_type="log", xaxis_title="training examples", yaxis_title="test accuracy", height=380,
                         margin=dict(l=10, r=10, t=40, b=10), legend=dict(orientation="h", y=-0.2))
    st.plotly_chart(figure, width="stretch", key="gvd_curve_chart")
    st.caption(f"Mean over {resamples} random training subsets; bands from the 10th to the 90th percentile. Solid: "
               f"generative, dashed: discriminative. {note} Computed in {seconds:.2f} s (cached after).")


# --- Missing data ---------------------------------------------------------------------------------------------

@st.cache_data(show_spinner=False, max_entries=32)
def missing(data_key: tuple, names: tuple, seed: int):
    X_train, y_train, X_test, y_test, image_shape, _ = task(*data_key)
    return lab.missing_features(names, X_train, y_train, X_test, y_test, lab.MISSING_FRACTIONS, seed)


def line_chart(xs, series: dict, x_title: str, y_title: str, key: str):
    figure = go.Figure()
    for i, (name, ys) in enumerate(series.items()):
        figure.add_trace(go.Scatter(x=list(xs), y=ys, name=name, mode="lines+markers",
                                    line=dict(color=colour(i),
                                              dash="solid" if classifiers.is_generative(name) else "dash")))
    figure.update_layout(xaxis_title=x_title, yaxis_title=y_title, height=360, margin=dict(l=10, r=10, t=30, b=10),
                         legend=dict(orientation="h", y=-0.25))
    st.plotly_chart(figure, width="stretch", key=key)


def missing_section(data_key):
    st.markdown(r"Hide a share of each test input's features. A Gaussian generative model integrates them out: "
                r"$p(x_{\text{seen}}\mid y) = \int p(x\mid y)\,dx_{\text{hidden}}$ is again Gaussian, with the seen "
                r"rows and columns of the mean and covariance. A discriminative model has no $p(x)$ to integrate, so "
                r"the hidden features are filled with their training means first.")
    names = pick_models("gvd_missing_models", ["Naive Bayes", "LDA", "Logistic regression", "Random forest"])
    if not names:
        return
    result, seconds = timed(missing, data_key, tuple(names), global_seed())
    line_chart([f * 100 for f in lab.MISSING_FRACTIONS], result, "% of test features hidden", "test accuracy",
               "gvd_missing_chart")
    st.caption(f"Solid: generative (marginalised), dashed: discriminative (mean-imputed). Computed in "
               f"{seconds:.2f} s (cached after).")
    if image_shape is not None:
        example = lab.hide(X_test[:8], 0.5, np.random.default_rng(0))
        show_grid(to_images(example), caption="Test inputs with 50% of their pixels hidden (hidden: mid-grey)", nrow=8)


# --- Irrelevant features --------------------------------------------------------------------------------------

@st.cache_data(show_spinner=False, max_entries=32)
def irrelevant(data_key: tuple, names: tuple, n_train: int, seed: int):
    X_train, y_train, X_test, y_test, image_shape, _ = task(*data_key)
    return lab.irrelevant_features(names, X_train, y_train, X_test, y_test, lab.NOISE_FEATURES, n_train, seed)


def irrelevant_section(data_key):
    st.markdown("Append k features of pure noise (with the spread of the real ones) to every input. The syllabus: "
                "generative models *can be* sensitive to irrelevant features, discriminative ones *tend to be* more "
                "robust. How sensitive depends on how many numbers the model must estimate per feature: LDA fits a "
                "covariance over all features (every noise feature adds a row and a column to estimate from the "
                "same few examples), while naive Bayes fits one mean and one variance per feature, and a noise "
                "feature's terms in log p(x | y) nearly cancel between classes. Logistic regression and the forest "
                "learn small weights or no splits for noise.")
    names, option = models_beside_option("gvd_irr_models", ["Naive Bayes", "LDA", "Logistic regression", "Random forest"])
    n_train = option.select_slider("Training examples", [50, 100, 200, 500, 1000], 200, key="gvd_irr_n", bind="query-params")
    if not names:
        return
    result, seconds = timed(irrelevant, data_key, tuple(names), min(n_train, len(X_train)), global_seed())
    line_chart(lab.NOISE_FEATURES, result, "noise features added", "test accuracy", "gvd_irr_chart")
    drops = {name: float(acc[0] - acc[-1]) for name, acc in result.items()}
    summary = "; ".join(f"{name} {result[name][0]:.0%} to {result[name][-1]:.0%}" for name in names)
    st.caption(f"From 0 to {lab.NOISE_FEATURES[-1]} noise features with {min(n_train, len(X_train))} training "
               f"examples: {summary}. Largest drop: {max(drops, key=drops.get)}. Computed in {seconds:.2f} s "
               "(cached after).")


# --- Generation -----------------------------------------------------------------------------------------------

def to_images(X: np.ndarray) -> torch.Tensor:
    """Flattened images back to (N, C, H, W) in [-1, 1] for display (NaN shown mid-grey)."""
    lo, hi = np.nanmin(X_train), np.nanmax(X_train)
    x = (np.nan_to_num(X, nan=(lo + hi) / 2) - lo) / (hi - lo) * 2 - 1
    return torch.as_tensor(x, dtype=torch.float32).clamp(-1, 1).reshape(-1, *image_shape)


@st.cache_data(show_spinner=False, max_entries=32)
def samples_of(data_key: tuple, name: str, per_class: int, seed: int):
    X_train, y_train, X_test, y_test, image_shape, _ = task(*data_key)
    model = lab.quiet_fit(classifiers.make(name, seed), X_train, y_train)
    classes = np.unique(y_train)
    X = np.vstack([model.sample(per_class, y=k, random_state=seed + int(k))[0] for k in classes])
    return X, np.repeat(classes, per_class)


def generation_section(data_key):
    st.markdown("A generative classifier is a model of the data, so it can draw new examples of each class. A "
                "discriminative classifier only knows where the boundaries are: there is nothing to sample.")
    c = st.columns([2, 2])
    generative = c[0].selectbox("Generative model", classifiers.GENERATIVE, key="gvd_gen_model", bind="query-params")
    c[1].selectbox("Discriminative model", classifiers.DISCRIMINATIVE, key="gvd_gen_disc", bind="query-params")
    per_class = 8 if image_shape is not None else 200
    (X, y), seconds = timed(samples_of, data_key, generative, per_class, global_seed())
    left, right = st.columns(2)
    with left:
        st.markdown(f"**{generative}: samples, one row per class**" if image_shape is not None else
                    f"**{generative}: samples against the data**")
        if image_shape is not None:
            show_grid(to_images(X), nrow=per_class, caption=f"{len(X)} samples drawn in {seconds:.2f} s")
        else:
            figure = go.Figure([go.Scatter(x=X_train[:1500, 0], y=X_train[:1500, 1], mode="markers", name="data",
                                           marker=dict(size=3, color="#cccccc")),
                                go.Scatter(x=X[:, 0], y=X[:, 1], mode="markers", name="samples",
                                           marker=dict(size=4, color=[colour(k) for k in y]))])
            figure.update_layout(height=380, margin=dict(l=10, r=10, t=10, b=10))
            st.plotly_chart(figure, width="stretch", key="gvd_gen_chart")
    with right:
        st.markdown(f"**{st.session_state.gvd_gen_disc}**")
        st.info(f"{st.session_state.gvd_gen_disc} models p(y | x) only. It has no p(x | y) to draw from, so it "
                "cannot generate an example of any class.")


# --- Outliers -------------------------------------------------------------------------------------------------

@st.cache_data(show_spinner=False, max_entries=32)
def outliers(data_key: tuple, names: tuple, kind: str, seed: int):
    X_train, y_train, X_test, y_test, image_shape, _ = task(*data_key)
    rng = np.random.default_rng(seed)
    lo, hi = X_train.min(0), X_train.max(0)
    if kind == "uniform noise":
        X_out = rng.uniform(lo, hi, (len(X_test), X_train.shape[1]))
    elif kind == "inverted images":
        X_out = hi.max() + lo.min() - X_test
    else:  # shuffled features: each feature's values kept, their combination destroyed
        X_out = np.stack([rng.permutation(col) for col in X_test.T], 1)
    return lab.outlier_scores(names, X_train, y_train, X_test, X_out, seed), X_out[:8]


def outlier_section(data_key):
    st.markdown("Can the model tell inputs unlike its training data? A generative model's log p(x) is a direct "
                "answer; a discriminative model has only its confidence, max p(y | x), which can be high far from "
                "any data. Each curve separates the test set (in) from the chosen outliers (out).")
    names, option = models_beside_option("gvd_out_models", ["Naive Bayes", "QDA", "Logistic regression", "Random forest"])
    kinds = ["uniform noise", "shuffled features"] + (["inverted images"] if image_shape is not None else [])
    kind = option.selectbox("Outliers", kinds, key="gvd_out_kind", bind="query-params")
    if not names:
        return
    (result, examples), seconds = timed(outliers, data_key, tuple(names), kind, global_seed())
    figure = make_subplots(rows=1, cols=2, subplot_titles=("ROC: in-distribution vs outliers", "AUROC"))
    for i, name in enumerate(names):
        r = result[name]
        figure.add_trace(go.Scatter(x=r["fpr"], y=r["tpr"], name=f"{name} ({r['kind']})", line=dict(color=colour(i))),
                         row=1, col=1)
        figure.add_trace(go.Bar(x=[name], y=[r["auroc"]], marker_color=colour(i), showlegend=False,
                                text=[f"{r['auroc']:.3f}"], textposition="outside"), row=1, col=2)
    figure.add_trace(go.Scatter(x=[0, 1], y=[0, 1], line=dict(dash="dot", color="grey"), showlegend=False), row=1, col=1)
    figure.update_xaxes(title_text="false positive rate", row=1, col=1)
    figure.update_yaxes(title_text="true positive rate", row=1, col=1)
    figure.update_yaxes(range=[0, 1.1], row=1, col=2)
    figure.update_layout(height=400, margin=dict(l=10, r=10, t=40, b=10), legend=dict(orientation="h", y=-0.25))
    st.plotly_chart(figure, width="stretch", key="gvd_out_chart")
    st.caption(f"AUROC 1: every outlier scored below every test input; 0.5: no better than chance. Computed in "
               f"{seconds:.2f} s (cached after).")
    if image_shape is not None:
        show_grid(to_images(examples), nrow=8, caption=f"Some outliers ({kind})")


data_key = (data_name, dim, separation, correlation)
sections = [boundaries_section, curves_section, missing_section, irrelevant_section, generation_section,
            outlier_section]


@st.fragment
def experiment(section, data_key):
    """One tab's controls and pictures: a control reruns this section only, not the page above it (the outline
    table's two dozen elements and the data controls)."""
    with st.spinner("Fitting the models..."):
        section(data_key)


for label, tab, section in zip(TABS, tabs, sections):
    with tab:
        if tab.open:
            notice("gvd", label)
            experiment(section, data_key)
