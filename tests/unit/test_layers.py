"""The house's rules, checked on the code: gen_core never imports streamlit, the import graph has no circle, arrows
point only downward (app_pages -> ui -> gen_core, and by level inside gen_core), and tests never import bench/."""
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


# --- the import graph: three layers, arrows only downward, no circle ---------------------------------------------

ROOT = CORE.parent
# Within gen_core, lowest first: foundations (errors, devices, data, storage, measures of arrays), the model
# families, the services over them (the inference core, training, sampling, evaluation), and the per-page tensor
# work. A module imports only from its own level or below. Every gen_core module must be placed here.
GEN_CORE_LEVELS = [
    ("gen_core", "gen_core.errors", "gen_core.device", "gen_core.memory", "gen_core.masks", "gen_core.mode_metrics",
     "gen_core.distributed", "gen_core.cuda_graphs", "gen_core.estimator_contract", "gen_core.bayes",
     "gen_core.render", "gen_core.latent", "gen_core.jobs", "gen_core.data", "gen_core.reference", "gen_core.metrics",
     "gen_core.checkpoints", "gen_core.models.common", "gen_core.shared_store", "gen_core.classroom",
     "gen_core.json_cache", "gen_core.cli", "gen_core.shipped", "gen_core.model_card"),
    ("gen_core.models", "gen_core.classifiers", "gen_core.cvae_classifier"),
    ("gen_core.core", "gen_core.train", "gen_core.sample", "gen_core.embed", "gen_core.evaluate",
     "gen_core.likelihood", "gen_core.own_embeddings", "gen_core.job_worker", "gen_core.checkpoint_archive",
     "gen_core.kept"),
    ("gen_core.labs", "gen_core.measures"),
]
APP_LEVELS = {"gen_core": 0, "ui": 1, "app_pages": 2}  # app_pages -> ui -> gen_core; frame.py and app.py above


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> dict[str, Path]:
    return {module_name(p): p for folder in ("gen_core", "ui", "app_pages") for p in (ROOT / folder).rglob("*.py")}


def imports_of(path: Path, modules: dict) -> set[str]:
    """The project modules a file imports, at its top or inside functions, but not under `if TYPE_CHECKING:`
    (annotations only, never run)."""
    tree = ast.parse(path.read_text(), str(path))
    skipped = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If)
               and getattr(node.test, "id", getattr(node.test, "attr", "")) == "TYPE_CHECKING"
               for n in ast.walk(node)}

    def resolve(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found |= {resolve(a.name) for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found |= {resolve(f"{node.module}.{a.name}") or resolve(node.module) for a in node.names}
    return found - {None, module_name(path)}


def graph() -> dict[str, set[str]]:
    modules = project_modules()
    return {name: imports_of(path, modules) for name, path in modules.items()}


def core_level(name: str) -> int:
    best = None
    for level, prefixes in enumerate(GEN_CORE_LEVELS):
        for prefix in prefixes:
            if (name == prefix or name.startswith(prefix + ".")) and (best is None or len(prefix) > best[1]):
                best = (level, len(prefix))
    assert best is not None, f"{name} has no level in GEN_CORE_LEVELS: place it"
    return best[0]


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan's algorithm), i.e. the import circles."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_the_import_graph_has_no_circle():
    assert cycles(graph()) == []


def test_the_cycle_finder_finds_a_circle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_arrows_point_only_downward():
    """app_pages -> ui -> gen_core, never back up; inside gen_core by GEN_CORE_LEVELS; a page folder imports only
    its own folder among the pages."""
    wrong = []
    for source, targets in graph().items():
        top = source.split(".")[0]
        for target in targets:
            layer = target.split(".")[0]
            if APP_LEVELS[layer] > APP_LEVELS[top]:
                wrong.append(f"{source} -> {target} (up a layer)")
            elif top == layer == "gen_core" and core_level(target) > core_level(source):
                wrong.append(f"{source} -> {target} (up inside gen_core)")
            elif top == layer == "app_pages" and target.split(".")[:2] != source.split(".")[:2]:
                wrong.append(f"{source} -> {target} (another page's room)")
    assert wrong == []


def test_every_gen_core_module_has_a_level():
    for name in graph():
        if name.startswith("gen_core"):
            core_level(name)


def test_tests_do_not_import_bench():
    offenders = []
    for path in (ROOT / "tests").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{path.relative_to(ROOT)}: {n}" for n in names if n.split(".")[0] == "bench"]
    assert offenders == []
