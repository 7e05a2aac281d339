"""Likelihood Lab: the models that give data a probability. PixelCNN (autoregressive over pixels), autoregressive
diffusion (any order), a character
model and a time-series model (autoregressive in time), HMMs, Glow (a flow) and an energy model on images, and
one table that scores the same test digits with every likelihood model GenLab has.

A thin page: each tab is a module of app_pages/likelihood_lab over gen_core/labs/likelihood.py, gen_core/labs/sequences.py
and gen_core/likelihood.py."""
import streamlit as st

from app_pages.likelihood_lab import any_order, energy, glow, hmm, pixelcnn, series, table, text
from ui.widget_keys import LIKELIHOOD
from ui.tabs import show_tabs

st.title("Likelihood Lab")
st.markdown("Some generative models say how probable a piece of data is: autoregressive models and flows "
            "exactly, VAEs and diffusion as a bound, energy models only up to an unknown constant. This page "
            "runs each kind and compares their numbers on the same test images.")

TABS = {"PixelCNN": pixelcnn.show, "Any order (ARDM)": any_order.show, "Text": text.show, "Series": series.show, "HMM": hmm.show,
        "Glow": glow.show, "Energy model": energy.show, "Likelihood table": table.show}
show_tabs(TABS, key=LIKELIHOOD.TAB, page="likelihood")
