"""Likelihood Lab: the models that give data a probability. PixelCNN (autoregressive over pixels), a character
model and a time-series model (autoregressive in time), HMMs, Glow (a flow) and an energy model on images, and
one table that scores the same test digits with every likelihood model GenLab has.

A thin page: each tab is a module of ui/likelihood_tabs over gen_core/likelihood_lab.py, gen_core/sequence_lab.py
and gen_core/likelihood.py."""
import streamlit as st

from ui.likelihood_tabs import energy_tab, glow_tab, hmm_tab, pixelcnn_tab, series_tab, table_tab, text_tab
from ui.notice import notice

st.title("Likelihood Lab")
st.markdown("Some generative models say how probable a piece of data is: autoregressive models and flows "
            "exactly, VAEs and diffusion as a bound, energy models only up to an unknown constant. This page "
            "runs each kind and compares their numbers on the same test images.")

TABS = {"PixelCNN": pixelcnn_tab.show, "Text": text_tab.show, "Series": series_tab.show, "HMM": hmm_tab.show,
        "Glow": glow_tab.show, "Energy model": energy_tab.show, "Likelihood table": table_tab.show}
for (label, show), tab in zip(TABS.items(), st.tabs(list(TABS), key="ll_tab", on_change="rerun",
                                                      bind="query-params")):
    with tab:
        if tab.open:
            notice("likelihood", label)
            show()
