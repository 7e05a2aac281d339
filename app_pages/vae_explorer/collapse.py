"""Posterior collapse tab: the mean KL of every latent dimension, active units, and samples, beside the same VAE
trained with a larger beta."""
import streamlit as st

from app_pages.vae_explorer.explorer import Explorer, encoded
from gen_core import render
from ui.charts import legible
from ui.images import show_grid
from ui.widget_keys import VAE


@st.fragment
def show(ex: Explorer) -> None:
    name, core, config = ex.name, ex.core, ex.config
    dataset, latent_dim, codes, by_name = ex.dataset, ex.latent_dim, ex.codes, ex.by_name
    st.markdown(r"**Posterior collapse**: when the KL term costs too much (a large $\beta$), the encoder sets "
                r"$q(z_j\mid x)=\mathcal N(0,1)$ for most dimensions, which then carry no information: their KL is 0. "
                r"A dimension is *active* when its mean KL exceeds 0.01 nats.")
    others = [n for n in by_name if n != name and by_name[n]["card"]["dataset"].get("name") == dataset.name
              and by_name[n]["card"]["config"]["latent_dim"] == latent_dim]
    betas = {n: by_name[n]["card"]["config"]["beta"] for n in others}
    default = max(betas, key=betas.get) if betas else None
    other = st.selectbox("Compare with", [None] + others, index=([None] + others).index(default),
                         format_func=lambda n: "nothing" if n is None else f"{n} (beta = {betas[n]})",
                         key=VAE.COMPARE, bind="query-params")
    groups = {f"{name} (beta = {config['beta']})": codes["kl_per_dim"].mean(0)}
    if other:
        groups[f"{other} (beta = {betas[other]})"] = encoded(other, str(core.device))["kl_per_dim"].mean(0)
    metric_columns = st.columns(len(groups))
    for column, (label, kl) in zip(metric_columns, groups.items()):
        column.metric(f"Active units: {label}", f"{int((kl > 0.01).sum())} / {len(kl)}")
    st.plotly_chart(legible(render.bar_figure([f"z{k}" for k in range(latent_dim)], {k: v.tolist() for k, v in groups.items()},
                                      "Mean KL per latent dimension (nats)", "KL (nats)", "latent dimension")), key="vae_kl_bars")
    if other:
        show = st.columns(2)
        for column, checkpoint in zip(show, (name, other)):
            with column:
                show_grid(core.sample(checkpoint, 32, seed=0), nrow=8, caption=f"samples of {checkpoint}", stretch=True)
