"""The CUDA path, for a machine with an NVIDIA GPU (skipped elsewhere): gpu_check.sh, gpu_retrain.sh."""
