"""Downloads every page offers: a sample grid as PNG and as .npy, a table as CSV, a checkpoint as a zip.

Each button's file is made only when it is clicked (Streamlit runs a callable `data` then, on its own thread) and the
click does not rerun the page (`on_click="ignore"`), so offering a download costs a page nothing. Charts need no
button: Plotly's toolbar ("Download plot as a png") and Vega-Lite's menu ("Save as PNG/SVG") draw the file in the
browser, offline.
"""
from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st
import torch
from PIL import Image

from gen_core import checkpoint_archive
from gen_core.data import images_to_unit
from gen_core.model_card import HISTORY


def _stem(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.")[:80] or "genlab"


def png_bytes(picture: Image.Image | bytes) -> bytes:
    if isinstance(picture, bytes):
        return picture
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


def npy_bytes(samples: torch.Tensor | np.ndarray, images: bool = True) -> bytes:
    """Samples as a float32 .npy: images (N, C, H, W) in [0, 1] (as `genlab-sample --out x.npy` writes them),
    anything else as it is."""
    x = torch.as_tensor(samples).detach().to("cpu", torch.float32)
    array = (images_to_unit(x) if images else x).numpy().astype(np.float32)
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def sample_downloads(picture, samples: torch.Tensor | None, name: str, key: str, images: bool = True) -> None:
    """Two small buttons under a grid: the picture as shown (PNG) and the samples themselves (.npy)."""
    row = st.container(horizontal=True, gap="small")
    row.download_button("PNG", lambda: png_bytes(picture() if callable(picture) else picture),
                         file_name=f"{_stem(name)}.png", mime="image/png", on_click="ignore",
                         icon=":material/download:", key=f"png_{key}", help="the picture as shown")
    if samples is not None:
        row.download_button(".npy", lambda: npy_bytes(samples() if callable(samples) else samples, images),
                              file_name=f"{_stem(name)}.npy", mime="application/octet-stream", on_click="ignore",
                              icon=":material/download:", key=f"npy_{key}",
                              help="the samples as float32 numbers (N x C x H x W in [0, 1]): np.load(...)")


def table_download(table: pd.DataFrame | list[dict], name: str, key: str, label: str = "Table as CSV") -> None:
    frame = table if isinstance(table, pd.DataFrame) else pd.DataFrame(table)
    st.download_button(label, lambda: frame.to_csv(index=False).encode("utf-8"), file_name=f"{_stem(name)}.csv",
                       mime="text/csv", on_click="ignore", icon=":material/download:", key=f"csv_{key}")


def checkpoint_downloads(path: Path, key: str) -> None:
    """The checkpoint as a zip (Train's import, or `genlab-checkpoints --import`, reads it back) and its
    history.csv."""
    path = Path(path)
    row = st.container(horizontal=True, gap="small")
    row.download_button("Model (.zip)", lambda: checkpoint_archive.export_zip(path), file_name=f"{_stem(path.name)}.zip",
                         mime="application/zip", on_click="ignore", icon=":material/download:", key=f"zip_{key}",
                         help="weights, card, model card README and history: import it on another GenLab")
    history = path / HISTORY
    if history.is_file():
        row.download_button("history.csv", lambda: history.read_bytes(), file_name=f"{_stem(path.name)}-history.csv",
                              mime="text/csv", on_click="ignore", icon=":material/download:", key=f"hist_{key}",
                              help="the training curves, one row per recorded step")
