"""Mode collapse tab: two models side by side, 1000 samples of each read by an independent classifier: classes
covered, KL from uniform and the class histograms."""
import streamlit as st

from app_pages.gan_studio.studio import Studio
from gen_core import metrics, render
from ui.charts import legible
from ui.images import show_grid
from ui.loaders import core_on, get_dataset
from ui.settings import global_seed
from ui.widget_keys import GAN


@st.cache_data(show_spinner=False, max_entries=16)
def class_shares(checkpoint: str, device: str, seed: int) -> dict:
    """1000 samples of a model judged by the reference classifier: shares per class and the summary numbers."""
    shared = core_on(device)
    x = shared.sample(checkpoint, 1000, seed=seed)
    return metrics.class_metrics(get_dataset(shared.load(checkpoint).card["dataset"]["name"]), x)


@st.fragment
def show(studio: Studio) -> None:
    core, models = studio.core, studio.models
    by_name = dict(models)
    st.markdown("**Mode collapse**: the generator finds a few outputs that fool D and produces little else, "
                "ignoring most of the data distribution. An independent RBF SVC, fitted on the real training "
                "images, names the class of 1000 samples from each model.")
    judged = [{"name": n, "card": c} for n, c in models if c["dataset"].get("name") in metrics.CLASSIFIABLE]
    if len(judged) < 1:
        st.info("Mode collapse is judged on digits or shapes models; none is installed.")
        return
    names = [m["name"] for m in judged]
    healthy_default = next((n for n in names if n == "gan-digits"), names[0])
    collapsed_default = next((n for n in names if "collapse" in n), names[-1])
    pick = st.columns(2)
    chosen = [pick[0].selectbox("Left", names, names.index(healthy_default), key=GAN.LEFT, bind="query-params"),
              pick[1].selectbox("Right", names, names.index(collapsed_default), key=GAN.RIGHT, bind="query-params")]
    shares = {}
    for column, checkpoint in zip(st.columns(2), chosen):
        result = class_shares(checkpoint, str(core.device), global_seed())
        shares[checkpoint] = result
        with column:
            show_grid(core.sample(checkpoint, 32, seed=global_seed()), nrow=8, caption=checkpoint, stretch=True)
            m = st.columns(2)
            m[0].metric("Classes covered", f"{result['classes_covered']} / {len(result['class_histogram'])}")
            m[1].metric("KL(classes ‖ uniform)", f"{result['class_kl_from_uniform']:.2f} nats")
    first_card = by_name[chosen[0]]["dataset"]
    st.plotly_chart(legible(render.bar_figure(first_card.get("class_names", []),
                                      {k: v["class_histogram"] for k, v in shares.items()},
                                      "Class histogram of 1000 samples", "share of samples")), key="gan_collapse_bars")
    st.caption("A class is covered when it gets at least half its fair share (1/2K). KL from uniform is 0 when every "
               "class is equally common and log K (2.30 for digits) when all samples are one class.")
