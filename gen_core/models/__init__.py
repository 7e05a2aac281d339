"""One module per model family, each with the same small, duck-typed contract:

- `Config`: a frozen dataclass holding every hyper-parameter (stored whole in the checkpoint card);
- `DATA_KINDS`: the dataset kinds it trains on ("image", "points");
- `config_for(dataset, **overrides) -> Config`: sensible defaults for a dataset (several family names can share
  a module, each adding its own overrides: see FAMILIES);
- `build(config) -> nn.Module`: the networks;
- `Trainer(model, config)` with `step(x, y, generator) -> dict of floats`: one optimisation step; a subclass of
  models/common.py's `TrainerBase`, computing every loss it backpropagates through `self.losses(...)` (so torchrun
  training runs through DistributedDataParallel);
- `sample(model, n, *, generator, label=None) -> Tensor`: new data, images in [-1, 1];
- `evaluate(model, dataset, generator) -> dict`: the metrics written to the card.
"""
from __future__ import annotations

import importlib
import os
from types import ModuleType

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file

from gen_core import checkpoints, memory
from gen_core.errors import CheckpointError, GenLabError

# family name -> (module, config defaults that make this family out of the module's general model)
FAMILIES = {
    "vae": ("gen_core.models.vae", {}),
    "gan": ("gen_core.models.gan", {"arch": "mlp"}),                       # vanilla GAN: MLPs
    "dcgan": ("gen_core.models.gan", {"arch": "dcgan"}),                   # deep convolutional GAN
    "cgan": ("gen_core.models.gan", {"arch": "dcgan", "conditional": True}),  # class-conditional (AC-GAN)
    "biggan": ("gen_core.models.gan", {"arch": "biggan", "conditional": True}),  # shared-embedding CBN, truncation
    "sagan": ("gen_core.models.gan", {"arch": "biggan", "conditional": True,   # self-attention GAN
                                      "attention": True, "ortho_weight": 0.0}),
    "stylegan": ("gen_core.models.gan", {"arch": "stylegan"}),             # mapping network, styles, noise
    "cyclegan": ("gen_core.models.cyclegan", {}),                           # unpaired image-to-image translation
    "ddpm": ("gen_core.models.diffusion", {}),                              # denoising diffusion (DDPM/DDIM samplers)
    "ldm": ("gen_core.models.latent_diffusion", {}),                        # diffusion in a VAE's latent space
    "flow": ("gen_core.models.flow", {}),                                   # RealNVP normalizing flow (2-D points)
    "ebm": ("gen_core.models.ebm", {}),                                     # energy-based model, Langevin sampling
    "pixelcnn": ("gen_core.models.pixelcnn", {}),                           # autoregressive, exact likelihood
    "glow": ("gen_core.models.glow", {}),                                   # Glow flow on images, exact likelihood
    "hmm": ("gen_core.models.hmm", {}),                                     # hidden Markov models (hmmlearn)
    "rnn": ("gen_core.models.rnn", {}),                                     # autoregressive GRU on text or series
    "d3pm": ("gen_core.models.d3pm", {}),                                   # discrete diffusion on binary images
    "vdm": ("gen_core.models.vdm", {}),                                     # variational diffusion, learned schedule
    "srdiff": ("gen_core.models.cascade", {}),                              # super-resolution stage of a cascade
    "ardm": ("gen_core.models.ardm", {}),                                   # autoregressive diffusion, any order
}


# families sampled by diffusion.reverse, whose sample() takes sampler / steps / eta / guidance (d3pm and srdiff run
# their own T steps)
SAMPLER_OPTION_FAMILIES = ("ddpm", "ldm")


def get_family(name: str) -> ModuleType:
    """The module implementing family `name`; a GenLabError names the choices for an unknown one."""
    if name not in FAMILIES:
        raise GenLabError(f"unknown family {name!r}; choose one of {', '.join(FAMILIES)}")
    return importlib.import_module(FAMILIES[name][0])


def family_defaults(name: str) -> dict:
    """The config overrides that distinguish family `name` within its module (e.g. dcgan: arch="dcgan")."""
    get_family(name)
    return dict(FAMILIES[name][1])


def load_checkpoint(path: str | os.PathLike, device: torch.device | str = "cpu"):
    """Rebuild the model a checkpoint describes and load its weights: returns (model in eval mode, card).

    Every way a checkpoint can be bad (no card, bad JSON, unknown family, truncated or altered weights, weights
    that do not fit the card's config) raises CheckpointError with one line that says which."""
    folder = checkpoints.folder_of(path)
    card = checkpoints.read_card(folder)
    try:
        family = get_family(card["family"])
    except GenLabError as error:
        raise CheckpointError(f"{folder}: {error}") from None
    config = checkpoints.config_from_card(family.Config, card["config"], str(folder / checkpoints.CARD))
    try:
        memory.check_fits(family, config, training=False, what=f"the model {folder.name}'s card describes")
    except GenLabError as error:
        raise CheckpointError(str(error)) from None
    weights = folder / checkpoints.WEIGHTS
    if not weights.is_file():
        raise CheckpointError(f"{folder} has a card but no {checkpoints.WEIGHTS}")
    model = family.build(config)
    checkpoints.check_weights_fit(weights, model.state_dict())  # the header alone: nothing unknown or oversized read
    expected = card.get("weights_sha256")
    if expected and checkpoints.file_sha256(weights) != expected:
        raise CheckpointError(f"{weights} does not match its card's checksum: the file is truncated or altered")
    try:
        state = load_file(str(weights))
    except (SafetensorError, OSError, ValueError, RuntimeError) as error:
        raise CheckpointError(f"{weights} is not a readable safetensors file ({error})") from None
    bad = checkpoints.non_finite(state)
    if bad:
        raise CheckpointError(f"{weights}: {bad[0]} holds NaN or inf (the training that wrote it diverged); "
                              f"retrain it with a smaller learning rate")
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as error:
        first = str(error).split("\n\t")[1:2] or [str(error)]
        raise CheckpointError(f"{weights} does not fit the model its card describes: {first[0].strip()}") from None
    return model.to(device).eval(), card
