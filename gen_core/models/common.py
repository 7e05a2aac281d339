"""Small pieces shared by the families: the field check every Config runs, the convolutional sizes, and the base
every family's Trainer builds on."""
import dataclasses
import math
import re

import torch


def num_downsamples(size: int) -> int:
    """How many stride-2 steps fit an image side: halve while it stays even and at least 4, at most 3 times
    (8 -> 4: one; 28 -> 14 -> 7: two; 32 -> 16 -> 8 -> 4: three)."""
    count = 0
    while size % 2 == 0 and size // 2 >= 4 and count < 3:
        size //= 2
        count += 1
    return count


LEARNING_RATES = ("lr", "lr_g", "lr_d")
MAX_LEARNING_RATE = 1.0  # Adam's step is about lr per weight: beyond 1, every model here diverges at once


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_fields(config) -> None:
    """Every field of a frozen Config holds a value of its default's type, finite, and every learning rate lies
    in (0, 1]. Each family's Config calls this first in __post_init__, so neither a card, a `--set` value nor a
    page can build a model from NaN, inf, a float where a count belongs (a card's `latent_dim: 1e9`) or a
    negative learning rate. Ranges particular to a family stay in its own __post_init__."""
    for f in dataclasses.fields(config):
        value, default = getattr(config, f.name), f.default
        if isinstance(default, bool):
            ok, kind = isinstance(value, bool), "true or false"
        elif isinstance(default, int):
            ok, kind = _whole(value), "a whole number"
        elif isinstance(default, float):
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
            kind = "a finite number"
        elif isinstance(default, str):
            ok, kind = isinstance(value, str), "text"
        elif isinstance(default, tuple):
            ok, kind = isinstance(value, tuple) and all(_whole(v) for v in value), "whole numbers"
        else:
            continue
        if not ok:
            raise ValueError(f"{f.name} must be {kind}, got {value!r}")
        if f.name in LEARNING_RATES and not 0 < value <= MAX_LEARNING_RATE:
            raise ValueError(f"{f.name} must be in (0, {MAX_LEARNING_RATE:g}], got {value!r}")


_RANGE = re.compile(r"^(?:(?P<op>>=|>)\s*(?P<bound>-?[\d.e]+)|(?P<lo>-?[\d.e]+)\.\.(?P<hi>-?[\d.e]+)|"
                    r"in (?P<left>[\[(])(?P<a>-?[\d.e]+), (?P<b>-?[\d.e]+)(?P<right>[\])]))$")


def check_ranges(config, **rules: str) -> None:
    """Refuse the first field outside its range, naming that field alone with its value: a combined check used to
    list every field it covered ("beta1 must be in [0, 1), aux_weight and gp_weight >= 0, data_scale > 0") when one
    the user never set was wrong. A rule reads ">= 1", "> 0", "2..1000" (both ends in) or "in [0, 1)"."""
    for name, rule in rules.items():
        value = getattr(config, name)
        m = _RANGE.match(rule)
        if m is None:
            raise AssertionError(f"bad range rule {rule!r} for {name}")
        if m["op"]:
            ok = value >= float(m["bound"]) if m["op"] == ">=" else value > float(m["bound"])
        elif m["lo"]:
            ok = float(m["lo"]) <= value <= float(m["hi"])
        else:
            a, b = float(m["a"]), float(m["b"])
            ok = (a <= value if m["left"] == "[" else a < value) and (value <= b if m["right"] == "]" else value < b)
        if not ok:
            raise ValueError(f"{name} must be {rule}, got {value!r}")


class TrainerBase:
    """What every family's Trainer shares: it computes each loss it backpropagates through `losses(compute)`.

    In one process that simply calls `compute()`. Under torchrun, train.py hands the trainer PyTorch's
    DistributedDataParallel around the model (`distribute`), and `compute()` runs as that wrapper's forward, which
    is what lets the backward that follows average every gradient across ranks (gen_core/distributed.py)."""
    replica = None  # DistributedDataParallel(Replica(model)) under torchrun
    by_gradients = True  # False: a trainer without gradients (the HMM's EM), which torchrun refuses
    partial_steps = False  # True: some steps' backward leaves weights out (a GAN's D step leaves G's)

    def distribute(self, replica) -> None:
        self.replica = replica

    def losses(self, compute):
        return compute() if self.replica is None else self.replica(compute)

    def set_gradients(self, parameters, grads) -> None:
        """p.grad = g for each pair (g None: the weight took no part), for a trainer that takes gradients with
        torch.autograd.grad to choose which loss reaches which weights. DDP averages only what backward()
        accumulates, so under torchrun they go through the backward of sum_p <p, g_p>, whose gradient with respect
        to p is exactly g_p."""
        parameters, grads = list(parameters), list(grads)
        if self.replica is None:
            for parameter, grad in zip(parameters, grads):
                parameter.grad = grad
            return
        pairs = [(p, g.detach()) for p, g in zip(parameters, grads) if g is not None]
        for parameter in parameters:
            parameter.grad = None
        self.losses(lambda: sum((p * g).sum() for p, g in pairs)).backward()


class MaximumLikelihoodTrainer(TrainerBase):
    """One step of maximum likelihood for a model with `log_prob(x)`: minimise -mean log p(x) with Adam (the
    families with an exact likelihood: flow, pixelcnn). `clip` bounds the gradient norm; None leaves it."""
    clip: float | None = None

    def __init__(self, model, config):
        self.model = model
        self.optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)

    def step(self, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator | None = None) -> dict:
        self.model.train()
        nll = self.losses(lambda: -self.model.log_prob(x).mean())
        self.optimizer.zero_grad(set_to_none=True)
        nll.backward()
        if self.clip is not None:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.clip)
        self.optimizer.step()
        return {"nll": float(nll.detach())}


def likelihood_metrics(nats_per_image: float, shape) -> dict:
    """A card's likelihood figures: -log p per image in nats, and per dimension in bits (nats / (D ln 2))."""
    return {"test_nll_nats": round(nats_per_image, 3),
            "bits_per_dim": round(nats_per_image / (math.prod(shape) * math.log(2)), 4)}
