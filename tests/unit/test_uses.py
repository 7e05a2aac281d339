"""The uses of generative models, measured (gen_core/labs/uses.py): the CycleGAN carries a classifier across
domains, and the pages read shipped figures (never a minute of fitting while a visitor waits)."""
import pytest

from gen_core.core import InferenceCore
from gen_core.labs import uses


@pytest.fixture(scope="module")
def core():
    return InferenceCore("cpu")


def test_translating_back_recovers_what_the_domain_shift_lost(core):
    found = uses.domain_adaptation(core, "cyclegan-digits-invert")
    assert found["source_on_source"] > 0.9
    assert found["source_on_target"] < 0.2             # the classifier fails on inverted digits
    assert found["source_on_translated"] > 0.9         # the CycleGAN's F brings it back
    assert found["target_on_target"] > 0.9             # the ceiling, with the new domain's labels


@pytest.mark.parametrize("experiment, names", [("domain_adaptation", ("cyclegan-digits-invert",)),
                                               ("domain_adaptation", ("cyclegan-digits-rot90",)),
                                               ("synthetic_training_data", ("cgan-digits",)),
                                               ("linear_probe", ("dcgan-digits", "vae-digits")),
                                               ("dataset_size", ("dcgan-digits-100", "dcgan-digits-1000",
                                                                 "dcgan-digits", "vae-digits-100", "vae-digits-1000",
                                                                 "vae-digits")),
                                               ("classifier_confidence", ("ebm-digits", "vae-digits", "dcgan-digits",
                                                                          "gan-digits", "ldm-digits"))])
def test_the_pages_figures_ship_for_the_shipped_weights(experiment, names, core, monkeypatch, genlab_home):
    for name in ("domain_adaptation", "synthetic_training_data", "linear_probe", "dataset_size",
                 "classifier_confidence"):
        monkeypatch.setattr(uses, name, lambda *a, **k: pytest.fail("measured again instead of read"))
    found = uses.figures(core, experiment, *names)
    assert found  # read from assets/uses/ (python bench/uses.py --ship)


def test_the_shipped_figures_say_what_the_tabs_say(core):
    synthetic = uses.figures(core, "synthetic_training_data", "cgan-digits")
    real, mixed = synthetic["rows"]["real"], synthetic["rows"]["real + synthetic"]
    assert mixed[0][0] > real[0][0] + real[0][1]  # with 10 real per class the samples help beyond the spread
    probe = uses.figures(core, "linear_probe", "dcgan-digits", "vae-digits")
    assert probe["rows"]["GAN discriminator"][0][0] > probe["rows"]["raw pixels"][0][0]
    size = {r["checkpoint"]: r for r in uses.figures(core, "dataset_size", "dcgan-digits-100", "dcgan-digits-1000",
                                                     "dcgan-digits", "vae-digits-100", "vae-digits-1000",
                                                     "vae-digits")["rows"]}
    assert size["dcgan-digits-100"]["fd"] > size["dcgan-digits"]["fd"]        # fewer images, worse samples
    assert size["vae-digits-100"]["memorised"] > 3 * size["vae-digits"]["memorised"]  # and more copies


def test_a_limited_training_set_is_the_same_stratified_draw_every_time():
    from gen_core.data import limited, load_dataset
    digits = load_dataset("digits")
    first, again = limited(digits, 100), limited(digits, 100)
    assert len(first.x_train) == 100 and (first.y_train.bincount() == 10).all()
    assert (first.x_train == again.x_train).all() and (first.x_test == digits.x_test).all()
