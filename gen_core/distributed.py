"""Data-parallel training under `torchrun --nproc_per_node N -m gen_core.train ...`: PyTorch's own
DistributedDataParallel (gloo on the CPU, NCCL on CUDA).

Every rank builds the same model from the same seed (DDP also broadcasts rank 0's weights when it wraps them) and
draws the same global batch (the data order generator is seeded alike); rank r trains on rows r, r + N, r + 2N, ...
of it. GenLab's trainers call their models' parts directly (an encoder, a discriminator, log_prob), while DDP
synchronises a backward only after a forward through its wrapper; so DDP wraps `Replica`, a module whose forward
runs the trainer's loss computation (a closure over the model's parts), and each trainer computes every loss it
backpropagates through `self.losses(...)` (models/common.py's `TrainerBase`; a trainer that takes gradients with
torch.autograd.grad hands them over with `set_gradients`, a backward of sum_p <p, g_p>). DDP then all-reduces the gradients in
buckets during backward, overlapped with it; `weighted_allreduce`, the communication hook, weights each rank by its
share of the batch instead of 1/N, so a batch that does not split evenly still gives the global batch's mean-loss
gradient. Every rank therefore holds the same gradient before anything reads it (gradient clipping included) and
takes the same optimizer step. The loss metrics are averaged the same way, so the history is the global batch's.
Only rank 0 evaluates and writes the checkpoint.

`find_unused_parameters` for the trainers whose steps leave some weights out (`partial_steps`: a GAN's D step
leaves G's, a progressive GAN grows its blocks late); it costs the others a walk of the graph every step.
`forward_sync_buffers=False`: buffers changed in a forward (spectral norm's power-iteration vector, an EBM's replay
buffer, batch-norm statistics) stay each rank's own after DDP copies rank 0's at the start; the weights, which the
checkpoint is, are identical.

The HMM, which trains by Baum-Welch without gradients, is refused; Glow's data-dependent ActNorm initialisation
reads the global batch's moments (gen_core/models/glow.py), so every rank starts alike.

Randomness inside a step (z, eps, t) is drawn per rank for its own rows, so a GAN, VAE or diffusion model trains
on the same distribution as in one process but not on the same draws; a family without such noise (the flow)
reproduces a single-process run on the same global batch (tests/unit/test_distributed.py).
"""
from __future__ import annotations

import os
import warnings

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from gen_core.errors import GenLabError


class Replica(nn.Module):
    """What DDP wraps: the model, and a forward that runs one loss computation of a trainer on it."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, compute):
        return compute()


def weighted_allreduce(parallel, bucket):  # unannotated: DDP compares the annotations with its own classes, which
    # this module's `from __future__ import annotations` would turn into strings
    """DDP's communication hook: sum over ranks of each rank's gradient times its share of the batch (DDP's default
    divides by the world size, which is the same only when every rank has as many rows)."""
    buffer = bucket.buffer().mul_(parallel.share)
    return dist.all_reduce(buffer, op=dist.ReduceOp.SUM, async_op=True).get_future().then(lambda done: done.value()[0])


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

    def replicate(self, trainer, model: nn.Module) -> None:
        """Under torchrun, hand the trainer DistributedDataParallel around the model to compute its losses through
        (models/common.py's TrainerBase); in one process leave it computing them directly."""
        if not self.active:
            return
        if not trainer.by_gradients:
            raise GenLabError("this family trains without gradients (the HMM's Baum-Welch), which data-parallel "
                              "training cannot average: train it without torchrun")
        replicated = DistributedDataParallel(
            Replica(model), device_ids=[self.device.index] if self.device.type == "cuda" else None,
            find_unused_parameters=trainer.partial_steps, forward_sync_buffers=False)
        replicated.register_comm_hook(self, weighted_allreduce)
        # R1's double backward hands a (1, N) weight a gradient strided (1, 1); DDP copies it into its bucket
        # correctly but says so on every rank, every step
        warnings.filterwarnings("ignore", message="Grad strides do not match bucket view strides")
        trainer.distribute(replicated)

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
