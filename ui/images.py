"""Showing tensors as pictures in Streamlit."""
from __future__ import annotations

import streamlit as st
import torch

from gen_core import render


def show_grid(x: torch.Tensor, caption: str | None = None, nrow: int | None = None, width: int | None = None):
    """N images in [-1, 1] as one crisp grid image."""
    image = render.grid(x, nrow=nrow)
    st.image(image, caption=caption, width=width or min(image.width, 640), output_format="PNG")


def gallery(images: list, captions: list[str], per_row: int = 8, width: int | None = None):
    """PIL images in a fixed grid of columns, each with its caption, so rows line up however long the
    captions are."""
    for start in range(0, len(images), per_row):
        columns = st.columns(per_row)
        for column, image, caption in zip(columns, images[start:start + per_row], captions[start:start + per_row]):
            column.image(image, caption=caption, width=width or "stretch", output_format="PNG")
