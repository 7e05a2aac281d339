"""The likelihood table (diffusion's bound against a known answer, the shipped models' rows) and the Likelihood
Lab page through AppTest: every tab renders and follows its controls."""
import math
import re

import pytest
from gen_core.device import make_generator
import torch
from scipy import stats

from gen_core import likelihood
from gen_core.core import InferenceCore
from gen_core.data import load_dataset
from gen_core.models import diffusion
from tests.apptest import captions, open_page, open_tab

PAGE = "app_pages/likelihood_lab/page.py"


class PointMassDiffusion:
    """The exact denoiser for data that is always one image x*: eps_hat(x_t) = (x_t - sqrt(abar_t) x*) /
    sqrt(1 - abar_t), so x0_hat = x* at every step. Every KL term of the bound is then zero and the bound is
    L_T + L_0, both by hand."""

    def __init__(self, target: torch.Tensor, timesteps: int = 50):
        schedule = diffusion.make_schedule("linear", timesteps)
        self.beta, self.alpha, self.abar = (schedule[k].float() for k in ("beta", "alpha", "abar"))
        self.target = target

    def predict_eps(self, x_t, t):
        abar = self.abar[t].view(-1, 1, 1, 1)
        return (x_t - abar.sqrt() * self.target) / (1 - abar).sqrt()


def test_diffusion_bound_is_prior_kl_plus_decoder_for_an_exact_point_mass_model():
    target = torch.where(torch.rand(1, 1, 4, 4, generator=make_generator(0)) > 0.5, 1.0, -1.0)
    model = PointMassDiffusion(target)
    got = likelihood.diffusion_vlb(model, target.expand(3, -1, -1, -1), make_generator(0))
    abar_T, beta_0 = float(model.abar[-1]), float(model.beta[0])
    prior_kl = 16 * 0.5 * ((1 - abar_T) + abar_T * 1.0 - 1 - math.log(1 - abar_T))  # x*^2 = 1 per pixel
    decoder = -16 * stats.norm.logcdf(1 / math.sqrt(beta_0))  # x0_hat = x* exactly: the right side of mid-grey
    assert torch.allclose(got.double(), torch.full((3,), prior_kl + decoder, dtype=torch.float64), atol=1e-3)


def test_diffusion_bound_charges_a_wrong_guess():
    target = torch.ones(1, 1, 2, 2)
    exact = likelihood.diffusion_vlb(PointMassDiffusion(target), target, make_generator(0))
    wrong = likelihood.diffusion_vlb(PointMassDiffusion(-target), target, make_generator(0))
    assert float(wrong[0]) > float(exact[0]) + 100


@pytest.fixture(scope="module")
def core():
    return InferenceCore("cpu")


def test_shipped_models_fill_the_table_with_consistent_rows(core):
    x = load_dataset("digits-binary").x_test[:24]
    rows = {r.kind: r for name in likelihood.DEFAULT_MODELS[:3] for r in likelihood.score(core, name, x)}
    assert rows["exact"].family == "pixelcnn"
    assert set(rows) == {"exact", "bound: dequantisation", "bound: ELBO",
                         f"bound: importance-weighted, K={likelihood.IWAE_SAMPLES}"}
    for row in rows.values():
        assert 0 < row.nats < 64 * math.log(2) * 2 and row.bits_per_dim == pytest.approx(row.nats / (64 * math.log(2)))
    # the importance-weighted bound is tighter than the ELBO on the same model
    assert rows[f"bound: importance-weighted, K={likelihood.IWAE_SAMPLES}"].nats < rows["bound: ELBO"].nats


def test_the_shipped_table_matches_the_shipped_weights(core):
    """The shipped table file is keyed by the weights' hashes: it must be found for the shipped models (a
    retrained model without a new table would make the first visitor wait for diffusion's 1000 steps)."""
    key = likelihood.table_key(core, list(likelihood.DEFAULT_MODELS), "digits-binary", 0)
    assert (likelihood.SHIPPED_TABLES / f"table-{key}.json").is_file()
    rows = likelihood.cached_table(core)
    assert {r.model for r in rows} == set(likelihood.DEFAULT_MODELS)
    exact = next(r for r in rows if r.kind == "exact")
    card = core.load(exact.model).card
    assert exact.nats == pytest.approx(card["metrics"]["test_nll_nats"], abs=0.01)


def test_a_model_without_likelihood_is_refused(core):
    with pytest.raises(ValueError, match="no likelihood"):
        likelihood.score(core, "gan-digits", load_dataset("digits-binary").x_test[:2])

# --- the page ------------------------------------------------------------------------------------------------


def run(target):
    at = target.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def iframes(at):
    return [e.proto.srcdoc for e in at.get("iframe")]


@pytest.fixture(scope="module")
def page():
    return open_page(PAGE)


def test_pixelcnn_tab_draws_shows_fields_and_completes(page):
    at = open_tab(page, "ll_tab", "PixelCNN")
    assert any("p(ink)" in html for html in iframes(at))
    blind = [c for c in captions(at) if "blind spot" in c]
    assert blind
    before = [m.value for m in at.caption if "misses" in m.value]
    run(at.slider(key="ll_pix_row").set_value(5))
    after = [m.value for m in at.caption if "misses" in m.value]
    assert before != after
    images = len(at.get("image"))
    run(at.number_input(key="ll_pix_index").set_value(12))
    assert len(at.get("image")) == images


def test_any_order_tab_draws_in_a_random_order_beside_raster_and_measures_the_order(page):
    at = open_tab(page, "ll_tab", "Any order (ARDM)")
    players = [html for html in iframes(at) if "Any order against raster order" in html]
    assert players and "PixelCNN drew row 0 col 0" in players[0]  # step 1: PixelCNN starts top left
    table = at.dataframe[0].value
    random_order, raster, exact = table["nats per image"]
    assert list(table["kind"]) == ["bound on -log p(x)", "-log p(x | raster order)", "exact"]
    assert 5 < exact < random_order < 64 * math.log(2)  # a bound above the exact model, far below knowing nothing
    judged = [c for c in captions(at) if "per call" in c]
    assert len(judged) == 3 and "64 calls" in judged[0] and "4 calls" in judged[2]
    first = players[0]
    run(at.number_input(key="ll_ardm_seed").set_value(3))
    assert [h for h in iframes(at) if "Any order against raster order" in h][0] != first


def test_text_tab_follows_the_prefix_and_temperature(page):
    at = open_tab(page, "ll_tab", "Text")
    texts = [t.value for t in at.text]
    assert texts and all(t.startswith("And God said, Let there be ") for t in texts)
    run(at.text_input(key="ll_text_prefix").set_value("In the beginning"))
    assert all(t.value.startswith("In the beginning") for t in at.text)
    run(at.text_input(key="ll_text_prefix").set_value("Zebra ~ unknown"))
    assert any("not among them" in e.value for e in at.error)


def test_series_and_hmm_tabs(page):
    at = open_tab(page, "ll_tab", "Series")
    assert any("90% band" in c.value for c in at.caption)
    at = open_tab(page, "ll_tab", "HMM")
    decision = [m for m in at.metric if m.label == "Classifier's decision"][0].value
    assert decision in ("ar1", "sine", "switching")
    run(at.number_input(key="ll_hmm_index").set_value(5))  # an ar1 series
    assert [m for m in at.metric if m.label == "Classifier's decision"][0].value == "ar1"


def test_glow_tab_prints_the_round_trip_and_follows_the_seed(page):
    at = open_tab(page, "ll_tab", "Glow")
    code = [c.value for c in at.code][0]
    error = float(code.split("largest error")[1].split()[0])
    assert error < 1e-3 and "pixels that change level  0" in code
    first = at.get("image")[0].proto.imgs[0].url
    run(at.number_input(key="ll_glow_seed").set_value(5))
    assert at.get("image")[0].proto.imgs[0].url != first


def test_energy_and_table_tabs(page):
    at = open_tab(page, "ll_tab", "Energy model")
    assert any("Langevin step" in html for html in iframes(at))
    mean = [c.value for c in at.caption if c.value.startswith("Mean energy")][0]
    real, generated, noise = map(float, re.search(r"real (-?[\d.]+), generated (-?[\d.]+), noise (-?[\d.]+)\.",
                                                  mean).groups())
    assert real < noise and generated < noise
    at = open_tab(page, "ll_tab", "Likelihood table")
    table = at.dataframe[0].value
    assert set(table["model"]) == set(likelihood.DEFAULT_MODELS)
    assert (table["kind"] == "exact").sum() == 1


def test_the_energy_tab_says_how_outside_judges_read_its_samples():
    from tests.apptest import open_page, open_tab
    at = open_tab(open_page("app_pages/likelihood_lab/page.py"), "ll_tab", "Energy model")
    assert not at.exception
    frames = [f.value for f in at.dataframe if "samples of" in f.value.columns]
    assert frames and list(frames[0]["samples of"])[0] == "ebm-digits"
    table = frames[0].set_index("samples of")
    assert (table.loc["ebm-digits"] < table.loc["real test digits"]).all()  # read as digits, less surely than real
    assert any("less surely than the other families" in c.value for c in at.caption)
