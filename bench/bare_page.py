"""The baseline for bench/interactions.py: a bare Streamlit page with one button and one image (and, with
BARE_SIDEBAR=1, GenLab's sidebar: its list of pages and its settings), so GenLab's figures can be set against what
Streamlit alone needs on the same machine in the same run."""
import os

import numpy as np
import streamlit as st


def bare_page() -> None:
    st.title("Bare page")
    if st.button("New image"):
        st.session_state["k"] = st.session_state.get("k", 0) + 1
    picture = np.random.default_rng(st.session_state.get("k", 0)).random((64, 64))
    st.image(picture, width=256)


if os.environ.get("BARE_SIDEBAR") == "1":
    from ui.registry import PAGES
    from ui.settings import sidebar

    # The same sidebar as GenLab's frame.py draws: the pages' titles and icons (the first one is this bare page,
    # the others only a title), then the settings.
    def title_only(title: str):
        return lambda: st.title(title)

    navigation = st.navigation([st.Page(bare_page if p.default else title_only(p.title), title=p.title, icon=p.icon,
                                        url_path=p.url_path, default=p.default) for p in PAGES])
    sidebar()
    navigation.run()
else:
    bare_page()
