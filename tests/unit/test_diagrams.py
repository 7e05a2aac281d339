"""The family diagrams' values (gen_core/labs/diagrams.py) are the equations' own terms, computed on the shipped
models: known-answer checks, so a box never shows a number its equation does not produce."""
import math

import pytest
import torch

from gen_core.core import InferenceCore
from gen_core.data import load_card_dataset
from gen_core.labs import diagrams


@pytest.fixture(scope="module")
def core():
    return InferenceCore("cpu")


def values(core, name, family, *args):
    dataset = load_card_dataset(core.load(name).card["dataset"]["name"])
    return diagrams.for_model(core, name, family, dataset, *args), dataset


@pytest.mark.parametrize("name", ["cgan-fashion", "dcgan-digits", "stylegan-fashion"])
def test_the_gan_losses_are_the_discriminators_outputs(core, name):
    v, dataset = values(core, name, "gan", 0, 3)
    assert v["loss_g"] == pytest.approx(-math.log(v["d_fake"]), rel=1e-5)
    assert v["loss_d"] == pytest.approx(-math.log(v["d_real"]) - math.log(1 - v["d_fake"]), rel=1e-5)
    assert v["x_fake"].shape == dataset.shape and torch.equal(v["x_real"], dataset.x_test[3])
    assert v["grad"].abs().sum() > 0  # L_G reaches the picture: the path G learns along
    again, _ = values(core, name, "gan", 1, 3)
    assert not torch.equal(again["x_fake"], v["x_fake"])  # another noise seed, another sample


def test_the_vae_terms_add_up_to_its_elbo(core):
    v, dataset = values(core, "vae-fashion", "vae", 0, 5)
    assert v["elbo"] == pytest.approx(-(v["recon"] + v["kl"]), rel=1e-5)
    assert v["kl"] > 0 and v["recon"] > 0
    # z is the reparameterised sample: within a few sigmas of mu
    assert ((v["z"] - v["mu"]).abs() / v["sigma"]).max() < 6
    assert v["x_hat"].shape == dataset.shape


@pytest.mark.parametrize("t", [1, 500, 999])
def test_the_diffusion_boxes_follow_the_forward_equation(core, t):
    v, dataset = values(core, "ddpm-fashion", "diffusion", 0, 2, t)
    expected = math.sqrt(v["abar"]) * v["x0"] + math.sqrt(1 - v["abar"]) * v["eps"]
    assert torch.allclose(v["x_t"], expected, atol=1e-5)
    assert v["loss"] == pytest.approx(float(((v["eps"] - v["eps_hat"]) ** 2).mean()), rel=1e-5)
    if t == 1:  # almost no noise: the estimate of the clean image is close to it
        assert float((v["x0_hat"] - v["x0"]).abs().mean()) < 0.1


def test_the_flow_bound_is_its_two_terms(core):
    v, dataset = values(core, "glow-fashion", "glow", 0, 0)
    dims = math.prod(dataset.shape)
    assert v["log_px"] == pytest.approx(v["log_pz"] + v["log_det"] - dims * math.log(256), rel=1e-6)
    assert v["bits_per_dim"] == pytest.approx(-v["log_px"] / (dims * math.log(2)), rel=1e-6)
    assert 1 < v["bits_per_dim"] < 8  # better than uniform over 256 levels


def test_the_autoregressive_total_is_the_sum_of_the_pixels_terms(core):
    v, _ = values(core, "pixelcnn-digits-binary", "pixelcnn", 4, 3, 5)
    p = v["p_one"] if v["pixel"] else 1 - v["p_one"]
    assert v["term"] == pytest.approx(math.log(p), abs=1e-4)
    model = core.load("pixelcnn-digits-binary").model
    with torch.no_grad():
        assert v["log_px"] == pytest.approx(float(model.log_prob(v["x"][None])), rel=1e-4)
    context = v["context"][0]
    assert (context[4:, :] == 0).all() or (context[3, 6:] == 0).all()  # after the pixel: grey (0 in [-1, 1])


def test_langevin_lowers_the_energy_of_noise(core):
    v, _ = values(core, "ebm-digits", "energy", 0, 0)
    assert v["e_end"] < v["e_noise"]
    assert v["e_real"] < v["e_noise"]
