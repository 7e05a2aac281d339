"""GenLab as people install it: a wheel built from this checkout, installed (not editable) into a fresh venv, runs a
command line and the app from a folder outside the checkout, with the shipped models.

The fresh venv borrows the dependencies from the test's own environment through a .pth file (installing torch again
would take minutes and download nothing new); GenLab itself comes only from the wheel: the checkout is never on its
path, and the test asserts where gen_core was imported from."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import sysconfig
import time
import tomllib
import urllib.request
import zipfile
from pathlib import Path

import pytest

from tests.browser.driver import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                           "-w", str(out), str(ROOT)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    (found,) = out.glob("genlab-*.whl")
    return found


@pytest.fixture(scope="module")
def fresh_venv(wheel, tmp_path_factory) -> Path:
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    (Path(site) / "borrowed-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    done = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
                           "--no-index", "-q", str(wheel)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return venv


def outside(tmp_path) -> dict:
    """An environment for a process started outside the checkout: its own GENLAB_HOME, nothing on PYTHONPATH."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "GENLAB_HOME")}
    return {**env, "GENLAB_HOME": str(tmp_path / "home"), "GENLAB_WORKER": "external", "GENLAB_DEVICE": "cpu"}


def test_the_wheel_holds_the_core_the_app_the_models_and_the_licences(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for package in ("gen_core", "gen_core/models/gan", "gen_core/models/diffusion", "gen_core/labs", "gen_core/data"):
        assert f"{package}/__init__.py" in names
    for path in ROOT.joinpath("gen_core").rglob("*.py"):  # every module of the core, none forgotten
        assert path.relative_to(ROOT).as_posix() in names
    for path in [*ROOT.joinpath("app_pages").rglob("*.py"), *ROOT.joinpath("ui").glob("*.*")]:
        if "__pycache__" not in path.parts:
            assert "genlab_app/" + path.relative_to(ROOT).as_posix() in names
    assert {"genlab_app/app.py", "genlab_app/frame.py", "genlab_app/.streamlit/config.toml"} <= names
    shipped = sorted(p.name for p in ROOT.joinpath("assets", "checkpoints").iterdir() if p.is_dir())
    for name in shipped:
        for file in ("card.json", "weights.safetensors", "README.md", "history.csv"):
            assert f"genlab_assets/checkpoints/{name}/{file}" in names
    licences = {n.rsplit("/", 1)[-1] for n in names if ".dist-info/licenses/" in n}
    assert {"LICENSE", "NOTICE.md"} <= licences
    metadata = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "License-Expression: MIT" in metadata and "Requires-Dist: torch==2.14.1" in metadata
    assert not any(n.startswith(("tests/", "bench/", "deploy/")) or "/.venv/" in n for n in names)


def test_pyproject_pins_what_requirements_txt_pins():
    """One dependency list, written twice (pip's requirements file and the package's metadata): they must agree."""
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line and not line.startswith("-"):
            name, version = line.split("==")
            pins[name.lower()] = version
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = dict(re.match(r"([\w.-]+)==(.+)", d).groups() for d in
                    project["dependencies"] + project["optional-dependencies"]["test"])
    assert {k.lower(): v for k, v in declared.items()} == pins


def test_an_installed_cli_samples_a_shipped_model_from_another_folder(fresh_venv, tmp_path):
    env = outside(tmp_path)
    python = fresh_venv / "bin" / "python"
    where = subprocess.run([str(python), "-c", "import gen_core, gen_core.shipped as s; print(gen_core.__file__); "
                            "print(s.ASSETS)"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    core_file, assets = where.stdout.split()
    assert str(fresh_venv) in core_file and str(ROOT) not in core_file
    assert assets.endswith("genlab_assets") and str(fresh_venv) in assets
    done = subprocess.run([str(fresh_venv / "bin" / "genlab-sample"), "vae-fashion", "--n", "4", "--out",
                           str(tmp_path / "grid.png")], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert (tmp_path / "grid.png").stat().st_size > 500
    listed = subprocess.run([str(fresh_venv / "bin" / "genlab-checkpoints")], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)
    assert "vae-fashion" in listed.stdout and "DAMAGED" not in listed.stdout
    usage = subprocess.run([str(fresh_venv / "bin" / "genlab-train"), "--help"], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=120)
    assert usage.stdout.startswith("usage: genlab-train")


@pytest.mark.parametrize("launcher", [pytest.param("genlab-app", marks=pytest.mark.slow), "streamlit run"])
def test_the_installed_app_serves_the_shipped_models_from_another_folder(launcher, fresh_venv, tmp_path):
    from playwright.sync_api import sync_playwright

    from tests.browser.driver import chromium, settle

    port = free_port()
    app = subprocess.run([str(fresh_venv / "bin" / "python"), "-c",
                          "import importlib.util as u; print(u.find_spec('genlab_app').submodule_search_locations[0])"],
                         capture_output=True, text=True, check=True).stdout.strip()
    command = ([str(fresh_venv / "bin" / "genlab-app")] if launcher == "genlab-app" else
               [str(fresh_venv / "bin" / "python"), "-m", "streamlit", "run", f"{app}/app.py"])
    server = subprocess.Popen(command + ["--server.port", str(port)], cwd=tmp_path, env=outside(tmp_path),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(600):
            try:
                urllib.request.urlopen(base + "/_stcore/health", timeout=1)
                break
            except OSError:
                assert server.poll() is None, server.stdout.read()[-3000:]
                time.sleep(0.2)
        with sync_playwright() as p:
            browser = chromium(p)
            page = browser.new_page()
            page.goto(f"{base}/vae_explorer")
            page.get_by_role("heading", name="VAE Latent Explorer").wait_for(timeout=180_000)
            settle(page)
            assert page.locator('[data-testid="stException"]').count() == 0
            assert "vae-fashion" in page.content()  # the shipped default model, found inside the installed package
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
