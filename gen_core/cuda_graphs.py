"""CUDA graphs for the diffusion denoiser: one launch per network call instead of dozens.

DDPM calls its small U-Net 1,000 times per sample. On a GPU each call is bound by launching its ~60 tiny kernels
from Python, not by arithmetic: 1.9 ms per call on an H200, so a 1,000-step sample took 2.1 s, no faster than a
good CPU. A CUDA graph records the call's kernels once and replays them as one launch (PyTorch, "CUDA Graphs":
torch.cuda.CUDAGraph). The inputs and output live in fixed ("static") tensors: each call copies its inputs in,
replays, and copies the output out.

Used only where it is safe: inference (torch.inference_mode, as InferenceCore runs every model) on a model that
InferenceCore loaded onto a GPU, with the model's lock held (InferenceCore.run), since the static tensors are shared.
The graph runs in float32: at these sizes the launches, not the arithmetic, cost the time, and float32 stays
closest to the CPU. Any failure to capture falls back to the eager network for good, with a warning.
`GENLAB_CUDA_GRAPHS=0` turns graphs off.
"""
from __future__ import annotations

import os
import warnings
from collections import OrderedDict

import torch
from torch import nn


class GraphedNetwork:
    """Captured graphs of `net(x, t, labels)`, one per network, input shape and labels-or-not, the 8 most recent."""

    MAX_GRAPHS = 8
    WARMUP_CALLS = 2  # before capture, on a side stream (cuDNN picks its algorithms, lazy state is built)

    def __init__(self):
        self.graphs: OrderedDict[tuple, tuple] = OrderedDict()
        self.failed = False

    def __call__(self, net: nn.Module, x: torch.Tensor, t: torch.Tensor, labels: torch.Tensor | None):
        """net(x, t, labels) in float32 from a replayed graph, or None if graphs failed (run it eagerly then)."""
        if self.failed:
            return None
        key = (id(net), tuple(x.shape), x.device, labels is not None)
        entry = self.graphs.get(key)
        if entry is None:
            try:
                entry = self._capture(net, x, t, labels)
            except Exception as error:  # noqa: BLE001 - whatever broke the capture, the eager network still works
                warnings.warn(f"CUDA graph capture failed, running the network eagerly: {error}", RuntimeWarning)
                self.failed = True
                self.graphs.clear()
                return None
            self.graphs[key] = entry
            while len(self.graphs) > self.MAX_GRAPHS:
                self.graphs.popitem(last=False)
        self.graphs.move_to_end(key)
        graph, static_x, static_t, static_labels, static_out = entry
        static_x.copy_(x)
        static_t.copy_(t)
        if static_labels is not None:
            static_labels.copy_(labels)
        graph.replay()
        return static_out.clone()

    def _capture(self, net, x, t, labels) -> tuple:
        static_x = torch.empty(x.shape, dtype=torch.float32, device=x.device).copy_(x)
        static_t = t.clone()
        static_labels = None if labels is None else labels.clone()
        side = torch.cuda.Stream(device=x.device)
        side.wait_stream(torch.cuda.current_stream(x.device))
        graph = torch.cuda.CUDAGraph()
        # Deterministic cuDNN algorithms: the graph keeps the ones chosen here, and on an H200 the 28x28 U-Net's
        # transposed convolutions otherwise got one that sums in a varying order (the same seed gave samples
        # differing in the fourth decimal).
        with torch.backends.cudnn.flags(enabled=True, benchmark=False, deterministic=True), \
                torch.autocast("cuda", enabled=False):
            with torch.cuda.stream(side):
                for _ in range(self.WARMUP_CALLS):
                    net(static_x, static_t, static_labels)
            torch.cuda.current_stream(x.device).wait_stream(side)
            # thread_local: other sessions' threads may use the GPU while this one captures
            with torch.cuda.graph(graph, capture_error_mode="thread_local"):
                static_out = net(static_x, static_t, static_labels)
        return graph, static_x, static_t, static_labels, static_out


def enable(model: nn.Module) -> None:
    """Give every submodule that supports graphs (a class attribute `graphed = None`, as diffusion.Diffusion has)
    its own GraphedNetwork, unless GENLAB_CUDA_GRAPHS=0. Called by InferenceCore for models it loads on a GPU."""
    if os.environ.get("GENLAB_CUDA_GRAPHS", "1").strip() == "0":
        return
    for module in model.modules():
        if "graphed" in vars(type(module)):
            module.graphed = GraphedNetwork()
