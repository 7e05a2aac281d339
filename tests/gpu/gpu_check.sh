#!/usr/bin/env bash
# The CUDA path on a machine with an NVIDIA GPU, from the repository root:
#
#     bash tests/gpu/gpu_check.sh [LOG_DIR]
#
# 1. tests/gpu/test_cuda.py: every shipped checkpoint on the GPU against the CPU, the quality bars on the GPU,
#    training on the GPU (skipped where there is no GPU, so CI never runs it);
# 2. the whole suite with GENLAB_DEVICE=cuda, so every page and helper that follows the default device runs
#    on the GPU (tests that pin a CPU figure build their core with "cpu" and stay there; the browser tests need
#    Chromium and skip without it); in parallel when pytest-xdist is installed;
# 3. bench/diffusion_speed.py on the GPU, with and without CUDA graphs (gen_core/cuda_graphs.py).
# Logs go to LOG_DIR (default /tmp/gpu_check). Needs the packages in requirements.txt (any torch with CUDA).
set -o pipefail
logs=${1:-/tmp/gpu_check}
mkdir -p "$logs"
export PYTHONUNBUFFERED=1 GENLAB_DEVICE=cuda
python3 -c "import torch; assert torch.cuda.is_available(), 'no CUDA device'; \
print('torch', torch.__version__, 'CUDA', torch.version.cuda, torch.cuda.get_device_name())" || exit 1
parallel=$(python3 -c "import xdist" 2>/dev/null && echo "-n 12")

echo "== tests/gpu/test_cuda.py"
timeout 220 python3 -m pytest -q -s -p no:cacheprovider tests/gpu/test_cuda.py 2>&1 | tee "$logs/test_cuda.log" \
    | grep -vE "step/s|s/step|^saved " | tail -70
echo "== the whole suite, GENLAB_DEVICE=cuda ($parallel)"
timeout 230 python3 -m pytest -q $parallel -p no:cacheprovider --ignore=tests/gpu/test_cuda.py 2>&1 \
    | tee "$logs/suite.log" | tail -45
echo "== bench/diffusion_speed.py --device cuda"
timeout 60 python3 bench/diffusion_speed.py --device cuda 2>&1 | tee "$logs/diffusion_speed.log"
echo "== the same without CUDA graphs (GENLAB_CUDA_GRAPHS=0)"
GENLAB_CUDA_GRAPHS=0 timeout 60 python3 bench/diffusion_speed.py --device cuda 2>&1 | tee "$logs/diffusion_speed_eager.log"
