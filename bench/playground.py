"""2-D Playground benchmark: sample quality of the GAN presets (and the other families) on ring8 and grid25, and
the speed of live training.

    python bench/playground.py                 # quality of the GAN presets + speed (several minutes on 2 cores)
    python bench/playground.py --families      # also the VAE, diffusion, flow and energy model
    python bench/playground.py --speed-only
    python bench/playground.py --collapse      # modes covered along training: the collapse preset against the fixes

Quality: each model trains through `gen_core.train` (what `python -m gen_core.train` runs) and draws 2,500
samples; we report the mode-collapse metrics of VEEGAN / PacGAN (modes covered, share of high-quality samples
within 3 std of a mode, reverse KL of the mode histogram) and k-NN precision / recall. The issue's bar for the best
GAN preset: 8/8 and 25/25 modes, >= 95% high quality, reverse KL <= 0.05 on both.

Speed: GAN training steps per second at batch 256 on their own, and the live loop of the page (train k steps,
then redraw: view samples, metrics, and the Pillow frames the page shows while playing, encoded as st.image does), with the
frames per second it reaches.
"""
from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

from gen_core.device import make_generator
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gen_core.labs import playground as P  # noqa: E402

from gen_core.labs import playground_views as views
from gen_core.data import load_dataset  # noqa: E402
from gen_core.mode_metrics import point_metrics  # noqa: E402
from gen_core.models import get_family  # noqa: E402
from gen_core.train import train  # noqa: E402

GAN_PRESETS = ("GAN: overtrained G (collapses)", "GAN: vanilla", "GAN: minimax", "GAN: annealed (fix)",
               "GAN: packed + annealed (fix)")
OTHER_PRESETS = ("VAE", "Diffusion", "Flow (RealNVP)", "Energy (Langevin)")
TRAIN_STEPS = {"gan": 20_000, "vae": 4_000, "ddpm": 6_000, "flow": 4_000, "ebm": 3_000}
N_SAMPLES = 2500


def quality(preset: str, toy: str, seed: int = 0) -> dict:
    dataset = load_dataset(toy)
    family = P.PRESETS[preset].family
    config = P.preset_config(preset, dataset)
    epochs = math.ceil(TRAIN_STEPS[family] / math.ceil(len(dataset.x_train) / config.batch_size))
    result = train(family, dataset, config=config, epochs=epochs, seed=seed, num_snapshots=0)
    result.model.eval()
    with torch.no_grad():
        samples = get_family(family).sample(result.model, N_SAMPLES, generator=make_generator(seed + 10))
    found = point_metrics(samples, dataset)
    found.update(steps=result.steps, seconds=result.seconds)
    return found


def meets_quality_bar(m: dict) -> bool:
    """The issue's bar, per dataset: every mode, >= 95% high-quality samples, reverse KL <= 0.05."""
    return m["modes_covered"] == m["num_modes"] and m["high_quality"] >= 0.95 and m["reverse_kl"] <= 0.05


def print_quality(presets, toys) -> dict:
    results = {}
    print("| preset | data | steps | modes | high quality | reverse KL | precision | recall | train s |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for preset in presets:
        for toy in toys:
            m = results[preset, toy] = quality(preset, toy)
            kl = f"{m['reverse_kl']:.3f}" if math.isfinite(m["reverse_kl"]) else "none on a mode"
            print(f"| {preset} | {toy} | {m['steps']} | {m['modes_covered']}/{m['num_modes']} | "
                  f"{m['high_quality']:.1%} | {kl} | {m['precision']:.3f} | {m['recall']:.3f} | "
                  f"{m['seconds']:.0f} |", flush=True)
    return results


def trajectory(preset: str, toy: str, steps: int = 20_000, every: int = 2_000, seed: int = 0) -> list[dict]:
    """Mode metrics of 2,500 samples every `every` steps of one run (the page's LiveModel, the same trainer)."""
    live = P.LiveModel.from_preset(preset, load_dataset(toy), seed=seed)
    found = []
    while live.steps < steps:
        live.train(every)
        m = point_metrics(live.sample(N_SAMPLES, seed=seed + 10), live.dataset)
        found.append({"step": live.steps, **m})
    return found


def print_trajectories(presets, toys):
    for toy in toys:
        runs = {preset: trajectory(preset, toy) for preset in presets}
        steps = [m["step"] for m in next(iter(runs.values()))]
        print(f"\n{toy}: modes covered / high-quality share, every {steps[0]:,} steps\n")
        print("| preset | " + " | ".join(f"{s // 1000}k" for s in steps) + " |")
        print("| --- |" + " --- |" * len(steps))
        for preset, found in runs.items():
            print(f"| {preset} | " + " | ".join(f"{m['modes_covered']} / {m['high_quality']:.0%}" for m in found)
                  + " |", flush=True)


def gan_steps_per_second(preset: str, steps: int = 1500) -> float:
    live = P.LiveModel.from_preset(preset, load_dataset("ring8"))
    live.train(100)  # warm-up: allocator, first-call dispatch
    started = time.perf_counter()
    live.train(steps)
    return steps / (time.perf_counter() - started)


def live_loop(families, seconds: float, speed, inside: str) -> dict:
    """The page's loop while playing, without the browser: train every model (`speed` steps a frame, or at
    "max" for the frame's time left after the last redraw, as the page does), then redraw what the page shows
    (view samples, metrics table (every METRICS_SECONDS), the Pillow frames of samples, curves and one look-inside view, encoded as
    st.image sends them: JPEG at quality 90) and wait out the rest of the frame's FRAME_SECONDS."""
    import io

    from ui import point_figures as figures
    from ui import point_frames as frames

    dataset = load_dataset("ring8")
    models = {f: P.LiveModel.from_preset(P.DEFAULT_PRESET[f], dataset) for f in families}
    real = dataset.x_test[:1000].numpy()
    extent = views.data_extent(real)
    frame_count, trained, redraw_seconds, total_redraw = 0, 0, 0.05, 0.0
    measured = -P.METRICS_SECONDS
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        frame_started = time.perf_counter()
        if speed == "max":
            trained += P.train_for(models.values(), P.training_seconds(redraw_seconds))
        else:
            trained += P.train_for(models.values(), 0.0, chunk=speed)
        drawing = time.perf_counter()
        samples = {f: m.view_samples() for f, m in models.items()}
        images = [frames.samples_frame(models, samples, real, extent),
                  frames.inside_frame(views.inside_view(models[inside], real, extent), real, samples, extent)]
        if drawing - measured >= P.METRICS_SECONDS:  # as the page: the numbers and curves ~3 times a second
            measured = drawing
            found = {f: m.record_metrics(samples[f]) for f, m in models.items()}
            figures.metrics_table(models, found).to_json()
            images.append(frames.curves_frame(models))
        for image in images:
            image.save(io.BytesIO(), format="JPEG", quality=90)  # what st.image sends for an RGB image
        redraw_seconds = time.perf_counter() - drawing
        total_redraw += redraw_seconds
        frame_count += 1
        time.sleep(max(0.0, P.FRAME_SECONDS - (time.perf_counter() - frame_started)))
    elapsed = time.perf_counter() - started
    return {"frames_per_second": frame_count / elapsed, "steps_per_second": trained / elapsed,
            "redraw_ms": total_redraw / frame_count * 1000}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--families", action="store_true", help="also score the VAE, diffusion, flow and EBM")
    parser.add_argument("--speed-only", action="store_true")
    parser.add_argument("--collapse", action="store_true",
                        help="only the mode metrics along training of the collapse preset against the fixes")
    parser.add_argument("--presets", nargs="+", choices=list(P.PRESETS), metavar="PRESET",
                        help="score only these presets (quoted names, e.g. 'GAN: annealed (fix)')")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    if args.collapse:
        print_trajectories(("GAN: overtrained G (collapses)", "GAN: vanilla", "GAN: annealed (fix)"),
                           ("ring8", "grid25"))
        return
    if not args.speed_only:
        print(f"\nQuality over {N_SAMPLES} samples (seed 0):\n")
        presets = args.presets or GAN_PRESETS + (OTHER_PRESETS if args.families else ())
        toys = ("ring8", "grid25")
        results = print_quality(presets, toys)
        passing = [p for p in presets if P.PRESETS[p].family == "gan"
                   and all(meets_quality_bar(results[p, toy]) for toy in toys)]
        print(f"\nQuality bar (8/8 and 25/25 modes, >= 95% high quality, reverse KL <= 0.05 on both): "
              f"{'met by ' + ', '.join(passing) if passing else 'MISSED by every GAN preset'}")
    print("\nSpeed (ring8, batch 256):\n")
    for preset in ("GAN: vanilla", "GAN: packed + annealed (fix)"):
        print(f"- {preset}: {gan_steps_per_second(preset):.0f} training steps/s (training alone)")
    for speed in (10, 50, "max"):
        loop = live_loop(["gan"], 10.0, speed, "gan")
        print(f"- live loop, GAN alone, {speed} steps per frame, redrawing samples, metrics, curves and the D map / "
              f"G arrows / z grid: {loop['steps_per_second']:.0f} steps/s at {loop['frames_per_second']:.1f} "
              f"frames/s (redraw {loop['redraw_ms']:.0f} ms)")
    met = loop["steps_per_second"] >= 100 and loop["frames_per_second"] >= 10
    print(f"  speed bar (#15: >= 100 GAN steps/s while redrawing >= 10 times a second, at 'max'): "
          f"{'met' if met else 'MISSED'}")
    for speed in (10, "max"):
        loop = live_loop(list(P.FAMILY_LABELS), 10.0, speed, "gan")
        print(f"- live loop, all five families, {speed} steps each per frame: {loop['steps_per_second']:.0f} steps/s "
              f"per model at {loop['frames_per_second']:.1f} frames/s (redraw {loop['redraw_ms']:.0f} ms)")

if __name__ == "__main__":
    main()
