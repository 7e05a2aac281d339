"""What the Likelihood Lab's tabs share: pictures of small images, crisp and with cells marked."""
from __future__ import annotations

import torch
from PIL import Image, ImageDraw, ImageOps

from gen_core import render


def big(image: torch.Tensor, side: int = 192) -> Image.Image:
    """One (1, H, W) image in [-1, 1] (or (H, W) in [0, 1]) as a crisp RGB picture `side` pixels wide."""
    if image.dim() == 2:
        image = image[None] * 2 - 1
    scale = max(1, side // image.shape[-1])
    return render.to_pil(image, scale=scale).convert("RGB")


def mark_cells(picture: Image.Image, cells, grid: tuple[int, int], colour=(214, 39, 40), fill=None,
               width: int = 2) -> Image.Image:
    """Outline (or fill, semi-transparent) the given (row, col) cells of an image drawn at `grid` resolution."""
    rows, cols = grid
    cell_w, cell_h = picture.width / cols, picture.height / rows
    overlay = picture.convert("RGBA")
    layer = Image.new("RGBA", overlay.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    for row, col in cells:
        box = [col * cell_w, row * cell_h, (col + 1) * cell_w - 1, (row + 1) * cell_h - 1]
        if fill is not None:
            draw.rectangle(box, fill=fill)
        else:
            draw.rectangle(box, outline=colour + (255,), width=width)
    return Image.alpha_composite(overlay, layer).convert("RGB")


def framed(picture: Image.Image) -> Image.Image:
    """A picture with a thin grey frame, so white ink at its edge does not melt into a light page."""
    return ImageOps.expand(picture, border=1, fill=(150, 150, 150))
