"""Home: the atlas of generative models, the app's status, and the shared core at work on a shipped VAE."""
import streamlit as st
import torch

from gen_core.errors import GenLabError
from ui.atlas import COMPARISON, FAMILIES
from ui.images import show_grid
from ui.lessons import LESSONS, open_step
from ui.loaders import checkpoint_listing, get_core
from ui.registry import FAMILY_PAGES, PAGES
from ui.settings import global_seed, next_seed, seed_input
from ui.text import code, plain

PAGE_TITLES = {p.path: p.title for p in PAGES}

DEMO_CHECKPOINTS = ("vae-fashion", "vae-digits")  # the first installed: Fashion-MNIST, else the digits

st.title("GenLab")
st.markdown("See generative models work: sample them, walk their latent spaces, watch them train and fail. "
            "Every model here was trained by GenLab's own command line, on Zalando's Fashion-MNIST (real clothes, "
            "28x28) or on data that ships with GenLab, and everything runs offline.")

# --- status -------------------------------------------------------------------------------------------------
core = get_core()
listing = checkpoint_listing()
damaged = [c for c in listing if "error" in c["card"]]
status = st.columns(4)
status[0].metric("torch", torch.__version__.split("+")[0])
status[1].metric("Device", str(core.device))
status[2].metric("Shipped checkpoints", sum(c["source"] == "shipped" for c in listing))
status[3].metric("Your checkpoints", sum(c["source"] == "user" for c in listing))
for c in damaged:
    st.warning(f"Checkpoint {plain(c['name'])} cannot be read: {plain(c['card']['error'])}")

# --- guided lessons -------------------------------------------------------------------------------------------
st.header("Guided lessons")
st.caption("Each lesson sets the pages up step by step and says what to look at; some steps ask you to predict "
           "first. Move with Next and Back; Projector mode in the sidebar makes everything readable on a wall.")
LESSONS_PER_ROW = 3  # six cards in one row left each a word wide
lesson_columns = [column for _ in range(0, len(LESSONS), LESSONS_PER_ROW) for column in st.columns(LESSONS_PER_ROW)]
for column, lesson in zip(lesson_columns, LESSONS):
    with column.container(border=True, height="stretch"):
        st.markdown(f"**{lesson.title}**")
        st.caption(f"{len(lesson.steps)} steps · {lesson.summary}")
        st.button("Start", icon=":material/school:", key=f"lesson_start_{lesson.key}", on_click=open_step,
                  args=(lesson.key, 0), type="primary")

# --- the core at work ---------------------------------------------------------------------------------------
@st.fragment
def core_demo():
    listed = {c["name"] for c in checkpoint_listing()}
    demo = next((n for n in DEMO_CHECKPOINTS if n in listed), DEMO_CHECKPOINTS[-1])
    try:
        loaded = core.load(demo)
    except GenLabError as error:
        st.warning(f"{plain(error)}. Train one with `python -m gen_core.train vae --dataset digits "
                   f"--out assets/checkpoints/{demo}`.")
        return
    data = loaded.card["dataset"]["name"]
    st.header("The core at work: a VAE trained on " + ("Fashion-MNIST's clothes" if data == "fashion-mnist" else
                                                        f"the bundled {plain(data)}"))
    left, right = st.columns([1, 2])
    with left:
        seed = seed_input("Sample seed", "home_demo_seed", global_seed())
        st.button("New samples", icon=":material/casino:", on_click=next_seed, args=("home_demo_seed",))
        card = loaded.card
        metrics = card.get("metrics", {})
        st.markdown(f"**{loaded.name}**: {card['family']} with a {card['config']['latent_dim']}-d latent, "
                    f"{card['steps']} training steps.  \nTest ELBO **{metrics.get('test_elbo', float('nan')):.1f}** "
                    f"nats per image (reconstruction {metrics.get('test_recon_nll', float('nan')):.1f}, "
                    f"KL {metrics.get('test_kl', float('nan')):.1f}).")
        st.caption(f"Reproduce: {code(card.get('command', '?'))}")
    with right:
        count, per_row = (32, 8) if loaded.card["dataset"].get("shape", [1, 8, 8])[-1] >= 28 else (64, 16)
        samples = core.sample(demo, count, seed=int(seed))
        show_grid(samples, caption=f"{count} samples, decoded from z ~ N(0, I) with seed {seed}", nrow=per_row,
                  download_as=f"{loaded.name}-seed{seed}")


core_demo()


# --- the atlas ----------------------------------------------------------------------------------------------
st.header("Atlas of generative models")
st.caption("Seven families from the syllabus: how each turns noise into data, and how each goes wrong.")
columns = st.columns(4)
for index, family in enumerate(FAMILIES):
    with columns[index % 4].container(border=True):
        st.markdown(f"#### {family.name}")
        st.markdown(f"**How it works.** {family.works}\n\n**How it fails.** {family.fails}\n\n"
                    f"**Likelihood:** {family.density}. **Examples:** {family.examples}.")
        if family.key in FAMILY_PAGES:
            st.page_link(FAMILY_PAGES[family.key], label=PAGE_TITLES[FAMILY_PAGES[family.key]],
                         icon=":material/arrow_forward:")
        else:
            st.caption("No page for this family yet.")

st.header("Generative vs discriminative")
table = "| | Generative | Discriminative |\n|---|---|---|\n" + "\n".join(
    f"| **{row}** | {gen} | {disc} |" for row, gen, disc in COMPARISON)
st.markdown(table)
st.page_link("app_pages/gen_vs_disc/page.py", label="Put each row to the test on real data",
             icon=":material/arrow_forward:")
