"""Denoising tab: diffusion as a denoiser. Add noise of a chosen level to a test image (or your own picture),
start the reverse process at the timestep whose noise matches, and compare with the original."""
from __future__ import annotations

import streamlit as st
import torch

from gen_core.labs import diffusion as lab
from gen_core.data.images import image_from_file
from gen_core.errors import GenLabError
from app_pages.diffusion_theater.context import Theater
from ui.images import labelled_grid
from ui.loaders import core_on, get_dataset
from ui.settings import global_seed
from ui.text import plain

LEVELS = [0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5]  # sigma in pixel units ([-1, 1] images)


@st.cache_data(show_spinner=False, max_entries=32)
def denoise_test_image(name: str, device: str, dataset_name: str, index: int, sigma: float, seed: int,
                       steps: int) -> dict:
    x0 = get_dataset(dataset_name).x_test[index:index + 1]
    return lab.denoise(core_on(device), name, x0, sigma, seed, steps)


@st.fragment
def show(theater: Theater) -> None:
    st.markdown("A diffusion model is a denoiser at every noise level. Take a clean image, add Gaussian noise of "
                "standard deviation sigma, and the result is (up to a scale) x_t for the t whose noise matches: "
                "start the reverse process there instead of at T (as SDEdit does) and it walks back to a clean "
                "image. The one-step guess x0_hat at t is the model's average answer: lowest squared error, but "
                "blurry; the full run from t commits to one sharp image.")
    dataset = theater.dataset
    c = st.columns(4)
    index = c[0].number_input("Test image #", 0, len(dataset.x_test) - 1, 3, key="diff_dn_index", bind="query-params")
    sigma = c[1].select_slider("Noise sigma", LEVELS, 0.5, key="diff_dn_sigma", bind="query-params")
    steps = c[2].select_slider("DDIM steps from t", [10, 25, 50, 100], 50, key="diff_dn_steps", bind="query-params")
    seed = c[3].number_input("Noise seed", 0, 2**31 - 1, global_seed(), key="diff_dn_seed", bind="query-params")
    upload = st.file_uploader("Or denoise your own picture (resized to the model's size)",
                              type=["png", "jpg", "jpeg", "bmp", "gif", "webp"], key="diff_dn_upload")
    try:
        if upload is not None:
            x0 = image_from_file(upload, tuple(dataset.shape))[None]
            with st.spinner("Denoising..."):
                result = lab.denoise(theater.core, theater.name, x0, sigma, seed, steps)
            source = plain(f"your picture {upload.name}")
        else:
            with st.spinner("Denoising..."):
                result = denoise_test_image(theater.name, theater.device, theater.dataset_name, index, sigma, seed,
                                            steps)
            x0 = dataset.x_test[index:index + 1]
            source = f"test #{index}"
    except GenLabError as error:
        st.error(plain(error))
        return
    shown = torch.cat([x0, result["noisy"].clamp(-1, 1), result["one_step"], result["denoised"]])
    labels = ["original", f"noisy {result['mse_noisy']:.3f}", f"x0_hat {result['mse_one_step']:.3f}",
              f"denoised {result['mse_denoised']:.3f}"]
    st.image(labelled_grid(shown, labels, 4, tile_px=120), output_format="PNG",
             caption=f"{source}, sigma = {sigma}: the reverse process starts at t = {result['t']} of {theater.T}. "
                     f"Under each picture its mean squared error against the original.")
    c = st.columns(3)
    c[0].metric("Error of the noisy image", f"{result['mse_noisy']:.4f}")
    c[1].metric("After denoising", f"{result['mse_denoised']:.4f}",
                help=f"{result['mse_denoised'] / max(result['mse_noisy'], 1e-12):.1%} of the noisy image's error")
    c[2].metric("One-step x0_hat", f"{result['mse_one_step']:.4f}")
    st.image(labelled_grid(result["path"], [f"t={t}" if t >= 0 else "done" for t in result["path_t"]],
                           len(result["path_t"]), tile_px=64),
             caption="The model's guess of the clean image along the run from t", output_format="PNG")
