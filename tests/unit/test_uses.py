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
                                               ("linear_probe", ("dcgan-digits", "vae-digits"))])
def test_the_pages_figures_ship_for_the_shipped_weights(experiment, names, core, monkeypatch, genlab_home):
    for name in ("domain_adaptation", "synthetic_training_data", "linear_probe"):
        monkeypatch.setattr(uses, name, lambda *a, **k: pytest.fail("measured again instead of read"))
    found = uses.figures(core, experiment, *names)
    assert found  # read from assets/uses/ (python bench/uses.py --ship)


def test_the_shipped_figures_say_what_the_tabs_say(core):
    synthetic = uses.figures(core, "synthetic_training_data", "cgan-digits")
    real, mixed = synthetic["rows"]["real"], synthetic["rows"]["real + synthetic"]
    assert mixed[0][0] > real[0][0] + real[0][1]  # with 10 real per class the samples help beyond the spread
    probe = uses.figures(core, "linear_probe", "dcgan-digits", "vae-digits")
    assert probe["rows"]["GAN discriminator"][0][0] > probe["rows"]["raw pixels"][0][0]
