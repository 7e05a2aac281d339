"""Every page with tabs draws them one way: stateful tabs bound to the URL (?gan_tab=Interpolation links to one),
only the open tab runs (the first view never waits for the others), each under its folded "What to notice"."""
from __future__ import annotations

from typing import Callable

import streamlit as st

from ui.notice import notice


def show_tabs(tabs: dict[str, Callable[[], None]], key: str, page: str) -> None:
    """Draw `tabs` (label -> what the tab shows) as stateful tabs keyed `key`; run the open one after its notice
    (ui/notice.py, keyed by `page` and the label)."""
    for (label, show), tab in zip(tabs.items(), st.tabs(list(tabs), key=key, on_change="rerun",
                                                          bind="query-params")):
        if tab.open:
            with tab:
                notice(page, label)
                show()
