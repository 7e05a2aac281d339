#!/usr/bin/env bash
# Retrain the 28x28 models (the shapes set) wider and longer on a GPU machine, all at once, from the repository
# root:
#
#     bash tests/gpu_retrain.sh OUT_DIR [TIME_LIMIT_S]
#
# Each model trains in its own process (they are small: one GPU runs five of them side by side, each bound by
# kernel launches rather than arithmetic) and writes OUT_DIR/NAME (a checkpoint) and OUT_DIR/NAME.log. A
# training still running after TIME_LIMIT_S (default 400) is stopped and saves nothing. Nothing replaces the
# shipped checkpoints here: compare each card's metrics with the shipped one's before copying it into
# assets/checkpoints/ (DEVELOPERS.md, "Shipped checkpoints"), then rebuild vae-shapes' maps with gen_core.embed.
set -o pipefail
out=${1:?usage: bash tests/gpu_retrain.sh OUT_DIR [TIME_LIMIT_S]}
limit=${2:-400}
mkdir -p "$out"
export PYTHONUNBUFFERED=1 OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}

# name | arguments after `python -m gen_core.train` (the shipped settings, with width and epochs raised)
models=(
  "cgan-shapes|cgan --dataset shapes --epochs 120 --seed 0 --set width=48"
  "dcgan-shapes|dcgan --dataset shapes --epochs 100 --seed 0 --set width=32"
  "ddpm-shapes|ddpm --dataset shapes --epochs 100 --seed 0 --set channels=32 --set num_classes=10 --set batch_size=64 --set schedule=cosine"
  "vae-shapes|vae --dataset shapes --epochs 60 --seed 0 --set channels=32 --set batch_size=32"
  "vae-shapes-z2|vae --dataset shapes --epochs 60 --seed 0 --set channels=32 --set batch_size=32 --set latent_dim=2"
)
pids=()
for entry in "${models[@]}"; do
  name=${entry%%|*}
  args=${entry#*|}
  # shellcheck disable=SC2086 - the arguments are meant to split
  timeout "$limit" python3 -m gen_core.train $args --device "${GENLAB_DEVICE:-cuda}" \
      --out "$out/$name" --overwrite >"$out/$name.log" 2>&1 &
  pids+=($!)
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
for entry in "${models[@]}"; do
  name=${entry%%|*}
  echo "== $name: $(grep -E '^(saved|error|warning)' "$out/$name.log" | tail -2)"
done
exit $status
