"""The evaluation table for every shipped image model (gen_core.evaluate), with how long each row took.

    python bench/evaluate.py [--samples 2000] [--train-samples 10000] [--device cpu] [NAME ...]

FD is in the reference network's features (digits, shapes: an MLP fitted here; Fashion-MNIST: the shipped CNN of
gen_core/reference.py) with the data-vs-data floor beside it; precision and recall are k-NN (k=5) in the same
features, density and coverage (Naeem et al., 2020) too; 'memorised' is the share of samples nearer a training image than the closest 1% of held-out
images; '-ELBO nats' and 'bits/dim' are the VAEs' test bound; 'acc gen' / 'acc real' are an MLP classifier's
test accuracy trained on --train-samples generated samples / as many real ones (capped at the training set).
Diffusion models sample with DDIM in 50 steps. For data with a shipped reference network (Fashion-MNIST) it then
prints the reference's test accuracy and per-class recall, and for each model the class report: conditional models'
share of samples read as the class asked for beside that recall, unconditional models' share of each class;
guided diffusion models again at each --guidance scale (classifier-free guidance trades variety for fidelity: on
ddpm-fashion, 1,000 samples, classes within 5 points of the reference's recall were 0/10 at scale 1, 3/10 at 2,
7/10 at 3, 9/10 at 4, 10/10 at 5).
"""
import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gen_core import checkpoints, evaluate, metrics  # noqa: E402
from gen_core.core import InferenceCore  # noqa: E402
from gen_core.models import SAMPLER_OPTION_FAMILIES  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="checkpoints (default: every shipped image model)")
    parser.add_argument("--samples", type=int, default=evaluate.METRIC_SAMPLES)
    parser.add_argument("--train-samples", type=int, default=evaluate.TRAIN_ON_GENERATED)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--class-samples", type=int, default=1000,
                        help="samples per model for the class report of data with a reference network (0: skip)")
    parser.add_argument("--guidance", default="3,5", help="classifier-free guidance scales of the guided class reports")
    args = parser.parse_args()
    shipped = {info.name for info in checkpoints.list_checkpoints() if info.source == "shipped"}
    names = args.names or [n for n in evaluate.image_checkpoints() if n in shipped]
    settings = evaluate.Settings(args.samples, args.train_samples)
    core = InferenceCore(args.device)
    print(f"device {core.device}, {args.samples} samples per model, {args.train_samples} to train on", flush=True)
    rows, took = [], {}
    for name in names:
        started = time.perf_counter()
        rows.append(evaluate.evaluate(core, name, settings, progress=lambda m: print(m, file=sys.stderr, flush=True)))
        rows[-1]["given_as"] = name  # a folder path as typed: the row's name is the folder's last part
        took[name] = time.perf_counter() - started
        print(evaluate.table(rows[-1:]).splitlines()[-1], f"({took[name]:.0f} s)", flush=True)  # as it goes
    print()
    print(evaluate.table(rows))
    print("seconds per row: " + ", ".join(f"{k} {v:.0f}" for k, v in took.items()))
    reported = [r for r in rows if r.get("dataset") in metrics.CLASSIFIABLE and r["dataset"] not in metrics.FITTED_HERE]
    if reported and args.class_samples:  # real data with a shipped reference network: the per-class bars
        from gen_core import reference
        card = reference.load(reported[0]["dataset"]).card
        print(f"\nreference network for {card['dataset']}: {card['command']} ({card['steps']} steps); test accuracy "
              f"{card['test_accuracy']:.4f}; per-class recall " +
              ", ".join(f"{n} {r:.3f}" for n, r in zip(card["class_names"], card["per_class_recall"])))
        for row in reported:
            print(evaluate.class_report_text(evaluate.class_report(core, row["given_as"], args.class_samples)))
            card = core.load(row["given_as"]).card
            if card["family"] in SAMPLER_OPTION_FAMILIES and card["config"].get("num_classes"):  # and guided
                for scale in (float(v) for v in args.guidance.split(",") if v.strip()):
                    print(evaluate.class_report_text(evaluate.class_report(core, row["given_as"],
                                                                           args.class_samples, guidance=scale)))


if __name__ == "__main__":
    main()
