"""VAE Latent Explorer: the test set's latent means on a 2-D map to click, walk and traverse; posterior collapse,
imputation and anomaly scores from the same models.

A thin page: each tab is a module of this folder and gets the chosen VAE as one frozen `Explorer` (explorer.py)."""
import streamlit as st

from app_pages.vae_explorer import collapse, diagram, impute, map_view, traverse, walk
from app_pages.vae_explorer.explorer import Explorer, encoded
from ui import latent_map, links
from ui.loaders import get_core, get_dataset, pick_checkpoint
from ui.settings import reproduce
from ui.text import plain
from ui.widget_keys import VAE
from ui.tabs import show_tabs

st.title("VAE Latent Explorer")
st.markdown(r"An encoder maps each image $x$ to a Gaussian $q(z\mid x)=\mathcal N(\mu,\sigma^2)$; a decoder maps codes "
            r"back to images. Training maximises $\mathrm{ELBO}=\mathbb E_q[\log p(x\mid z)]-\mathrm{KL}(q(z\mid x)\,\|\,"
            r"\mathcal N(0,I))$. Below, every test image is a dot at its code $\mu$: click one, click empty space, walk "
            r"between two, and turn each dimension.")

by_name, name, loaded = pick_checkpoint(("vae",), VAE.MODEL,
                                        resets=("vae_picks", "vae_base", "vae_selection_seen"),
                                        train_hint="python -m gen_core.train vae --dataset digits")
core = get_core()
dataset = get_dataset(loaded.card["dataset"]["name"])
explorer = Explorer(name=name, core=core, loaded=loaded, dataset=dataset, by_name=by_name,
                    codes=encoded(name, str(core.device)))
card, config = explorer.card, explorer.config
st.caption(f"{explorer.latent_dim}-d latent · beta = {config['beta']} · {card['steps']} steps on {plain(dataset.name)} · "
           f"test ELBO {card['metrics'].get('test_elbo', float('nan')):.1f} nats" + reproduce(card.get('command', '?')))

if not st.session_state.get("vae_picks_adopted") and links.read("vae_picks"):  # a link's clicks, on the first run
    try:
        st.session_state["vae_picks"] = latent_map.decode_picks(links.read("vae_picks"), len(dataset.x_test))
    except ValueError as error:
        st.warning(f"Ignored vae_picks={plain(repr(links.read('vae_picks')[:80]))} from the link: {plain(error)}.")
st.session_state["vae_picks_adopted"] = True
links.write("vae_picks", latent_map.encode_picks(st.session_state.get("vae_picks", [])))  # forgotten: off the URL


# Stateful tabs: only the open tab runs (the map must not wait for the others), and ?vae_tab=Walk links to one.
TABS = {"Map": map_view.show, "Diagram": diagram.show, "Walk": walk.show, "Traverse": traverse.show, "Posterior collapse": collapse.show,
        "Impute & anomalies": impute.show}
show_tabs({label: (lambda show=show: show(explorer)) for label, show in TABS.items()},
          key=VAE.TAB, page="vae")
