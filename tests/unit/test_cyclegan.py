"""CycleGAN (gen_core/models/cyclegan.py): the domains, a training step, and what the shipped translators learned."""
import pytest
import torch

from gen_core.models import load_checkpoint
from gen_core import checkpoints, sample
from gen_core.core import InferenceCore
from gen_core.data import load_dataset
from gen_core.device import make_generator
from gen_core.errors import GenLabError
from gen_core.models import cyclegan


@pytest.mark.parametrize("name", list(cyclegan.TRANSFORMS))
def test_untransform_undoes_transform(name):
    x = torch.randn(3, 1, 8, 8)
    assert torch.equal(cyclegan.untransform(name, cyclegan.transform(name, x)), x)
    assert not torch.equal(cyclegan.transform(name, x), x)


def test_rot90_turns_a_quarter_counter_clockwise():
    x = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
    assert cyclegan.transform("rot90", x).flatten().tolist() == [2.0, 4.0, 1.0, 3.0]


def test_a_batch_splits_into_unpaired_domains():
    x = torch.arange(6.0).view(6, 1, 1, 1).expand(6, 1, 2, 2).contiguous()
    a, b = cyclegan.split_domains(x, "invert")
    assert a[:, 0, 0, 0].tolist() == [0.0, 2.0, 4.0]
    assert (-b)[:, 0, 0, 0].tolist() == [1.0, 3.0, 5.0]  # B holds T of the other images: no a has its T(a) there


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="transform"):
        cyclegan.Config(transform="blur")
    with pytest.raises(ValueError, match="square"):
        cyclegan.Config(image_shape=(1, 8, 6), transform="rot90")


def test_training_steps_lower_the_cycle_loss():
    digits = load_dataset("digits")
    torch.manual_seed(0)
    config = cyclegan.config_for(digits)
    trainer = cyclegan.Trainer(cyclegan.build(config), config)
    x = digits.x_train[:128]
    first = trainer.step(x, digits.y_train[:128])
    for _ in range(60):
        last = trainer.step(x, digits.y_train[:128])
    assert last["cycle"] < 0.75 * first["cycle"]
    assert set(first) == {"loss_g", "loss_d", "cycle", "adversarial"}


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits")


@pytest.mark.parametrize("name", ["cyclegan-digits-invert", "cyclegan-digits-invert-mlp", "cyclegan-digits-rot90"])
def test_shipped_cards_report_what_the_weights_do(name, digits):
    """The card's figures are the model's: evaluate() on the loaded weights gives them again."""
    model, card = load_checkpoint(checkpoints.resolve(name))
    found = cyclegan.evaluate(model, digits, make_generator(0))
    for key in ("cycle_error", "target_error", "class_kept"):
        assert found[key] == pytest.approx(card["metrics"][key], abs=1e-4)


def test_the_shipped_translators_teach_that_unpaired_translation_is_ill_posed(digits):
    """All undo themselves, but only the convolutional one learned T: the MLP swaps digits on the way."""
    metrics = {name: checkpoints.read_card(checkpoints.resolve(name))["metrics"]
               for name in ("cyclegan-digits-invert", "cyclegan-digits-invert-mlp", "cyclegan-digits-rot90")}
    assert all(m["cycle_error"] < 0.2 for m in metrics.values())
    assert metrics["cyclegan-digits-invert"]["class_kept"] >= 0.95
    assert metrics["cyclegan-digits-invert"]["target_error"] < 0.1
    assert metrics["cyclegan-digits-invert-mlp"]["class_kept"] < 0.5
    assert metrics["cyclegan-digits-invert-mlp"]["target_error"] > 3 * metrics["cyclegan-digits-invert"]["target_error"]


def test_sampling_translates_test_images():
    core = InferenceCore("cpu")
    x = core.sample("cyclegan-digits-invert", 10, seed=2)
    assert x.shape == (10, 1, 8, 8) and x.min() >= -1 and x.max() <= 1
    assert torch.equal(x, core.sample("cyclegan-digits-invert", 10, seed=2))
    assert float(x.mean()) > 0.3  # inverted digits: mostly bright background
    with pytest.raises(GenLabError, match="unconditional"):
        core.sample("cyclegan-digits-invert", 2, label=3)


def test_sample_cli_works_for_a_translator(tmp_path):
    assert sample.main(["cyclegan-digits-invert", "--n", "4", "--out", str(tmp_path / "t.png")]) == 0
    assert (tmp_path / "t.png").stat().st_size > 0
