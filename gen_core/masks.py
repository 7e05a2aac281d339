"""Which pixels of an image are known: the masks shared by every model that fills in missing parts (the VAE's
imputation, diffusion inpainting)."""
from __future__ import annotations

import torch

MASKS = ("left half", "right half", "top half", "bottom half", "centre box")


def known_mask(shape: tuple[int, ...], kind: str) -> torch.Tensor:
    """A bool mask of an image shape (..., H, W): True where pixels are known, False in the hidden region."""
    if kind not in MASKS:
        raise ValueError(f"unknown mask {kind!r}; choose one of {', '.join(MASKS)}")
    h, w = shape[-2:]
    rows, cols = {"left half": (slice(None), slice(0, w // 2)), "right half": (slice(None), slice(w // 2, None)),
                  "top half": (slice(0, h // 2), slice(None)), "bottom half": (slice(h // 2, None), slice(None)),
                  "centre box": (slice(h // 4, 3 * h // 4), slice(w // 4, 3 * w // 4))}[kind]
    known = torch.ones(shape, dtype=torch.bool)
    known[..., rows, cols] = False
    return known
