"""Data-parallel training under `torchrun --nproc_per_node N -m gen_core.train ...` (gloo on CPU, NCCL on CUDA).

Every rank builds the same model from the same seed and draws the same global batch (the data order generator is
seeded alike); rank r trains on rows r, r + N, r + 2N, ... of it. During backward, each parameter's gradient is
all-reduced as soon as it is accumulated, weighted by the rank's share of the batch, so every rank holds the
gradient of the global batch's mean loss before anything reads it (gradient clipping included) and every
optimizer step is the same on every rank: the arithmetic of DistributedDataParallel. DDP's own wrapper is not
used because GenLab's trainers call their models' parts directly (an encoder, a discriminator, log_prob), while
DDP synchronises only through its wrapper's forward. The loss metrics are averaged the same way, so the history
is the global batch's. Only rank 0 evaluates and writes the checkpoint.

Randomness inside a step (z, eps, t) is drawn per rank for its own rows, so a GAN, VAE or diffusion model trains
on the same distribution as in one process but not on the same draws; a family without such noise (the flow)
reproduces a single-process run on the same global batch (tests/unit/test_distributed.py).
"""
from __future__ import annotations

import os

import torch
import torch.distributed as dist


class DataParallel:
    """One rank's part in data-parallel training (or a no-op with one process)."""

    def __init__(self):
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        self.local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        self.share = 1.0  # this rank's rows / the global batch's, for the step in progress
        self.device = torch.device("cpu")
        self._started_here = False

    @property
    def active(self) -> bool:
        return self.world > 1

    @property
    def is_writer(self) -> bool:
        return self.rank == 0

    def start(self, device: torch.device) -> torch.device:
        """Join the process group; returns the device this rank trains on (cuda:LOCAL_RANK on a GPU machine)."""
        if not self.active:
            return device
        if not dist.is_initialized():
            dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
            self._started_here = True
        if device.type == "cuda":
            device = torch.device("cuda", self.local_rank)
            torch.cuda.set_device(device)
        self.device = device  # NCCL reduces tensors on the GPU only
        return device

    def stop(self) -> None:
        """Leave the process group together: the other ranks wait here while rank 0 evaluates (one rank tearing
        gloo down while another still held its connections aborted a rank in CI)."""
        if self._started_here and dist.is_initialized():
            dist.barrier()
            dist.destroy_process_group()

    def shard(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """This rank's rows of a global batch, noting their share. A batch with fewer rows than ranks is used
        whole by every rank, each weighted 1/N (the average is the same batch's gradient)."""
        if not self.active:
            return x, y
        if len(x) < self.world:
            self.share = 1.0 / self.world
            return x, y
        rows = slice(self.rank, None, self.world)
        self.share = len(x[rows]) / len(x)
        return x[rows], y[rows]

    def synchronise_gradients(self, model: torch.nn.Module) -> None:
        """All-reduce each parameter's gradient as backward accumulates it, weighted by this rank's share."""
        if not self.active:
            return

        def reduce(parameter: torch.Tensor) -> None:
            parameter.grad.mul_(self.share)
            dist.all_reduce(parameter.grad, op=dist.ReduceOp.SUM)
        for parameter in model.parameters():
            if parameter.requires_grad:
                parameter.register_post_accumulate_grad_hook(reduce)

    def average_metrics(self, metrics: dict) -> dict:
        """Each metric as the global batch's (the rank's mean weighted by its share, summed over ranks)."""
        if not self.active or not metrics:
            return metrics
        values = torch.tensor([float(v) * self.share for v in metrics.values()], dtype=torch.float64,
                              device=self.device)
        dist.all_reduce(values, op=dist.ReduceOp.SUM)
        return dict(zip(metrics, values.tolist()))

    def barrier(self) -> None:
        if self.active:
            dist.barrier()
