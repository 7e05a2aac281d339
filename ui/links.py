"""Links that restore a view. Every control that shapes what a page shows is bound to the URL
(`bind="query-params"`, its key is the parameter's name), so the address bar always holds the whole view: page,
tab, model, data, seed, sliders, class, timestep. State that is not a widget (the VAE map's clicks) is written to
the URL by its page with `write`/`read` below.

Streamlit drops a bound parameter whose value the widget cannot take (out of range, not an option) and leaves the
widget at its default. `report_dropped` says so in one line per parameter, shown as plain text: the URL is a
visitor's text. `copy_link_button` copies the address bar as it is when clicked, so it is never stale, even after a
fragment reran alone.
"""
from __future__ import annotations

import math

import streamlit as st

from ui.text import plain

INCOMING = "links_incoming"  # this run's URL parameters, as they came in


def note_incoming() -> None:
    """Call before the page draws: remember the URL parameters the session's first run started with, the link that
    was opened. Later runs were started by the visitor's own clicks (or a lesson step setting controls), whose
    parameters are the app's own writing: checking them would warn about links nobody used."""
    if st.session_state.get("links_opened"):
        st.session_state[INCOMING] = {}
        return
    st.session_state["links_opened"] = True
    st.session_state[INCOMING] = {key: st.query_params.get_all(key) for key in st.query_params}
    unusable = [key for key, values in st.session_state[INCOMING].items() if any(_not_finite(v) for v in values)]
    if unusable:
        _forget_link_values(unusable)


def _forget_link_values(keys: list[str]) -> None:
    """Take parameters out of the URL and out of the values Streamlit seeds bound widgets from (report_dropped then
    says so once the page has drawn). Streamlit keeps the link's first values apart from st.query_params and has no
    public call to drop one: this reaches its QueryParams (streamlit 1.67, pinned in requirements.txt)."""
    from streamlit.runtime.state.session_state_proxy import get_session_state

    for key in keys:
        st.query_params.pop(key, None)
    with get_session_state().query_params() as params:
        for key in keys:
            params._initial_query_params.pop(key, None)


def _not_finite(raw: str) -> bool:
    """A number a widget would read as infinite or NaN: Streamlit's number widgets parse a link's value with float()
    and then int(), so a 5,000-digit seed (float: inf) raised OverflowError and replaced the page."""
    try:
        return not math.isfinite(float(raw))
    except (TypeError, ValueError):
        return False


def _same(raw: str, value) -> bool:
    """Does a URL value name the widget's value? (A parameter equal to the default also leaves the URL.)"""
    if isinstance(value, (list, tuple)):
        return False
    if raw == str(value):
        return True
    try:
        return math.isclose(float(raw), float(value))
    except (TypeError, ValueError):
        return False


def dropped() -> list[tuple[str, str]]:
    """(parameter, value) pairs the run started with that a bound widget refused: gone from the URL, and the
    widget's value is not what they said."""
    incoming = st.session_state.get(INCOMING) or {}
    gone = []
    for key, values in incoming.items():
        if key in st.query_params or key not in st.session_state:
            continue
        value = st.session_state[key]
        if len(values) == 1 and _same(values[0], value):
            continue
        gone.append((key, ", ".join(values)))
    return gone


def report_dropped() -> None:
    """Call after the page drew: one line for each parameter of the link that could not be used."""
    for key, raw in dropped():
        st.warning(f"Ignored {plain(key)}={plain(repr(raw[:80]))} from the link: not a value this control takes. "
                   f"It shows its default instead.", icon=":material/link_off:")
    st.session_state.pop(INCOMING, None)


def write(key: str, value: str | None) -> None:
    """Put a non-widget part of the view in the URL (None removes it)."""
    if value is None:
        st.query_params.pop(key, None)
    elif st.query_params.get(key) != value:
        st.query_params[key] = value


def read(key: str) -> str | None:
    return st.query_params.get(key)


COPY_SCRIPT = """
<div class="genlab-copy-link">
  <button type="button" title="Copies the address of this exact view: page, tab, model, data, seed and settings">
    Copy link to this view
  </button>
  <span class="genlab-copy-note" role="status"></span>
</div>
<style>
  .genlab-copy-link button { display: inline-flex; gap: .4rem; align-items: center; padding: .3rem .75rem;
    border: 1px solid rgba(128, 128, 128, .45); border-radius: .5rem; background: transparent; color: inherit;
    font: inherit; cursor: pointer; }
  .genlab-copy-link button:hover { border-color: #ff4b4b; color: #ff4b4b; }
  .genlab-copy-note { margin-left: .5rem; font-size: .85rem; color: inherit; opacity: .75; }
</style>
<script>
document.querySelectorAll(".genlab-copy-link").forEach((box) => {
  if (box.dataset.ready) return;  // Streamlit may run this again on a rerun: one handler per button
  box.dataset.ready = "1";
  const note = box.querySelector(".genlab-copy-note");
  box.querySelector("button").addEventListener("click", async () => {
    const url = window.location.href;
    try {
      await navigator.clipboard.writeText(url);
      note.textContent = "Copied";
    } catch (error) {  // no clipboard API outside https and localhost: the viewer copies it by hand
      window.prompt("Copy this link:", url);
    }
    setTimeout(() => { note.textContent = ""; }, 2500);
  });
});
</script>
"""


def copy_link_button() -> None:
    """A button that copies the address bar (the whole view, see above) to the clipboard."""
    st.html(COPY_SCRIPT, unsafe_allow_javascript=True)
