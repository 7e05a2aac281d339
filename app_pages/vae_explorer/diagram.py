"""Diagram tab: x -> encoder -> (mu, sigma) -> z -> decoder -> x_hat for one test image of the chosen VAE, each box
holding this image's tensors, and the ELBO's two terms with their values; the reparameterisation's noise eps enters
from the side, which is what lets the reconstruction's gradient reach the encoder."""
import streamlit as st

from app_pages.vae_explorer.explorer import Explorer
from gen_core.labs import diagrams as lab
from ui import diagram
from ui.diagram import Arrow, Box, Diagram, picture, vector_picture
from ui.lab_cache import Data, lab_call
from ui.settings import global_seed


@st.fragment
def show(explorer: Explorer) -> None:
    if explorer.dataset.kind != "image":
        st.info("The diagram draws image VAEs; pick one in the model list.")
        return
    c = st.columns(2)
    index = c[0].number_input("Test image #", 0, len(explorer.dataset.x_test) - 1, 0, key="vae_diagram_image",
                              bind="query-params")
    seed = c[1].number_input("Noise seed (ε)", 0, 2**31 - 1, global_seed(), key="vae_diagram_seed",
                             bind="query-params")
    v = lab_call(lab.for_model, str(explorer.core.device), explorer.name, "vae", Data(explorer.dataset.name),
                 int(seed), int(index))
    d = len(v["mu"])
    boxes = [
        Box("x", "x", f"the test image #{index}", 0, 0.5, picture(v["x"])),
        Box("enc", "encoder", "q(z|x): a network that outputs a Gaussian over codes for this image", 1, 0.5,
            network=True),
        Box("mu", "μ", f"the code's mean, {d} numbers", 2, 0, vector_picture(v["mu"]), f"|μ| = {float(v['mu'].norm()):.2f}"),
        Box("sigma", "σ", "the code's spread per dimension (light: wide)", 2, 1,
            vector_picture(v["sigma"] * 2 - 1), f"mean σ = {float(v['sigma'].mean()):.2f}"),
        Box("eps", "ε ~ N(0, I)", "fresh noise: the reparameterisation trick samples z as μ + σ ε", 3, 1.6),
        Box("z", "z = μ + σ ε", "one sample of the code", 3, 0.5, vector_picture(v["z"])),
        Box("dec", "decoder", "p(x|z): a network that turns a code into an image", 4, 0.5, network=True),
        Box("x_hat", "x̂", "the decoded image (the decoder's mean)", 5, 0.5, picture(v["x_hat"])),
        Box("recon", "−log p(x|z)", "the reconstruction term: how badly x̂ explains x (nats)", 5, 1.6,
            value=f"{v['recon']:.1f}"),
        Box("kl", "KL(q‖p)", "how far the code's Gaussian is from the prior N(0, I) (nats)", 2, 2.1,
            value=f"{v['kl']:.1f}"),
    ]
    arrows = [Arrow("x", "enc"), Arrow("enc", "mu"), Arrow("enc", "sigma"), Arrow("mu", "z"), Arrow("sigma", "z"),
              Arrow("eps", "z"), Arrow("z", "dec"), Arrow("dec", "x_hat"), Arrow("x_hat", "recon"),
              Arrow("mu", "kl"), Arrow("sigma", "kl"),
              Arrow("recon", "dec", "∇", gradient=True), Arrow("kl", "enc", "∇ KL", gradient=True)]
    equation = [
        [("ELBO", None), (" = ", None), ("E<sub>q(z|x)</sub>[log p(x|z)]", "recon"), (" − ", None),
         ("KL(q(z|x) ‖ p(z))", "kl"), (f" = −{v['recon']:.1f} − {v['kl']:.1f} = {v['elbo']:.1f} nats", None)],
        [("z = ", None), ("μ", "mu"), (" + ", None), ("σ", "sigma"), (" ⊙ ", None), ("ε", "eps"),
         ("   (so ∂z/∂μ = 1 and ∂z/∂σ = ε: the gradient passes through the sampling)", None)],
    ]
    diagram.show(Diagram("A VAE, for this image", boxes, arrows, equation, columns=6), key="vae")
    st.caption("Kingma and Welling (2014), eq. 3 and the reparameterisation of section 2.4. Training maximises the "
               "ELBO: the reconstruction term pulls x̂ towards x, the KL term pulls each image's Gaussian towards the "
               "prior, which is what makes the space between codes decodable.")
