#!/usr/bin/env bash
# Retrain the 28x28 models wider and longer on a GPU machine (or, with GENLAB_DEVICE=cpu, the shipped Fashion-MNIST
# models one at a time on the CPU), from the repository root:
#
#     bash tests/gpu/gpu_retrain.sh OUT_DIR [TIME_LIMIT_S] [shapes|fashion|all]
#
# Each model trains in its own process and writes OUT_DIR/NAME (a checkpoint) and OUT_DIR/NAME.log. On a GPU they run
# side by side (small models, bound by kernel launches rather than arithmetic); on the CPU one after another with one
# torch thread each (two torch processes on two cores slow each other up to 100x). A training still running after
# TIME_LIMIT_S (default 400) is stopped and saves nothing. Nothing replaces the shipped checkpoints here: compare
# each card's metrics with the shipped one's (and `python bench/evaluate.py NAME`) before copying it into
# assets/checkpoints/ (DEVELOPERS.md, "Shipped checkpoints"), then rebuild the VAEs' maps with gen_core.embed.
# Fashion-MNIST needs its training images: apt-get install dataset-fashion-mnist.
set -o pipefail
out=${1:?usage: bash tests/gpu/gpu_retrain.sh OUT_DIR [TIME_LIMIT_S] [shapes|fashion|all]}
limit=${2:-400}
which=${3:-all}
device=${GENLAB_DEVICE:-cuda}
mkdir -p "$out"
export PYTHONUNBUFFERED=1 OMP_NUM_THREADS=${OMP_NUM_THREADS:-$([ "$device" = cpu ] && echo 1 || echo 2)}

# name | arguments after `python -m gen_core.train` (the shipped settings, with width and epochs raised)
shapes=(
  "cgan-shapes|cgan --dataset shapes --epochs 120 --seed 0 --set width=48"
  "dcgan-shapes|dcgan --dataset shapes --epochs 100 --seed 0 --set width=32"
  "ddpm-shapes|ddpm --dataset shapes --epochs 100 --seed 0 --set channels=32 --set num_classes=10 --set batch_size=64 --set schedule=cosine"
  "vae-shapes|vae --dataset shapes --epochs 60 --seed 0 --set channels=32 --set batch_size=32"
  "vae-shapes-z2|vae --dataset shapes --epochs 60 --seed 0 --set channels=32 --set batch_size=32 --set latent_dim=2"
)
# The shipped Fashion-MNIST models, as trained on this project's 2-core CPU (their cards record the same
# commands). On a GPU, raise --epochs and the widths: the CPU settings are what fitted in a working session.
# ldm-fashion reads vae-fashion-lowkl, so that VAE goes first (and OUT_DIR's VAE is used where OUT_DIR is on the path).
fashion=(
  "vae-fashion|vae --dataset fashion-mnist --epochs 12 --seed 0 --set channels=32 --set batch_size=128"
  "vae-fashion-z2|vae --dataset fashion-mnist --epochs 4 --seed 0 --set channels=16 --set batch_size=128 --set latent_dim=2"
  "vae-fashion-lowkl|vae --dataset fashion-mnist --epochs 12 --seed 0 --set channels=32 --set batch_size=128 --set beta=0.05"
  "ldm-fashion|ldm --dataset fashion-mnist --epochs 10 --seed 0 --set vae=vae-fashion-lowkl"
  "cgan-fashion|cgan --dataset fashion-mnist --epochs 10 --seed 0 --set width=32"
  "ddpm-fashion|ddpm --dataset fashion-mnist --epochs 4 --seed 0 --set channels=16 --set num_classes=10 --set batch_size=128 --set schedule=cosine --snapshots 2"
  "dcgan-fashion|dcgan --dataset fashion-mnist --epochs 5 --seed 0 --set width=32"
  "glow-fashion|glow --dataset fashion-mnist --epochs 8 --seed 0 --set levels=256 --set batch_size=128"
  "stylegan-fashion|stylegan --dataset fashion-mnist --epochs 3 --seed 0 --set width=16 --set mixing=0.9 --set r1_weight=0.5 --set lr_g=0.001 --set lr_d=0.001 --set beta1=0.0"
)
case $which in
  shapes) models=("${shapes[@]}") ;;
  fashion) models=("${fashion[@]}") ;;
  *) models=("${shapes[@]}" "${fashion[@]}") ;;
esac
run() {
  local name=${1%%|*} args=${1#*|}
  # shellcheck disable=SC2086 - the arguments are meant to split
  timeout "$limit" python3 -m gen_core.train $args --device "$device" --out "$out/$name" --overwrite \
      >"$out/$name.log" 2>&1
}
status=0
if [ "$device" = cpu ]; then
  for entry in "${models[@]}"; do run "$entry" || status=1; done
else
  pids=()
  for entry in "${models[@]}"; do run "$entry" & pids+=($!); done
  for pid in "${pids[@]}"; do wait "$pid" || status=1; done
fi
for entry in "${models[@]}"; do
  name=${entry%%|*}
  echo "== $name: $(grep -E '^(saved|error|warning)' "$out/$name.log" | tail -2)"
done
exit $status
