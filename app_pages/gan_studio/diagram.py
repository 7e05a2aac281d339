"""Diagram tab: z -> G -> x_fake -> D <- x_real for one sample of the chosen GAN, each box holding this sample's
tensor, both losses with their values, and the gradients' paths (L_D back into D; L_G back through D into G, whose
pull on each pixel of x_fake is drawn too)."""
import streamlit as st

from app_pages.gan_studio.studio import Studio
from gen_core.labs import diagrams as lab
from ui import diagram
from ui.diagram import Arrow, Box, Diagram, picture, vector_picture
from ui.lab_cache import Data, lab_call
from ui.settings import global_seed


@st.fragment
def show(studio: Studio) -> None:
    if not studio.loaded.card["dataset"].get("kind", "image") == "image":
        st.info("The diagram draws image GANs; pick one in the model list.")
        return
    c = st.columns(2)
    seed = c[0].number_input("Noise seed", 0, 2**31 - 1, global_seed(), key="gan_diagram_seed", bind="query-params")
    index = c[1].number_input("Real test image #", 0, len(studio.dataset.x_test) - 1, 0, key="gan_diagram_real",
                              bind="query-params")
    v = lab_call(lab.for_model, str(studio.core.device), studio.name, "gan", Data(studio.dataset.name), int(seed),
                 int(index))
    names = studio.class_names
    y = f", y = {names[v['label']]}" if v["label"] is not None and names else ""
    boxes = [
        Box("z", "z ~ N(0, I)", f"the noise vector, {len(v['z'])} numbers (light: positive, dark: negative)", 0, 0,
            vector_picture(v["z"]), f"|z| = {float(v['z'].norm()):.2f}"),
        Box("G", "G", "the generator network: turns z" + (" and the class y" if y else "") + " into an image", 1, 0,
            network=True, value=studio.config.get("arch", "")),
        Box("x_fake", "x_fake = G(z)", f"the generated image{y}", 2, 0, picture(v["x_fake"])),
        Box("x_real", "x_real", f"a real test image (#{index})", 2, 1, picture(v["x_real"])),
        Box("D", "D", "the discriminator network: the probability that its input is real", 3, 0.5, network=True),
        Box("d_fake", "D(x_fake)", "D's probability that the generated image is real", 4, 0, value=f"{v['d_fake']:.3f}"),
        Box("d_real", "D(x_real)", "D's probability that the real image is real", 4, 1, value=f"{v['d_real']:.3f}"),
        Box("L_D", "L_D", "the discriminator's loss: low when it tells real from fake", 5, 1, value=f"{v['loss_d']:.3f}"),
        Box("L_G", "L_G", "the generator's loss: low when D takes its image for real", 5, 0, value=f"{v['loss_g']:.3f}"),
        Box("grad", "−∂L_G/∂x_fake", "how L_G pushes each pixel of the generated image (light: brighter)", 3, -0.0,
            picture(-v["grad"], signed=True)),
    ]
    boxes[-1].row = 1.5
    boxes[-1].col = 1
    arrows = [Arrow("z", "G"), Arrow("G", "x_fake"), Arrow("x_fake", "D"), Arrow("x_real", "D"),
              Arrow("D", "d_fake"), Arrow("D", "d_real"), Arrow("d_fake", "L_G"), Arrow("d_fake", "L_D"),
              Arrow("d_real", "L_D"), Arrow("L_D", "D", "∇ L_D", gradient=True),
              Arrow("L_G", "x_fake", "∇ L_G through D", gradient=True), Arrow("x_fake", "grad", gradient=True),
              Arrow("grad", "G", "into G's weights", gradient=True)]
    equation = [
        [("L", None), ("<sub>D</sub>", None), (" = −log ", None), ("D(x<sub>real</sub>)", "d_real"),
         (" − log(1 − ", None), ("D(G(z))", "d_fake"), (") = ", None), (f"{v['loss_d']:.3f}", "L_D")],
        [("L", None), ("<sub>G</sub>", None), (" = −log ", None), ("D(G(z))", "d_fake"), (" = ", None),
         (f"{v['loss_g']:.3f}", "L_G"), ("   (the non-saturating loss; ", None), ("G", "G"), (" follows ", None),
         ("−∇<sub>x</sub>L<sub>G</sub>", "grad"), (")", None)],
    ]
    diagram.show(Diagram("A GAN, for this sample", boxes, arrows, equation), key="gan")
    st.caption("Goodfellow et al. (2014), eq. 1, with the non-saturating generator loss of their section 3. Solid "
               "arrows carry the forward pass; red dashed ones the gradients: L_D trains D alone, L_G reaches G only "
               "through D, so G learns whatever D currently rewards. Change the noise seed or the real image and "
               "every box follows.")
