"""Showing tensors as pictures in Streamlit."""
from __future__ import annotations

import streamlit as st
import torch

from gen_core import render


def show_grid(x: torch.Tensor, caption: str | None = None, nrow: int | None = None, stretch: bool = False):
    """N images in [-1, 1] as one crisp grid image, at most 640 px wide, or as wide as its container."""
    image = render.grid(x, nrow=nrow)
    st.image(image, caption=caption, width="stretch" if stretch else min(image.width, 640), output_format="PNG")

