"""`torchrun --nproc_per_node 2 -m gen_core.train ...` on the CPU (gloo), through PyTorch's DistributedDataParallel:
two ranks, each training on its share of every global batch with gradients averaged during backward, give the same
model as one process on the same global batch (an odd batch, so the shares differ); only rank 0 writes the
checkpoint, and its card says how it was trained. Every family that trains by gradients keeps its ranks' weights
identical step after step (tests/unit/ddp_every_family.py); the HMM is refused in one line."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file

from gen_core import checkpoints

TORCHRUN = Path(sys.executable).parent / "torchrun"
COMMON = ["flow", "--dataset", "ring8", "--epochs", "1", "--seed", "3", "--snapshots", "0", "--set", "batch_size=255"]
TWO_RANKS = [str(TORCHRUN), "--standalone", "--nproc_per_node", "2"]


def run(command, home):
    env = {**os.environ, "GENLAB_HOME": str(home), "OMP_NUM_THREADS": "1"}
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def test_two_cpu_ranks_match_one_process_on_the_same_global_batch(tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    single = run([sys.executable, "-m", "gen_core.train", *COMMON, "--out", str(one)], tmp_path / "home1")
    double = run([*TWO_RANKS, "-m", "gen_core.train", *COMMON, "--out", str(two)], tmp_path / "home2")
    assert single.stdout.count("saved ") == 1 and double.stdout.count("saved ") == 1  # rank 0 alone writes
    a, b = load_file(one / "weights.safetensors"), load_file(two / "weights.safetensors")
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_allclose(b[key], a[key], atol=2e-4, rtol=1e-3, err_msg=key)
    card_a, card_b = checkpoints.read_card(one), checkpoints.read_card(two)
    assert card_a["steps"] == card_b["steps"] > 10
    # the history is the global batch's loss, step by step
    np.testing.assert_allclose(card_b["history"]["nll"], card_a["history"]["nll"], rtol=1e-3, atol=1e-3)
    assert abs(card_b["metrics"]["test_log_likelihood"] - card_a["metrics"]["test_log_likelihood"]) < 1e-3
    assert card_b["world_size"] == 2 and card_b["command"].startswith("torchrun --nproc_per_node 2 -m gen_core.train")
    assert "DistributedDataParallel" in (two / "README.md").read_text()


def test_every_gradient_family_keeps_its_ranks_identical_through_ddp(tmp_path):
    done = run([*TWO_RANKS, str(Path(__file__).with_name("ddp_every_family.py"))], tmp_path / "home")
    results = {r["case"]: r for r in map(json.loads, (line for line in done.stdout.splitlines() if line[:1] == "{"))}
    from tests.unit.ddp_every_family import CASES
    assert set(results) == {case for case, *_ in CASES} | {"hmm", "flow gradient"}
    assert "without torchrun" in results.pop("hmm")["refused"]
    gradient = results.pop("flow gradient")  # 51 + 50 rows weighted by share: one process's gradient on all 101
    assert gradient["scale"] > 1e-3 and gradient["difference"] < 1e-4 * gradient["scale"]
    for case, result in results.items():
        assert result["ddp"] and result["finite"], (case, result)
        assert result["moved"] > 1e-6, (case, result)      # it trained ...
        assert result["spread"] < 1e-6, (case, result)     # ... and both ranks hold the same weights after each step


def test_torchrun_refuses_the_hmm_in_one_line_and_writes_nothing(tmp_path):
    out = tmp_path / "hmm"
    env = {**os.environ, "GENLAB_HOME": str(tmp_path / "home"), "OMP_NUM_THREADS": "1"}
    done = subprocess.run([*TWO_RANKS, "-m", "gen_core.train", "hmm", "--dataset", "series", "--epochs", "1",
                           "--out", str(out)], capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode != 0
    said = done.stdout + done.stderr
    assert "error: this family trains without gradients" in said and "train it without torchrun" in said
    assert "gen_core/" not in said  # no traceback of GenLab's (torchrun reports the failed ranks its own way)
    assert not out.exists()
