"""A visitor's own embeddings (vectors from any model), stored under $GENLAB_HOME/embeddings and explored on
GenLab's map: projected by UMAP / PCA / t-SNE (gen_core.embed), searched by label or metadata, and each point's
nearest neighbours listed in the original space, as TensorFlow's Embedding Projector does.

Accepted files:
- vectors: `.npy` (N, D) or `.csv` (numeric columns are the vector; a `label` column, or else the first text
  column, labels the rows; other text columns are metadata to search and colour by);
- labels (optional, with `.npy` vectors): `.txt` with one label per line, or a `.csv` whose first row names its
  columns (its `label` column, or its first, labels the rows; the others are metadata);
- thumbnails (optional): `.npy` (N, H, W) grey or (N, H, W, 3) colour, values in [0, 1] or 0-255.

A set is stored by the SHA-256 of its contents, so a link can name it (`?emb=3fa9c2...`) and uploading the same
files twice stores them once.
"""
from __future__ import annotations

import hashlib
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from gen_core.data import genlab_home
from gen_core.errors import GenLabError

MAX_POINTS = 20_000
MAX_DIMS = 4096
MAX_BYTES = 200 * 2 ** 20
ID_LENGTH = 12
METRICS = ("cosine", "euclidean")


@dataclass(frozen=True, eq=False)
class Embeddings:
    id: str
    vectors: np.ndarray            # (N, D) float32
    labels: np.ndarray             # (N,) str
    metadata: pd.DataFrame         # (N, M) text columns (may have none)
    thumbnails: np.ndarray | None  # (N, H, W) or (N, H, W, 3) float32 in [0, 1]
    name: str

    @property
    def folder(self) -> Path:
        return store_root() / self.id


def store_root() -> Path:
    return genlab_home() / "embeddings"


# --- reading files -------------------------------------------------------------------------------------------

def _bytes(source) -> bytes:
    data = source if isinstance(source, bytes) else (Path(source).read_bytes() if isinstance(source, (str, Path))
                                                    else source.getvalue())
    if len(data) > MAX_BYTES:
        raise GenLabError(f"the file is {len(data) / 2 ** 20:.0f} MB; at most {MAX_BYTES // 2 ** 20} MB")
    return data


def _npy(data: bytes, what: str) -> np.ndarray:
    try:
        return np.load(io.BytesIO(data), allow_pickle=False)  # never unpickle a visitor's file
    except (ValueError, OSError, EOFError) as error:
        raise GenLabError(f"the {what} file is not a readable .npy array ({str(error)[:120]})") from None


def _csv(data: bytes, what: str) -> pd.DataFrame:
    try:
        return pd.read_csv(io.BytesIO(data))
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as error:
        raise GenLabError(f"the {what} file is not a readable CSV ({str(error).splitlines()[0][:120]})") from None


def read_vectors(data: bytes, filename: str) -> tuple[np.ndarray, pd.DataFrame | None]:
    """(vectors (N, D) float32, text columns from a CSV or None)."""
    suffix = Path(filename).suffix.lower()
    if suffix == ".npy":
        vectors, text = _npy(data, "vectors"), None
    elif suffix == ".csv":
        table = _csv(data, "vectors")
        numeric = table.select_dtypes("number")
        text = table.drop(columns=numeric.columns).astype(str)
        vectors = numeric.to_numpy()
    else:
        raise GenLabError(f"vectors must be a .npy or .csv file, not {suffix or 'a file without a suffix'}")
    if vectors.dtype.kind not in "fiu" or vectors.ndim != 2:
        raise GenLabError(f"the vectors must be a 2-D array of numbers (points x dimensions); got "
                          f"{vectors.ndim}-D {vectors.dtype}")
    n, d = vectors.shape
    if not 3 <= n <= MAX_POINTS:
        raise GenLabError(f"{n} vectors; between 3 and {MAX_POINTS:,} are accepted")
    if not 2 <= d <= MAX_DIMS:
        raise GenLabError(f"vectors of {d} dimensions; between 2 and {MAX_DIMS} are accepted")
    vectors = vectors.astype(np.float32)
    if not np.isfinite(vectors).all():
        row = int(np.flatnonzero(~np.isfinite(vectors).all(1))[0])
        raise GenLabError(f"row {row} of the vectors holds NaN or an infinite value")
    return vectors, text


def read_labels(data: bytes, filename: str, n: int) -> pd.DataFrame:
    suffix = Path(filename).suffix.lower()
    if suffix == ".txt":
        try:
            lines = data.decode("utf-8").splitlines()
        except UnicodeDecodeError:
            raise GenLabError("the labels file is not UTF-8 text") from None
        while lines and not lines[-1].strip():
            lines.pop()
        table = pd.DataFrame({"label": lines})
    elif suffix == ".csv":
        table = _csv(data, "labels").astype(str)
    else:
        raise GenLabError(f"labels must be a .txt or .csv file, not {suffix or 'a file without a suffix'}")
    if len(table) != n:
        raise GenLabError(f"{len(table)} labels for {n} vectors; give one label per vector")
    return table


def read_thumbnails(data: bytes, n: int) -> np.ndarray:
    images = _npy(data, "thumbnails")
    if images.dtype.kind not in "fiu" or images.ndim not in (3, 4) or len(images) != n or \
            (images.ndim == 4 and images.shape[3] not in (1, 3)) or max(images.shape[1:3]) > 128:
        raise GenLabError(f"thumbnails must be (N, H, W) or (N, H, W, 3) numbers with N = {n} and sides up to 128; "
                          f"got {images.shape} {images.dtype}")
    images = images.astype(np.float32)
    if not np.isfinite(images).all():
        raise GenLabError("the thumbnails hold NaN or infinite values")
    if images.max() > 1.0:
        images = images / 255.0
    return images.clip(0, 1).squeeze(-1) if images.ndim == 4 and images.shape[3] == 1 else images.clip(0, 1)


def label_column(table: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    """(labels, the other columns as metadata): the `label` column, else the first."""
    if table is None or table.shape[1] == 0:
        return None, pd.DataFrame()
    key = next((c for c in table.columns if str(c).lower() in ("label", "labels", "class")), table.columns[0])
    metadata = table.drop(columns=[key])
    # the labels are stored as the column "label" beside the metadata: a second column of that name ("Label" and
    # "label" both given) is kept as "label (2)" instead of clashing with it
    taken = {"label"}
    names = []
    for column in metadata.columns:
        name, k = str(column), 2
        while name in taken:
            name, k = f"{column} ({k})", k + 1
        taken.add(name)
        names.append(name)
    metadata.columns = names
    return table[key].astype(str).to_numpy(), metadata


def build(vectors_file: tuple[bytes, str], labels_file: tuple[bytes, str] | None = None,
          thumbnails_file: bytes | None = None, name: str = "") -> Embeddings:
    """Check the files, store them under their content hash and return the set."""
    vectors_bytes, vectors_name = vectors_file
    vectors, text = read_vectors(_bytes(vectors_bytes), vectors_name)
    n = len(vectors)
    table = read_labels(_bytes(labels_file[0]), labels_file[1], n) if labels_file else text
    labels, metadata = label_column(table)
    if labels is None:
        labels = np.array(["(no label)"] * n, dtype=object)
    thumbnails = read_thumbnails(_bytes(thumbnails_file), n) if thumbnails_file else None
    digest = hashlib.sha256()
    for part in (vectors.tobytes(), "\n".join(labels).encode(), metadata.to_csv(index=False).encode(),
                 b"" if thumbnails is None else thumbnails.tobytes()):
        digest.update(hashlib.sha256(part).digest())
    set_id = digest.hexdigest()[:ID_LENGTH]
    emb = Embeddings(set_id, vectors, np.asarray(labels, dtype=object), metadata.reset_index(drop=True),
                     thumbnails, (name or Path(vectors_name).stem)[:80])
    save(emb)
    return emb


def save(emb: Embeddings) -> None:
    folder = emb.folder
    if (folder / "info.json").is_file():
        return
    staging = folder.with_name(f".{emb.id}.saving")
    staging.mkdir(parents=True, exist_ok=True)
    np.save(staging / "vectors.npy", emb.vectors)
    pd.DataFrame({"label": emb.labels}).join(emb.metadata).to_csv(staging / "labels.csv", index=False)
    if emb.thumbnails is not None:
        np.save(staging / "thumbnails.npy", emb.thumbnails)
    (staging / "info.json").write_text(json.dumps({"name": emb.name, "points": len(emb.vectors),
                                                   "dims": int(emb.vectors.shape[1])}))
    try:
        staging.rename(folder)
    except OSError:  # stored meanwhile by another session: the same contents
        import shutil
        shutil.rmtree(staging, ignore_errors=True)


def load(set_id: str) -> Embeddings:
    """A stored set by its id (from a link: checked to be an id, never a path)."""
    if not re.fullmatch(rf"[0-9a-f]{{{ID_LENGTH}}}", set_id or ""):
        raise GenLabError(f"{set_id[:40]!r} is not an embedding set's id")
    folder = store_root() / set_id
    if not (folder / "info.json").is_file():
        raise GenLabError(f"no embedding set {set_id} on this server (sets live in $GENLAB_HOME/embeddings)")
    info = json.loads((folder / "info.json").read_text())
    table = pd.read_csv(folder / "labels.csv", dtype=str, keep_default_na=False)
    thumbs = folder / "thumbnails.npy"
    return Embeddings(set_id, np.load(folder / "vectors.npy"), table["label"].to_numpy(dtype=object),
                      table.drop(columns=["label"]), np.load(thumbs) if thumbs.is_file() else None, info["name"])


def stored() -> list[tuple[str, str]]:
    """(id, "name (N points)") of every stored set, newest first."""
    root = store_root()
    if not root.is_dir():
        return []
    out = []
    for folder in sorted(root.iterdir(), key=lambda p: p.stat().st_mtime, reverse=True):
        try:
            info = json.loads((folder / "info.json").read_text())
            out.append((folder.name, f"{info['name']} ({info['points']} points, {info['dims']}-D)"))
        except (OSError, ValueError, KeyError):
            continue
    return out


def digits_example() -> Embeddings:
    """An example set anyone can open: scikit-learn's digits as 64-D pixel vectors, labelled, with thumbnails."""
    from sklearn.datasets import load_digits
    digits = load_digits()
    buffer, thumbs = io.BytesIO(), io.BytesIO()
    np.save(buffer, digits.data.astype(np.float32))
    np.save(thumbs, (digits.images / 16.0).astype(np.float32))
    labels = "label,parity\n" + "\n".join(f"{t},{'even' if t % 2 == 0 else 'odd'}" for t in digits.target)
    return build((buffer.getvalue(), "digits-pixels.npy"), (labels.encode(), "labels.csv"), thumbs.getvalue(),
                 "scikit-learn digits, 64-D pixels")


# --- exploring -----------------------------------------------------------------------------------------------

def neighbours(vectors: np.ndarray, index: int, k: int = 10, metric: str = "cosine") -> tuple[np.ndarray, np.ndarray]:
    """The k nearest other points to `index` in the original space: (indices, distances), nearest first.
    Cosine distance is 1 - cos(angle) (the Embedding Projector's default); euclidean is the straight line."""
    if metric not in METRICS:
        raise GenLabError(f"unknown distance {metric!r}; choose one of {', '.join(METRICS)}")
    x = vectors.astype(np.float64)
    if metric == "cosine":
        unit = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
        distance = 1.0 - unit @ unit[index]
    else:
        distance = np.linalg.norm(x - x[index], axis=1)
    distance[index] = np.inf
    order = np.argsort(distance, kind="stable")[:k]
    return order, distance[order]


def search(emb: Embeddings, query: str) -> np.ndarray:
    """Indices of points whose label or any metadata value contains `query` (case-insensitive, plain text)."""
    query = (query or "").strip().lower()
    if not query:
        return np.arange(0)
    hits = pd.Series(emb.labels).astype(str).str.lower().str.contains(query, regex=False)
    for column in emb.metadata.columns:
        hits |= emb.metadata[column].astype(str).str.lower().str.contains(query, regex=False)
    return np.flatnonzero(hits.to_numpy())
