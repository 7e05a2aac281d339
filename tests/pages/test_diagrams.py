"""Every family's diagram, on the page where the family lives (AppTest): drawn with a box per tensor, its equation
with terms tied to those boxes, and values that follow the tab's controls."""
import re

import pytest

from tests.apptest import open_page, open_tab

# (page, tab key, tab, the boxes the drawing must hold, a control of the diagram and a new value for it)
DIAGRAMS = [
    ("app_pages/gan_studio/page.py", "gan_tab", "Diagram", {"z", "G", "x_fake", "x_real", "D", "L_D", "L_G", "grad"},
     "gan_diagram_seed", 5),
    ("app_pages/vae_explorer/page.py", "vae_tab", "Diagram", {"x", "enc", "mu", "sigma", "z", "dec", "x_hat", "kl",
                                                             "recon"}, "vae_diagram_image", 7),
    ("app_pages/diffusion_theater/page.py", "diff_tab", "Diagram", {"x0", "eps", "x_t", "net", "eps_hat", "x0_hat",
                                                                   "x_prev", "loss"}, "diff_diagram_t", 900),
    pytest.param("app_pages/likelihood_lab/page.py", "ll_tab", "Glow", {"x", "y", "f", "z", "log_pz", "log_det",
                                                                        "log_px"}, "ll_flow_diagram_image", 3),
    ("app_pages/likelihood_lab/page.py", "ll_tab", "PixelCNN", {"x", "past", "net", "p", "term", "log_px"},
     "ll_ar_diagram_row", 1),
    pytest.param("app_pages/likelihood_lab/page.py", "ll_tab", "Energy model", {"x", "E", "e_real", "u0", "e_noise",
                                                                                "grad", "x_k"},
                 "ll_ebm_diagram_image", 4, marks=pytest.mark.slow),
]


def drawing(at) -> str:
    bodies = [e.proto.body for e in at.get("html") if "genlab-diagram-" in e.proto.body]
    assert len(bodies) == 1, len(bodies)
    return bodies[0].replace("\\u003c", "<")


def case_id(case) -> str:
    values = getattr(case, "values", case)
    return f"{values[0].split('/')[1]}-{values[2]}"


@pytest.mark.parametrize("page, key, tab, boxes, control, value", DIAGRAMS, ids=[case_id(d) for d in DIAGRAMS])
def test_each_family_has_a_live_diagram_tied_to_its_equation(page, key, tab, boxes, control, value):
    at = open_tab(open_page(page), key, tab)
    body = drawing(at)
    drawn = set(re.findall(r'class=\\"box[^"]*\\" data-box=\\"([^"\\]+)\\"', body))
    assert boxes <= drawn, boxes - drawn
    terms = set(re.findall(r'data-term="([^"]+)"', body))
    assert terms and terms <= drawn  # every lit term has its box
    assert body.count("data:image/png;base64,") >= 2  # the example's tensors, drawn in the boxes
    widget = next(w for kind in ("number_input", "slider") for w in at.get(kind) if w.key == control)
    widget.set_value(value).run()
    assert not at.exception, [e.value for e in at.exception]
    assert drawing(at) != body  # the boxes follow the control
