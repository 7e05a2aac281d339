"""gen_core never reaches up into the UI: no file imports streamlit, and importing all of it loads none."""
import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import gen_core

CORE = Path(gen_core.__file__).parent


def test_no_gen_core_file_imports_streamlit():
    offenders = []
    for file in CORE.rglob("*.py"):
        for node in ast.walk(ast.parse(file.read_text(), str(file))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{file.relative_to(CORE)}: {n}" for n in names if n.split(".")[0] == "streamlit"]
    assert not offenders


def test_importing_every_core_module_loads_no_streamlit():
    modules = [m.name for m in pkgutil.walk_packages([str(CORE)], prefix="gen_core.")]
    assert "gen_core.core" in modules and "gen_core.models.vae" in modules
    code = "import importlib, sys\n" + "".join(f"importlib.import_module({m!r})\n" for m in modules) + \
           "print('streamlit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=CORE.parent)
    assert out.stdout.strip() == "False"
