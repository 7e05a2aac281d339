"""Showing tensors as pictures in Streamlit."""
from __future__ import annotations

import streamlit as st
import torch

from gen_core import render


def show_grid(x: torch.Tensor, caption: str | None = None, nrow: int | None = None, width: int | None = None):
    """N images in [-1, 1] as one crisp grid image."""
    image = render.grid(x, nrow=nrow)
    st.image(image, caption=caption, width=width or min(image.width, 640), output_format="PNG")
