"""What each 2-D Playground model lets us look at, as NumPy arrays (the page turns them into pictures):
- GAN: D's opinion over the plane, the direction G's loss pushes each sample (its gradient), and the image of a
  grid of z under G;
- VAE: the decoder's mean over a grid of z, and its noise sigma;
- diffusion: the denoising field x0_hat - x_t at a timestep;
- flow: a grid of z carried through the coupling layers one at a time;
- energy model: E(x) over the plane and a few Langevin chains.
`inside_view` computes the one a live model (gen_core/labs/playground.py) shows, for either renderer."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch

from gen_core.device import make_generator

if TYPE_CHECKING:  # annotations only: the live model draws on these views
    from gen_core.labs.playground import LiveModel

def plane_grid(extent, resolution: int) -> tuple[np.ndarray, np.ndarray, torch.Tensor]:
    """xs (R,), ys (R,) and the (R*R, 2) points of a grid over (x0, x1, y0, y1), rows along y."""
    xs = np.linspace(extent[0], extent[1], resolution)
    ys = np.linspace(extent[2], extent[3], resolution)
    gx, gy = np.meshgrid(xs, ys)
    return xs, ys, torch.as_tensor(np.stack([gx.ravel(), gy.ravel()], 1), dtype=torch.float32)


@functools.lru_cache(maxsize=8)
def latent_grid(count: int = 11, limit: float = 2.5, resolution: int = 60, dim: int = 2) -> torch.Tensor:
    """Lines of a square grid in the first two coordinates of z (others 0), for each of `count` values a horizontal
    then a vertical line of `resolution` points, stacked line after line: (2 * count * resolution, dim). Built once
    and shared (the views redraw ten times a second): callers read it, never write to it."""
    values, along = np.linspace(-limit, limit, count), np.linspace(-limit, limit, resolution)
    z = np.zeros((count, 2, resolution, dim))
    z[:, 0, :, 0], z[:, 0, :, 1] = along, values[:, None]  # horizontal: x runs, y = v
    z[:, 1, :, 0], z[:, 1, :, 1] = values[:, None], along  # vertical: x = v, y runs
    return torch.as_tensor(z.reshape(-1, dim), dtype=torch.float32)


def as_lines(points: np.ndarray, resolution: int = 60) -> list[np.ndarray]:
    """One batched pass over latent_grid's points, cut back into its lines: (resolution, D) each."""
    return list(points.reshape(-1, resolution, points.shape[-1]))


@torch.no_grad()
def discriminator_map(model, extent, resolution: int = 60, companions: torch.Tensor | None = None) -> dict:
    """D(x) as a probability over the plane: (R, R). A packed D judges `pack` points at once; each grid point is
    then judged in a pack with pack - 1 `companions` (real points), i.e. 'is this a real sample among real ones'."""
    xs, ys, points = plane_grid(extent, resolution)
    pack = model.config.pack
    if pack > 1:
        others = torch.as_tensor(np.asarray(companions[:pack - 1]), dtype=torch.float32)
        points = torch.cat([points[:, None], others[None].expand(len(points), -1, -1)], 1).reshape(-1, 2)
    logits, _ = model.discriminate(points)
    return {"x": xs, "y": ys, "d": torch.sigmoid(logits).reshape(resolution, resolution).numpy()}


def generator_arrows(model, z: torch.Tensor) -> dict:
    """Where G puts z and the direction its loss pushes each sample: -d loss_G / d x at x = G(z) (N, 2)."""
    from gen_core.models import gan

    x = model.generate(z).detach().requires_grad_(True)
    with torch.enable_grad():
        logits, _ = model.discriminate(x)
        grad, = torch.autograd.grad(gan.generator_loss(model.config.loss, logits) * len(logits), x)
    return {"x": x.detach().numpy(), "push": (-grad).numpy()}


@torch.no_grad()
def generator_grid(model, count: int = 11) -> list[np.ndarray]:
    """The image under G of a grid of z (first two coordinates; the rest 0): one (resolution, 2) line each."""
    return as_lines(model.generate(latent_grid(count, dim=model.config.z_dim)).numpy())  # one batch, not a line each


@torch.no_grad()
def vae_decoder_grid(model, count: int = 11) -> list[np.ndarray]:
    """The decoder's mean mu(z) over a grid of z: the curve the VAE's samples scatter around."""
    return as_lines(model.decode(latent_grid(count, dim=model.config.latent_dim)).numpy())


@torch.no_grad()
def flow_layers(model, count: int = 11) -> list[list[np.ndarray]]:
    """A grid of z carried through the flow: for each stage (0 = the Gaussian, then after each coupling layer)
    the grid's lines (resolution, 2) in data units."""
    return [as_lines(stage.numpy()) for stage in model.trajectory(latent_grid(count, limit=2.5))]


def energy_map(model, extent, resolution: int = 60) -> dict:
    xs, ys, points = plane_grid(extent, resolution)
    with torch.no_grad():
        e = model.energy(points).reshape(resolution, resolution).numpy()
    return {"x": xs, "y": ys, "energy": e}


def langevin_chains(model, n: int = 12, steps: int = 80, seed: int = 0, record_every: int = 4) -> np.ndarray:
    """n fresh Langevin chains from uniform noise: (frames, n, 2) in data units."""
    from gen_core.models import ebm

    generator = make_generator(seed)
    start = (torch.rand(n, 2, generator=generator) * 2 - 1) * ebm.BOX
    _, path = ebm.langevin(model, start, steps, generator, record_every=record_every)
    return torch.stack(path).numpy() * model.config.data_scale


@torch.no_grad()
def diffusion_field(model, extent, t: int, resolution: int = 17) -> dict:
    """The denoising field at timestep t: at grid points x_t, the pull x0_hat - x_t (data units)."""
    from gen_core.models import diffusion

    _, _, points = plane_grid(extent, resolution)
    x0, _ = diffusion.denoising_field(model, diffusion.to_model_space(model, points), t)
    x0 = diffusion.from_model_space(model, x0)
    return {"x": points.numpy(), "pull": (x0 - points).numpy()}


# --- the 'look inside' view: computed once, drawn by either renderer -----------------------------------------

@dataclass(frozen=True)
class InsideView:
    """What the page's 'look inside' shows for one model, as NumPy data: ui.point_frames draws it as a picture
    (playing, or paused) and ui.point_figures as a Plotly figure (paused, with interactive charts on)."""
    family: str
    data: dict


def _gan_inside(live: "LiveModel", real: np.ndarray, extent, t: int) -> dict:
    m = live.model
    pushed = generator_arrows(m, live.view_z[:200 - 200 % m.config.pack])  # whole packs only
    longest = np.linalg.norm(pushed["push"], axis=1).max() or 1.0
    return {"d_map": discriminator_map(m, extent, resolution=48, companions=real[:16]), "pushed": pushed["x"],
            "push": pushed["push"] / longest, "grid": generator_grid(m)}


def _vae_inside(live: "LiveModel", real: np.ndarray, extent, t: int) -> dict:
    m = live.model
    return {"grid": vae_decoder_grid(m), "sigma": (0.5 * m.log_sigma2).exp().detach().numpy() * m.config.data_scale}


def _diffusion_inside(live: "LiveModel", real: np.ndarray, extent, t: int) -> dict:
    t = min(t, live.model.config.timesteps - 1)
    return {"t": t, "field": diffusion_field(live.model, extent, t)}


def _flow_inside(live: "LiveModel", real: np.ndarray, extent, t: int) -> dict:
    return {"stages": flow_layers(live.model)}


def _ebm_inside(live: "LiveModel", real: np.ndarray, extent, t: int) -> dict:
    return {"landscape": energy_map(live.model, extent, resolution=48),
            "chains": langevin_chains(live.model, seed=live.steps)}


# The one place that says what each family shows: a family missing here has no view, and says so.
INSIDE_VIEWS = {"gan": _gan_inside, "vae": _vae_inside, "ddpm": _diffusion_inside, "flow": _flow_inside,
                "ebm": _ebm_inside}


def inside_view(live: "LiveModel", real: np.ndarray, extent, diffusion_t: int = 50) -> InsideView:
    """The 'look inside' data of one model: D's map and G's push (GAN), the decoder grid (VAE), the denoising
    field at t (diffusion), a z grid through each coupling layer (flow), the energy and Langevin chains (EBM)."""
    compute = INSIDE_VIEWS.get(live.family_name)
    if compute is None:
        raise ValueError(f"no 'look inside' view for family {live.family_name!r}")
    return InsideView(live.family_name, compute(live, real, extent, diffusion_t))


def outside(points: np.ndarray, extent) -> int:
    """How many points lie outside the box (x0, x1, y0, y1) or are not finite: the views show the data's box, and an
    untrained or diverging model's samples can all fall outside it (the panel would look empty, not broken)."""
    x0, x1, y0, y1 = extent
    p = np.asarray(points, dtype=float)
    with np.errstate(invalid="ignore"):
        inside = (p[:, 0] >= x0) & (p[:, 0] <= x1) & (p[:, 1] >= y0) & (p[:, 1] <= y1)
    return int((~inside).sum())


def data_extent(points: np.ndarray, margin: float = 0.25) -> tuple[float, float, float, float]:
    """A square box around the points with a margin: (x0, x1, y0, y1)."""
    lo, hi = np.asarray(points).min(0), np.asarray(points).max(0)
    centre, half = (lo + hi) / 2, (hi - lo).max() / 2 * (1 + margin) + 1e-3
    return (centre[0] - half, centre[0] + half, centre[1] - half, centre[1] + half)


