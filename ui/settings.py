"""The sidebar's global settings (device, seed, projector mode), shared by every page through st.session_state.

All three are bound to the URL (`?device=cpu&seed=7&projector=true`), as every page's controls are (ui/links.py),
so a teacher can hand out a link that reproduces what the class sees; a bad value in the URL gets a one-line notice
and the default, never an exception.
"""
from __future__ import annotations

import streamlit as st
import torch

from gen_core.device import available_devices, pick_device
from gen_core.errors import GenLabError
from ui import links
from ui.links import copy_link_button
from ui.text import code

DEVICE_CHOICES = ("auto", "cpu", "cuda")
SEED_KEY, DEVICE_KEY, PROJECTOR_KEY = "seed", "device", "projector"
MAX_SEED = 2**31 - 1


def sidebar() -> None:
    """Draw the global settings in the sidebar."""
    with st.sidebar:
        st.subheader("Settings")
        st.selectbox("Device", DEVICE_CHOICES, key=DEVICE_KEY, bind="query-params",
                     help="auto: the server's GENLAB_DEVICE where it is set, else CUDA, then Apple MPS, then the "
                          "CPU. Every model runs on the CPU; a GPU makes sampling and training faster.")
        st.number_input("Global seed", min_value=0, max_value=MAX_SEED, value=0, step=1, key=SEED_KEY,
                        bind="query-params", help="Seeds every sample on every page, so what you see can be reproduced.")
        st.toggle("Projector mode", key=PROJECTOR_KEY, bind="query-params",
                  help="For a class: larger labels inside pictures, darker captions, bigger images, no command lines.")
        device = current_device()
        choice = st.session_state.get(DEVICE_KEY, "auto")
        try:
            pick_device(choice)
        except GenLabError:
            st.warning(f"{choice} is not available here ({', '.join(available_devices())} is); using the CPU.")
        st.caption(f"Running on **{device}**" + (f" ({torch.cuda.get_device_name(device)})"
                                                  if device.type == "cuda" else ""))
        copy_link_button()


def current_device() -> torch.device:
    """The device the user chose, or the CPU when that device is not on this machine (the sidebar says so, once
    per run: pages call this many times)."""
    choice = st.session_state.get(DEVICE_KEY, "auto")
    try:
        return pick_device(choice)
    except GenLabError:
        return torch.device("cpu")


def projector() -> bool:
    """Is the sidebar's projector mode on (larger labels, bigger pictures, no command lines)?"""
    return bool(st.session_state.get(PROJECTOR_KEY, False))


def reproduce(command: object) -> str:
    """A caption's ' · reproduce: `command`' tail, or nothing in projector mode (commands are for the desk)."""
    return "" if projector() else f" · reproduce: {code(command)}"


def label_px() -> int:
    """The size of labels drawn inside GenLab's pictures: 13 px, 22 px in projector mode."""
    return 22 if projector() else 13


def global_seed() -> int:
    return int(st.session_state.get(SEED_KEY, 0))


def next_seed(key: str) -> None:
    """Button callback: move the seed widget `key` on by one (callbacks run before widgets are drawn)."""
    st.session_state[key] = min(MAX_SEED, int(st.session_state.get(key, 0)) + 1)


def from_link(key: str, low: int, high: int) -> int | None:
    """The whole number a link gives the URL-bound widget `key`, when it is one the widget takes (else None: the
    widget then drops the parameter and links.report_dropped says so)."""
    raw = links.read(key)
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return None
    return value if low <= value <= high else None


def seed_input(label: str, key: str, default: int, where=None) -> int:
    """A seed box that a "New samples" button moves on with `next_seed`. Its first value goes into Session State
    instead of `value=`: a widget given a default and also set through Session State warns in the server log. That
    first value is the link's where one gave it (a shared link shows the sender's samples), else `default`."""
    if key not in st.session_state:
        linked = from_link(key, 0, MAX_SEED)
        st.session_state[key] = int(default) if linked is None else linked
    return int((where or st).number_input(label, min_value=0, max_value=MAX_SEED, step=1, key=key,
                                                 bind="query-params"))


def clamp_state(key: str, low: int, high: int, default: int | None = None) -> None:
    """Keep a number widget's stored value inside [low, high] before the widget is drawn, so shrinking its
    range (a smaller grid, another model) never leaves it out of bounds. With `default`, the value starts there:
    give the widget no value= of its own then (a widget with a default that is also set through Session State
    warns in the server log)."""
    if key not in st.session_state and default is not None:
        linked = from_link(key, low, high)  # a link's value comes first, as a bound widget's own would
        st.session_state[key] = linked if linked is not None else int(min(max(default, low), high))
    elif key in st.session_state:
        st.session_state[key] = int(min(max(st.session_state[key], low), high))


def forget(*keys: str) -> None:
    """Callback: drop widgets' stored values, so they start from their defaults with new options."""
    for key in keys:
        st.session_state.pop(key, None)
