"""Run under `torchrun --nproc_per_node 2` by tests/unit/test_distributed.py: every family that trains by gradients
(and each GAN loss and regulariser that takes its own path through the trainer) takes a few data-parallel steps
through PyTorch's DistributedDataParallel, the way gen_core.train wires it; then the ranks compare their weights,
which must be the same after every step (DDP averaged the gradients) and no longer the initial ones. And one step of
the flow (no noise inside a step) on a batch of 101 rows, split 51 / 50, gets exactly the gradient one process gets
from all 101 (the communication hook weights each rank by its share). Rank 0 prints one JSON line per case; the
HMM, which has no gradients, must be refused with one clear line."""
import copy
import json
import sys

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from gen_core.data import limited, load_dataset
from gen_core.distributed import DataParallel
from gen_core.errors import GenLabError
from gen_core.models import family_defaults, get_family
from gen_core.device import make_generator

CASES = [  # (case, family, dataset, config overrides)
    ("vae", "vae", "digits", {}),
    ("gan", "gan", "ring8", {}),
    ("gan wgan-gp", "gan", "ring8", {"loss": "wgan-gp"}),
    ("dcgan r1", "dcgan", "digits", {"r1_weight": 1.0}),
    ("cgan", "cgan", "digits", {}),
    ("progressive", "dcgan", "digits", {"arch": "progressive"}),
    ("biggan", "biggan", "digits", {}),
    ("sagan", "sagan", "digits", {}),
    ("stylegan", "stylegan", "digits", {}),
    ("cyclegan", "cyclegan", "digits", {}),
    ("ddpm", "ddpm", "digits", {}),
    ("ldm", "ldm", "digits", {}),
    ("flow", "flow", "ring8", {}),
    ("ebm", "ebm", "ring8", {}),
    ("pixelcnn", "pixelcnn", "digits-binary", {}),
    ("glow", "glow", "digits", {}),
    ("rnn", "rnn", "text:genesis", {}),
    ("d3pm", "d3pm", "digits-binary", {}),
    ("vdm", "vdm", "digits", {}),
    ("srdiff", "srdiff", "digits", {}),
]
STEPS, BATCH = 3, 17  # an odd batch: the ranks' shares differ (9 and 8 rows), which the comm hook weights


def weights(model: torch.nn.Module) -> torch.Tensor:
    return torch.cat([p.detach().flatten().double() for p in model.parameters()])


def run_case(parallel: DataParallel, family_name: str, dataset_name: str, overrides: dict) -> dict:
    family = get_family(family_name)
    dataset = limited(load_dataset(dataset_name), 64)
    config = family.config_for(dataset, **{**family_defaults(family_name), "batch_size": BATCH, **overrides})
    torch.manual_seed(0)
    model = family.build(config)
    trainer = family.Trainer(model, config)
    parallel.replicate(trainer, model)  # as gen_core.train does
    start = weights(model)
    order, noise = make_generator(0), make_generator(1 + 7919 * parallel.rank)
    batches = dataset.batches(BATCH, order)
    spread = 0.0
    for _ in range(STEPS):
        x, y = parallel.shard(*next(batches))
        metrics = parallel.average_metrics(trainer.step(x, y, noise))
        now = weights(model)
        gathered = [torch.empty_like(now) for _ in range(parallel.world)]
        dist.all_gather(gathered, now)
        spread = max(spread, float((gathered[0] - gathered[1]).abs().max()))
    return {"ddp": isinstance(trainer.replica if family_name != "ldm" else trainer.inner.replica,
                              DistributedDataParallel),
            "spread": spread, "moved": float((weights(model) - start).abs().max()),
            "finite": all(torch.isfinite(torch.tensor(float(v))) for v in metrics.values())}


def flow_gradient(parallel: DataParallel) -> dict:
    family, dataset = get_family("flow"), load_dataset("ring8")
    config = family.config_for(dataset, batch_size=101)
    torch.manual_seed(0)
    model = family.build(config).train()
    alone = copy.deepcopy(model)
    trainer = family.Trainer(model, config)
    parallel.replicate(trainer, model)
    x, y = next(dataset.batches(101, make_generator(0)))
    mine, _ = parallel.shard(x, y)
    trainer.losses(lambda: -model.log_prob(mine).mean()).backward()
    (-alone.log_prob(x).mean()).backward()
    return {"difference": max(float((a.grad - b.grad).abs().max()) for a, b in zip(model.parameters(),
                                                                                  alone.parameters())),
            "scale": max(float(b.grad.abs().max()) for b in alone.parameters())}


def main() -> None:
    parallel = DataParallel()
    parallel.start(torch.device("cpu"))
    wanted = set(sys.argv[1:])
    for case, family_name, dataset_name, overrides in CASES:
        if wanted and case not in wanted:
            continue
        result = {"case": case, **run_case(parallel, family_name, dataset_name, overrides)}
        if parallel.is_writer:
            print(json.dumps(result), flush=True)
    if not wanted or "flow gradient" in wanted:
        result = {"case": "flow gradient", **flow_gradient(parallel)}
        if parallel.is_writer:
            print(json.dumps(result), flush=True)
    hmm = get_family("hmm")
    config = hmm.config_for(load_dataset("series"))
    model = hmm.build(config)
    try:
        parallel.replicate(hmm.Trainer(model, config), model)
    except GenLabError as error:
        if parallel.is_writer:
            print(json.dumps({"case": "hmm", "refused": str(error)}), flush=True)
    parallel.stop()


if __name__ == "__main__":
    main()
