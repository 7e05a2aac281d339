"""The baseline for bench/interactions.py: a bare Streamlit page with one button and one image (and, with
BARE_SIDEBAR=1, GenLab's sidebar settings), so GenLab's figures can be set against what Streamlit alone needs
on the same machine in the same run."""
import os

import numpy as np
import streamlit as st

if os.environ.get("BARE_SIDEBAR") == "1":
    from ui.settings import sidebar
    sidebar()

st.title("Bare page")
if st.button("New image"):
    st.session_state["k"] = st.session_state.get("k", 0) + 1
picture = np.random.default_rng(st.session_state.get("k", 0)).random((64, 64))
st.image(picture, width=256)
