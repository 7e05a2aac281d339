"""The Likelihood Lab's three family diagrams (flow, autoregressive, energy model), each drawn at the end of its tab
for the tab's chosen model and one test image, with the equation whose terms the boxes hold."""
import streamlit as st

from gen_core.labs import diagrams as lab
from ui import diagram
from ui.diagram import Arrow, Box, Diagram, picture
from ui.lab_cache import Data, lab_call
from ui.settings import global_seed


def heading_and_values(title: str, key: str, device: str, name: str, family: str, dataset) -> tuple[int, dict]:
    """The section's heading, its test-image picker and the diagram's values for that image (seeded globally)."""
    st.subheader(title)
    index = st.number_input("Test image #", 0, len(dataset.x_test) - 1, 0, key=key, bind="query-params")
    return int(index), lab_call(lab.for_model, device, name, family, Data(dataset.name), global_seed(), int(index))


@st.fragment
def flow(device: str, name: str, dataset) -> None:
    index, v = heading_and_values("The flow as a diagram", "ll_flow_diagram_image", device, name, "glow", dataset)
    boxes = [
        Box("x", "x", f"a test image (#{index}), on the data's discrete levels", 0, 0.5, picture(v["x"])),
        Box("y", "y = x + u", "dequantised: uniform noise u fills each level's bin, so a density can be used", 1, 0.5,
            picture(v["y"])),
        Box("f", "f (invertible)", "Glow's steps: actnorm, 1x1 convolution, affine coupling, at several scales", 2,
            0.5, network=True),
        Box("z", "z = f(y)", "the latent of the first scale (one channel shown): a Gaussian's sample if f fits", 3, 0,
            picture(v["z"], signed=True)),
        Box("log_pz", "log p_Z(z)", "the latents' log-density under the learned Gaussian priors (nats)", 4, 0,
            value=f"{v['log_pz']:.1f}"),
        Box("log_det", "log |det ∂f/∂y|", "how much f stretches volume around y: the change of variables (nats)",
            3, 1, value=f"{v['log_det']:.1f}"),
        Box("log_px", "log p(x)", "the bound on the image's log-probability, and the same in bits per pixel", 5, 0.5,
            value=f"{v['bits_per_dim']:.3f} bits/dim"),
    ]
    arrows = [Arrow("x", "y"), Arrow("y", "f"), Arrow("f", "z"), Arrow("f", "log_det"), Arrow("z", "log_pz"),
              Arrow("log_pz", "log_px"), Arrow("log_det", "log_px")]
    equation = [[("log p(x) ≥ ", None), ("log p<sub>Z</sub>(f(y))", "log_pz"), (" + ", None),
                 ("log |det ∂f/∂y|", "log_det"), (" − D log L", None),
                 (f" = {v['log_pz']:.1f} + {v['log_det']:.1f} − D log L = {v['log_px']:.1f} nats", "log_px")]]
    diagram.show(Diagram("A normalizing flow, for this image", boxes, arrows, equation, columns=6), key="flow")
    st.caption("Dinh et al. (2017) and Kingma and Dhariwal (2018): an invertible f makes the likelihood exact through "
               "the change of variables; dequantisation (Theis et al., 2016) turns it into a bound for discrete images.")


@st.fragment
def autoregressive(device: str, name: str, dataset) -> None:
    st.subheader("The autoregressive model as a diagram")
    _, height, width = dataset.shape
    c = st.columns(3)
    index = c[0].number_input("Test image #", 0, len(dataset.x_test) - 1, 0, key="ll_ar_diagram_image",
                              bind="query-params")
    row = c[1].slider("Pixel row", 0, height - 1, height // 2, key="ll_ar_diagram_row", bind="query-params")
    col = c[2].slider("Pixel column", 0, width - 1, width // 2, key="ll_ar_diagram_col", bind="query-params")
    v = lab_call(lab.for_model, device, name, "pixelcnn", Data(dataset.name), int(index), int(row), int(col))
    boxes = [
        Box("x", "x", f"a binarised test image (#{index})", 0, 0.5, picture(v["x"])),
        Box("past", "x_<i", f"what pixel ({row}, {col}) may see: the pixels before it in raster order (grey: not yet "
            f"written; dark mark: the pixel itself)", 1, 0.5, picture(v["context"])),
        Box("net", "masked convs", "convolutions masked so no pixel sees itself or anything after it", 2, 0.5,
            network=True),
        Box("p", "p(x_i = 1 | x_<i)", "the model's probability that this pixel is ink", 3, 0, value=f"{v['p_one']:.3f}"),
        Box("term", "log p(x_i | x_<i)", f"this pixel's term (it is {'ink' if v['pixel'] else 'paper'}), nats", 4, 0,
            value=f"{v['term']:.3f}"),
        Box("log_px", "log p(x)", f"the sum of all {v['pixels']} pixels' terms: the exact log-likelihood", 4, 1,
            value=f"{v['log_px']:.2f} nats"),
    ]
    arrows = [Arrow("x", "past"), Arrow("past", "net"), Arrow("net", "p"), Arrow("p", "term"),
              Arrow("term", "log_px")]
    equation = [[("log p(x) = Σ<sub>i</sub> ", None), ("log p(x<sub>i</sub> | x<sub>&lt;i</sub>)", "term"),
                 (" = ", None), (f"{v['log_px']:.2f} nats", "log_px"), ("     p(x<sub>i</sub> = 1 | ", None),
                 ("x<sub>&lt;i</sub>", "past"), (") = ", None), (f"{v['p_one']:.3f}", "p")]]
    diagram.show(Diagram(f"PixelCNN at pixel ({row}, {col})", boxes, arrows, equation, columns=5), key="autoregressive")
    st.caption("van den Oord et al. (2016): the chain rule writes p(x) exactly as a product of one conditional per "
               "pixel, in a fixed raster order; generating needs one network call per pixel.")


@st.fragment
def energy(device: str, name: str, dataset) -> None:
    index, v = heading_and_values("The energy model as a diagram", "ll_ebm_diagram_image", device, name, "energy",
                                  dataset)
    boxes = [
        Box("x", "x (real)", f"a test image (#{index})", 0, 0, picture(v["x"])),
        Box("E", "E_θ", "the energy network: one number per image, low for data", 1, 0.5, network=True),
        Box("e_real", "E(x)", "the energy of the real image", 2, 0, value=f"{v['e_real']:.3f}"),
        Box("u0", "x₀ ~ U", "a Langevin chain's start: uniform noise", 0, 1, picture(v["u0"])),
        Box("e_noise", "E(x₀)", "the energy of the noise: higher than the data's if training worked", 2, 1,
            value=f"{v['e_noise']:.3f}"),
        Box("grad", "−∇ₓE(x₀)", "the direction Langevin moves each pixel first (light: brighter)", 3, 1,
            picture(v["grad"], signed=True)),
        Box("x_k", f"x_{v['steps']}", f"after {v['steps']} Langevin steps of size η = {v['eta']:g}", 4, 1,
            picture(v["x_k"]), f"E = {v['e_end']:.3f}"),
    ]
    arrows = [Arrow("x", "E"), Arrow("u0", "E"), Arrow("E", "e_real"), Arrow("E", "e_noise"),
              Arrow("e_noise", "grad", "∇ₓ", gradient=True), Arrow("grad", "x_k")]
    equation = [[("p(x) = exp(−", None), ("E(x)", "e_real"), (") / Z", None), ("      (Z is unknown: no likelihood, but ", None),
                 ("E", "E"), (" still ranks images)", None)],
                [("x<sub>k+1</sub>", "x_k"), (" = x<sub>k</sub> + (η/2) ", None), ("(−∇<sub>x</sub>E(x<sub>k</sub>))", "grad"),
                 (" + √η ε", None)]]
    diagram.show(Diagram("An energy model, for this image and one chain", boxes, arrows, equation, columns=5),
                 key="energy")
    st.caption("LeCun et al. (2006) and Du and Mordatch (2019): sampling walks down the energy with noise (Langevin "
               "dynamics); training lowers E on data and raises it on the chain's samples.")
