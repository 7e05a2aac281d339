"""The CUDA path, checked where a GPU exists and skipped everywhere else (CI has none).

What a user with a GPU gets must be what the CPU tests pin: every shipped checkpoint computes the same pictures
on the GPU (under the bfloat16 autocast InferenceCore uses there) as on the CPU, samples come back to the CPU as
float32 and reproduce from their seed, the shipped models keep their quality bars, and training on the GPU learns
and writes checkpoints the CPU can load. On a GPU machine:

    GENLAB_DEVICE=cuda python -m pytest -q -s tests/gpu/test_cuda.py

(-s prints each CPU/GPU difference it measures.)
"""
import math

import pytest
import torch

from gen_core.models import load_checkpoint
from gen_core import checkpoints, metrics, train
from gen_core.core import InferenceCore
from gen_core.data import load_dataset
from gen_core.device import make_generator
from gen_core.models import diffusion, gan, vae

if not torch.cuda.is_available():
    pytest.skip("needs a CUDA device (tests/gpu/gpu_check.sh runs it on a GPU machine)", allow_module_level=True)

SHIPPED = [info.name for info in checkpoints.list_checkpoints() if info.source == "shipped"]
# bfloat16 keeps 8 significant bits (relative error 2^-9 per rounding); through a few layers that is about 1% of
# the output's range on average. A wrong weight, layout or device mix-up moves outputs by tens of percent.
MEAN_TOLERANCE = 0.03


@pytest.fixture(scope="module")
def cpu():
    return InferenceCore("cpu")


@pytest.fixture(scope="module")
def gpu():
    return InferenceCore("cuda")


def agree(cpu_out: torch.Tensor, gpu_out: torch.Tensor, what: str, scale: float = 1.0):
    """The GPU's output matches the CPU's: same shape, finite, mean absolute difference within
    MEAN_TOLERANCE of `scale` (the output's typical size)."""
    assert gpu_out.shape == cpu_out.shape, what
    assert torch.isfinite(gpu_out).all(), what
    difference = (gpu_out.float() - cpu_out.float()).abs()
    print(f"\n{what}: mean |cpu - cuda| {difference.mean():.5f}, max {difference.max():.4f} (scale {scale:.3g})")
    assert float(difference.mean()) < MEAN_TOLERANCE * scale, what


def fixed_inputs(loaded, n: int = 16) -> dict:
    """Inputs drawn once on the CPU, so both devices see the same numbers."""
    g = make_generator(11)
    c = loaded.card["config"]
    return {"z": torch.randn(n, c.get("latent_dim") or c.get("z_dim") or 2, generator=g),
            "labels": torch.randint(c.get("num_classes") or 1, (n,), generator=g),
            "shape": tuple(c.get("image_shape") or c.get("data_shape") or ()),
            "g": g}


def deterministic_forward(loaded, inputs: dict, device: torch.device) -> torch.Tensor:
    """Each family's main network on fixed inputs: the VAE's decoder, G(z, y), the denoiser's eps at t = 500 of
    1000 (the LDM: its latent denoiser, then the decoder), on the CPU at the end."""
    model, family, c = loaded.model, loaded.card["family"], loaded.card["config"]
    z, labels = inputs["z"].to(device), inputs["labels"].to(device)
    if family == "vae":
        return vae.decode_latents(model, z).float().cpu()
    if family in ("gan", "dcgan", "cgan"):
        return model.generate(z, labels if c.get("num_classes") else None).float().cpu()
    if family == "ddpm":
        x = torch.randn(len(z), *inputs["shape"], generator=make_generator(12)).to(device)
        t = torch.full((len(z),), c["timesteps"] // 2, device=device)
        return model.predict_eps(x, t, labels if c.get("num_classes") else None).float().cpu()
    if family == "cyclegan":
        x = torch.rand(len(z), *inputs["shape"], generator=make_generator(12)).to(device) * 2 - 1
        return torch.cat([model.g_ab(x), model.g_ba(x)]).float().cpu()
    if family == "ldm":
        t = torch.full((len(z),), c["timesteps"] // 2, device=device)
        eps = model.diffusion.predict_eps(z, t, labels if c.get("num_classes") else None)
        return torch.cat([eps.flatten(1), model.decode(z).flatten(1)], 1).float().cpu()
    shape = inputs["shape"]
    if family in ("pixelcnn", "glow", "ebm") and len(shape) == 3:
        x = torch.where(torch.rand(len(z), *shape, generator=make_generator(12)) > 0.5, 1.0, -1.0)
        x = x.to(device)
        if family == "pixelcnn":
            return model.logits((x > 0).float()).float().cpu()
        if family == "glow":
            return torch.cat([v.flatten(1) for v in model.encode(x / 4)[0]], 1).float().cpu()
        return model.energy(x)[:, None].float().cpu()
    if family == "rnn":
        x = inputs["g"]
        if c["vocabulary"]:
            codes = torch.randint(len(c["vocabulary"]), (len(z), 32), generator=x).to(device)
            return model(codes)[0].float().cpu()
        values = torch.randn(len(z), 32, shape[1], generator=x).to(device)
        return torch.cat(model(values)[0], -1).float().cpu()
    if family == "hmm":  # hmmlearn computes on the CPU whatever the device
        return model.log_likelihoods(torch.randn(4, *shape, generator=inputs["g"])).float()
    raise AssertionError(f"no deterministic forward for family {family}")


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_network_computes_the_same_on_cuda_as_on_the_cpu(cpu, gpu, name):
    inputs = fixed_inputs(cpu.load(name))
    on_cpu = cpu.run(name, lambda m: deterministic_forward(m, inputs, cpu.device))
    on_gpu = gpu.run(name, lambda m: deterministic_forward(m, inputs, gpu.device))
    agree(on_cpu, on_gpu, name, scale=max(1.0, float(on_cpu.abs().mean())))


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_checkpoint_samples_on_cuda(cpu, gpu, name):
    """Samples on the GPU: float32 on the CPU, the CPU's shape, finite, images in [-1, 1], the same for the same
    seed and different for another (except from a GAN collapsed onto one saturated image)."""
    card = gpu.load(name).card
    options = {"steps": 50} if card["family"] in ("ddpm", "ldm") else {}
    first = gpu.sample(name, 8, seed=3, **options)
    assert first.device.type == "cpu" and first.dtype == torch.float32
    assert first.shape == cpu.sample(name, 8, seed=3, **options).shape
    assert torch.isfinite(first).all()
    if gpu.load(name).is_image:
        assert first.min() >= -1 and first.max() <= 1
    assert torch.equal(first, gpu.sample(name, 8, seed=3, **options))
    if card["metrics"].get("classes_covered", 2) > 1:
        assert not torch.equal(first, gpu.sample(name, 8, seed=4, **options))


def test_full_ddpm_sampling_on_cuda_keeps_the_class_bar(gpu):
    """ddpm-digits over all 1000 steps, guided: the independent classifier recognises the asked-for class (the
    CPU's bar in tests/unit/test_shipped_diffusion.py)."""
    digits = load_dataset("digits")
    accuracy = metrics.conditional_accuracy(
        lambda label, n: gpu.sample("ddpm-digits", n, seed=50 + label, label=label, guidance=3.0), digits,
        per_class=30)
    print(f"\nddpm-digits, DDPM 1000 steps on cuda, guidance 3: class accuracy {accuracy:.3f}")
    assert accuracy >= 0.9


def test_conditional_gan_on_cuda_keeps_the_class_bar(gpu):
    digits = load_dataset("digits")
    accuracy = metrics.conditional_accuracy(
        lambda label, n: gpu.sample("cgan-digits", n, seed=100 + label, label=label), digits, per_class=100)
    print(f"\ncgan-digits on cuda: class accuracy {accuracy:.3f}")
    assert accuracy >= 0.95


def test_vae_latents_on_cuda_match_the_shipped_maps(cpu, gpu):
    """The shipped projections come from CPU latents; a GPU user's latents must be the same points."""
    on_cpu = cpu.run("vae-digits", lambda m: vae.encode_dataset(m.model, "digits"))["mu"]
    on_gpu = gpu.run("vae-digits", lambda m: vae.encode_dataset(m.model, "digits"))["mu"]
    agree(torch.as_tensor(on_cpu), torch.as_tensor(on_gpu), "vae-digits test-set mu",
          scale=float(abs(on_cpu).mean()))


def test_gan_studio_helpers_on_cuda(gpu):
    """sample_batch and generate_path hand back CPU float32 tensors from a GPU model."""
    out = gpu.run("cgan-digits", lambda m: gan.sample_batch(m.model, 6, generator=make_generator(0, gpu.device)))
    assert out["x"].device.type == "cpu" and out["x"].dtype == torch.float32 and out["d"].shape == (6,)
    path = torch.randn(5, gpu.load("cgan-digits").card["config"]["z_dim"])
    x, d = gpu.run("cgan-digits", lambda m: gan.generate_path(m.model, path, 3, 8))
    assert x.shape[0] == 5 and d.dtype == torch.float32 and x.device.type == "cpu"


def test_diffusion_theater_record_on_cuda(gpu):
    """The step-by-step record the theater shows, from a GPU model."""
    def run(loaded):
        model = loaded.model
        x_T = diffusion.initial_noise(model, 4, make_generator(0, gpu.device))
        return diffusion.record(diffusion.reverse(model, x_T, sampler="ddim", steps=20,
                                                  labels=torch.tensor([1, 2, 3, 4]), guidance=2.0), every=5)
    record = gpu.run("ddpm-digits", run)
    for value in record.values():
        if isinstance(value, torch.Tensor):
            assert torch.isfinite(value.float()).all()


@pytest.mark.parametrize("family, dataset, epochs", [("vae", "digits", 3), ("ddpm", "digits", 3),
                                                     ("dcgan", "digits", 1), ("ldm", "digits", 2),
                                                     ("flow", "ring8", 1), ("ebm", "ring8", 1)])
def test_training_on_cuda_learns_and_the_cpu_loads_the_result(family, dataset, epochs, tmp_path):
    data = load_dataset(dataset)
    result = train.train(family, data, epochs=epochs, seed=0, device="cuda", num_snapshots=2)
    loss_key = next(k for k in result.history if k != "step")
    losses = result.history[loss_key]
    print(f"\n{family} on {dataset}, cuda: {loss_key} {losses[0]:.4g} -> {losses[-1]:.4g} in {result.steps} steps, "
          f"{result.seconds:.1f} s")
    assert all(math.isfinite(v) for v in losses)
    if family in ("vae", "ddpm", "ldm", "flow"):
        assert losses[-1] < losses[0]
    assert train.main([family, "--dataset", dataset, "--epochs", "1", "--device", "cuda",
                       "--out", str(tmp_path / "ckpt")]) == 0
    model, card = load_checkpoint(tmp_path / "ckpt", "cpu")
    assert next(model.parameters()).device.type == "cpu" and card["family"] == family


@pytest.mark.parametrize("name", ["ddpm-digits", "ddpm-shapes", "ddpm-ring8", "ldm-digits"])
def test_cuda_graphs_replay_what_the_network_computes(gpu, name):
    """The sampler's network calls come from CUDA graphs on the GPU (gen_core/cuda_graphs.py): the replay equals the
    eager float32 network, picks up new inputs on every call, and serves the guided (doubled) batch too."""
    loaded = gpu.load(name)
    model = loaded.model.diffusion if loaded.card["family"] == "ldm" else loaded.model
    c = model.config
    g = make_generator(5)
    x = torch.randn(6, *c.image_shape, generator=g).cuda()
    t = torch.randint(c.timesteps, (6,), generator=g).cuda()
    labels = torch.randint(c.num_classes, (6,), generator=g).cuda() if c.num_classes else None

    def compare(_):
        out = {}
        for shift in (0.0, 1.0):  # the second call must see its own input, not the captured one
            with torch.autocast("cuda", enabled=False):
                eager = model.ema(x + shift, t, labels)
            out[shift] = (eager.float().cpu(), model.call(model.ema, x + shift, t, labels).float().cpu())
        if labels is not None:
            out["guided"] = model.predict_eps(x, t, labels, guidance=3.0).float().cpu()
        return out

    out = gpu.run(name, compare)
    assert model.graphed is not None and not model.graphed.failed and model.graphed.graphs
    for shift in (0.0, 1.0):
        eager, graphed = out[shift]
        print(f"\n{name}, shift {shift}: max |eager - graph| {(eager - graphed).abs().max():.2e}")
        torch.testing.assert_close(graphed, eager, atol=1e-3, rtol=1e-3)
    assert not torch.allclose(out[0.0][1], out[1.0][1])
    if labels is not None:
        assert torch.isfinite(out["guided"]).all() and out["guided"].shape == x.shape


def test_ddpm_sampling_with_and_without_cuda_graphs(gpu, monkeypatch):
    """Graphs change the speed, not the pictures: a full DDPM run gives nearly the same samples with graphs off (the
    eager network under bfloat16 autocast), from the same noise; rounding differences grow over 1,000 steps, but
    two unrelated sets of 3s differ by about 0.3 per pixel."""
    import time

    started = time.perf_counter()
    with_graphs = gpu.sample("ddpm-digits", 16, seed=0, label=3)
    graphed_seconds = time.perf_counter() - started
    monkeypatch.setenv("GENLAB_CUDA_GRAPHS", "0")
    eager_core = InferenceCore("cuda")
    assert eager_core.load("ddpm-digits").model.graphed is None
    eager_core.sample("ddpm-digits", 2, seed=0, steps=10)  # warm up
    started = time.perf_counter()
    without = eager_core.sample("ddpm-digits", 16, seed=0, label=3)
    eager_seconds = time.perf_counter() - started
    difference = (with_graphs - without).abs()
    print(f"\nddpm-digits, 16 samples x 1000 steps: {graphed_seconds:.2f} s with CUDA graphs, {eager_seconds:.2f} s "
          f"without; mean |difference| {difference.mean():.4f}")
    assert float(difference.mean()) < 0.15
