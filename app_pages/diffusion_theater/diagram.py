"""Diagram tab: x_0 -> q(x_t | x_0) -> network -> eps_hat -> x_{t-1} for one test image of the chosen diffusion
model at a timestep you pick, each box holding this image's tensors: the noise added, the network's estimate of it,
the clean image that estimate implies, one reverse step, and the training loss at this t."""
import streamlit as st

from app_pages.diffusion_theater.context import Theater
from gen_core.labs import diagrams as lab
from ui import diagram
from ui.diagram import Arrow, Box, Diagram, picture
from ui.lab_cache import Data, lab_call
from ui.settings import global_seed


@st.fragment
def show(theater: Theater) -> None:
    c = st.columns(3)
    t = c[0].slider("Timestep t", 1, theater.T - 1, theater.T // 2, key="diff_diagram_t", bind="query-params")
    index = c[1].number_input("Test image #", 0, len(theater.dataset.x_test) - 1, 0, key="diff_diagram_image",
                              bind="query-params")
    seed = c[2].number_input("Noise seed", 0, 2**31 - 1, global_seed(), key="diff_diagram_seed", bind="query-params")
    v = lab_call(lab.for_model, theater.device, theater.name, "diffusion", Data(theater.dataset_name), int(seed),
                 int(index), int(t))
    boxes = [
        Box("x0", "x₀", f"a test image (#{index})", 0, 0, picture(v["x0"])),
        Box("eps", "ε ~ N(0, I)", "the noise the forward process adds", 0, 1, picture(v["eps"], signed=True)),
        Box("q", "q(x_t | x₀)", f"the forward process in one jump: keeps √ᾱ_t = {v['abar'] ** 0.5:.3f} of the image",
            1, 0.5, network=True, value=f"ᾱ_t = {v['abar']:.3f}"),
        Box("x_t", f"x_t (t = {t})", "the noised image the network sees", 2, 0.5, picture(v["x_t"])),
        Box("net", "ε_θ(x_t, t)", "the U-Net: estimates the noise in x_t, told t" +
            (" and the class" if theater.conditional else ""), 3, 0.5, network=True),
        Box("eps_hat", "ε̂", "the network's estimate of the noise", 4, 0, picture(v["eps_hat"], signed=True)),
        Box("x0_hat", "x̂₀", "the clean image that estimate implies: (x_t − √(1−ᾱ_t) ε̂) / √ᾱ_t", 4, 1,
            picture(v["x0_hat"])),
        Box("x_prev", "x_(t−1)", "one DDPM step back: a sample of q(x_{t−1} | x_t, x̂₀)", 5, 0.5,
            picture(v["x_prev"])),
        Box("loss", "‖ε − ε̂‖²", "the training loss at this t: how far the estimate is from the true noise", 5, 1.6,
            value=f"{v['loss']:.4f}"),
    ]
    arrows = [Arrow("x0", "q"), Arrow("eps", "q"), Arrow("q", "x_t"), Arrow("x_t", "net"), Arrow("net", "eps_hat"),
              Arrow("net", "x0_hat"), Arrow("eps_hat", "x_prev"), Arrow("x0_hat", "x_prev"), Arrow("eps_hat", "loss"),
              Arrow("eps", "loss"), Arrow("loss", "net", "∇", gradient=True)]
    equation = [
        [("x<sub>t</sub>", "x_t"), (" = ", None), ("√ᾱ<sub>t</sub>", "q"), (" ", None), ("x<sub>0</sub>", "x0"),
         (" + √(1 − ᾱ<sub>t</sub>) ", None), ("ε", "eps"), ("      (Ho et al., 2020, eq. 4)", None)],
        [("L = ‖", None), ("ε", "eps"), (" − ", None), ("ε<sub>θ</sub>(x<sub>t</sub>, t)", "eps_hat"), ("‖² = ", None),
         (f"{v['loss']:.4f}", "loss"), ("      (eq. 14)", None)],
        [("x̂<sub>0</sub>", "x0_hat"), (" = (x<sub>t</sub> − √(1 − ᾱ<sub>t</sub>) ", None), ("ε̂", "eps_hat"),
         (") / √ᾱ<sub>t</sub>  →  ", None), ("x<sub>t−1</sub>", "x_prev"), (" ~ q(x<sub>t−1</sub> | x<sub>t</sub>, x̂<sub>0</sub>)", None)],
    ]
    diagram.show(Diagram(f"Diffusion at t = {t} of {v['T']}", boxes, arrows, equation, columns=6), key="diffusion")
    st.caption("Move t: near 0 the network barely needs to denoise and x̂₀ is sharp; near T the image is almost all "
               "noise and x̂₀ is the model's blurry guess at an average image. The same network, told t, does both.")
