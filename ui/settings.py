"""The sidebar's global settings (device, seed), shared by every page through st.session_state.

Both can also come from the URL (`?device=cpu&seed=7`), so a teacher can hand out a link that reproduces what the
class sees; a bad value in the URL gets a warning and the default, never an exception.
"""
from __future__ import annotations

import streamlit as st
import torch

from gen_core.device import available_devices, pick_device
from gen_core.errors import GenLabError
from ui.text import plain

DEVICE_CHOICES = ("auto", "cpu", "cuda")
SEED_KEY, DEVICE_KEY = "global_seed", "device_choice"
MAX_SEED = 2**31 - 1


def _adopt_query_params() -> None:
    """On a session's first run, take device and seed from the URL when they are valid."""
    if "settings_initialised" in st.session_state:
        return
    st.session_state["settings_initialised"] = True
    params = st.query_params
    if "seed" in params:
        try:
            seed = int(params["seed"])
            if not 0 <= seed <= MAX_SEED:
                raise ValueError
            st.session_state[SEED_KEY] = seed
        except ValueError:
            st.session_state["url_warning"] = f"Ignored seed={plain(repr(params['seed']))} from the URL: use a " \
                                              f"whole number from 0 to {MAX_SEED}."
    if "device" in params:
        if params["device"] in DEVICE_CHOICES:
            st.session_state[DEVICE_KEY] = params["device"]
        else:
            st.session_state["url_warning"] = f"Ignored device={plain(repr(params['device']))} from the URL: use " \
                                              f"one of {', '.join(DEVICE_CHOICES)}."


def sidebar() -> None:
    """Draw the global settings in the sidebar."""
    _adopt_query_params()
    with st.sidebar:
        st.subheader("Settings")
        st.selectbox("Device", DEVICE_CHOICES, key=DEVICE_KEY,
                     help="auto: the server's GENLAB_DEVICE where it is set, else CUDA, then Apple MPS, then the "
                          "CPU. Every model runs on the CPU; a GPU makes sampling and training faster.")
        st.session_state.setdefault(SEED_KEY, 0)  # not value=0: the URL may have set it (see seed_input)
        st.number_input("Global seed", min_value=0, max_value=MAX_SEED, step=1, key=SEED_KEY,
                        help="Seeds every sample on every page, so what you see can be reproduced.")
        device = current_device()
        choice = st.session_state.get(DEVICE_KEY, "auto")
        try:
            pick_device(choice)
        except GenLabError:
            st.warning(f"{choice} is not available here ({', '.join(available_devices())} is); using the CPU.")
        st.caption(f"Running on **{device}**" + (f" ({torch.cuda.get_device_name(device)})"
                                                  if device.type == "cuda" else ""))
        if "url_warning" in st.session_state:
            st.warning(st.session_state.pop("url_warning"))


def current_device() -> torch.device:
    """The device the user chose, or the CPU when that device is not on this machine (the sidebar says so, once
    per run: pages call this many times)."""
    choice = st.session_state.get(DEVICE_KEY, "auto")
    try:
        return pick_device(choice)
    except GenLabError:
        return torch.device("cpu")


def global_seed() -> int:
    return int(st.session_state.get(SEED_KEY, 0))


def next_seed(key: str) -> None:
    """Button callback: move the seed widget `key` on by one (callbacks run before widgets are drawn)."""
    st.session_state[key] = min(MAX_SEED, int(st.session_state.get(key, 0)) + 1)


def seed_input(label: str, key: str, default: int, where=None) -> int:
    """A seed box that a "New samples" button moves on with `next_seed`. Its first value goes into Session State
    instead of `value=`: a widget given a default and also set through Session State warns in the server log."""
    st.session_state.setdefault(key, int(default))
    return int((where or st).number_input(label, min_value=0, max_value=MAX_SEED, step=1, key=key))


def clamp_state(key: str, low: int, high: int, default: int | None = None) -> None:
    """Keep a number widget's stored value inside [low, high] before the widget is drawn, so shrinking its
    range (a smaller grid, another model) never leaves it out of bounds. With `default`, the value starts there:
    give the widget no value= of its own then (a widget with a default that is also set through Session State
    warns in the server log)."""
    if key in st.session_state or default is not None:
        st.session_state[key] = int(min(max(st.session_state.get(key, default), low), high))


def forget(*keys: str) -> None:
    """Callback: drop widgets' stored values, so they start from their defaults with new options."""
    for key in keys:
        st.session_state.pop(key, None)
