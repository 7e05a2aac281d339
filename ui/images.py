"""Showing tensors as pictures in Streamlit, sized for the screen or, in projector mode, for the back of a room."""
from __future__ import annotations

import base64
import io

import streamlit as st
import torch
from PIL import Image

from gen_core import render
from ui.settings import label_px, projector


def show_grid(x: torch.Tensor, caption: str | None = None, nrow: int | None = None, stretch: bool = False,
              download_as: str | None = None):
    """N images in [-1, 1] as one crisp grid image. At its own size ("content": never wider than its column, so a
    wide grid shrinks rather than overflowing), or as wide as its column with `stretch` and in projector mode. With
    `download_as`, PNG and .npy buttons under it (ui/exports.py) save the picture and the samples under that name."""
    image = render.grid(x, nrow=nrow)
    st.image(image, caption=caption, width="stretch" if stretch or projector() else "content", output_format="PNG")
    if download_as:
        from ui.exports import sample_downloads
        sample_downloads(image, x, download_as, key=download_as)


def labelled_grid(x: torch.Tensor, tile_labels: list[str], nrow: int, tile_px: int = 84,
                  row_labels: list[str] | None = None, outline: bool = False):
    """render.labelled_grid with the labels at the reading size of the moment (larger tiles and text in projector
    mode: 8-12 px labels cannot be read on a projected screen)."""
    scale = 1.5 if projector() else 1.0
    return render.labelled_grid(x, tile_labels, nrow, tile_px=int(tile_px * scale), row_labels=row_labels,
                                font_px=label_px(), outline=outline)


def inline_jpeg(image: Image.Image, quality: int = 90) -> str:
    """`image` as a JPEG data: URI, for st.image. Streamlit shows such a URL as it is, inside the page's message: no
    file in its media store and no HTTP request per picture, which the 2-D Playground's frames (two or three
    pictures, ten times a second) would otherwise cost the server's event loop, the same thread that answers every
    session. (Given a PIL picture, st.image encodes it as JPEG at quality 100: three times the bytes of 90.)"""
    buffer = io.BytesIO()
    (image if image.mode == "RGB" else image.convert("RGB")).save(buffer, format="JPEG", quality=quality)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def fast_png(image: Image.Image) -> bytes:
    """`image` as PNG bytes at zlib level 1, for st.image (which passes PNG bytes through as they are): a large
    picture encodes in less than half the time of Streamlit's own PNG (level 6), 1.5x the bytes, still lossless."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()
