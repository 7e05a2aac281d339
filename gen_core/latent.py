"""Paths through a latent space: linear and spherical interpolation between two codes."""
from __future__ import annotations

import torch

PATHS = ("linear", "spherical")


def lerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """(1 - t) a + t b for each t: a, b (D,), t (T,) -> (T, D)."""
    t = t[:, None]
    return (1 - t) * a + t * b


def slerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Spherical interpolation (Shoemake, 1985), the path White (2016) recommends for Gaussian latents: it
    keeps the norm near that of typical samples, where linear paths pass through the unlikely centre.

        slerp(a, b; t) = sin((1 - t) omega) / sin(omega) a + sin(t omega) / sin(omega) b,
        omega = angle between a and b."""
    cos = torch.dot(a, b) / (a.norm() * b.norm()).clamp_min(1e-12)
    omega = torch.arccos(cos.clamp(-1 + 1e-7, 1 - 1e-7))
    if omega.abs() < 1e-4:  # (nearly) parallel: slerp and lerp coincide
        return lerp(a, b, t)
    t = t[:, None]
    return (torch.sin((1 - t) * omega) * a + torch.sin(t * omega) * b) / torch.sin(omega)


def interpolate(a: torch.Tensor, b: torch.Tensor, steps: int, path: str = "linear") -> torch.Tensor:
    """`steps` codes from a to b inclusive along `path` ("linear" or "spherical"): (steps, D)."""
    if path not in PATHS:
        raise ValueError(f"unknown path {path!r}; choose one of {', '.join(PATHS)}")
    if steps < 2:
        raise ValueError("an interpolation needs at least 2 steps")
    t = torch.linspace(0, 1, steps, dtype=a.dtype, device=a.device)
    return (lerp if path == "linear" else slerp)(a, b, t)
