"""A visitor's zip of class folders, checked before anything is unpacked, then unpacked under $GENLAB_HOME.

A zip is untrusted input: it can name paths that leave the folder (`../../etc/x`, `/abs/x`), hold links, claim
small sizes and inflate to gigabytes (a decompression bomb), or hold a million tiny files. Every member's header
is read first and the whole archive refused with one clear line if anything is wrong; only then are the image
files written, each through a size-limited copy (a header can lie about its size).

Accepted layouts: `CLASS/IMAGE` or one top folder `NAME/CLASS/IMAGE`; files that are not images (and macOS's
`__MACOSX/` and dot files) are skipped. The result is an image folder for `load_dataset("folder:PATH")`.
"""
from __future__ import annotations

import re
import shutil
import stat
import zipfile
from pathlib import Path, PurePosixPath

from gen_core.data.dataset import default_data_root
from gen_core.data.images import IMAGE_SUFFIXES
from gen_core.errors import GenLabError

MAX_ZIP_BYTES = 200 * 2 ** 20          # Streamlit's own upload limit
MAX_UNPACKED_BYTES = 1024 * 2 ** 20    # all members together, once unpacked
MAX_FILES = 60_000                     # MNIST's training set fits
MAX_RATIO = 200                        # unpacked / packed per member; images compress far less than this
MIN_PER_CLASS = 2
UPLOADS = "uploads"


def uploads_root() -> Path:
    """$GENLAB_HOME/data/uploads: inside the data root, so checkpoint cards may name these folders."""
    return default_data_root() / UPLOADS


def safe_name(name: str) -> str:
    """A folder name from a visitor's text: letters, digits, '-', '_' and '.', no leading dot, at most 60."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip(".-_")[:60]
    if not cleaned:
        raise GenLabError("give the data set a name made of letters or digits")
    return cleaned


def check_member(info: zipfile.ZipInfo, max_ratio: float = MAX_RATIO) -> None:
    """Refuse, from its header alone, a zip member that leaves its folder, is a link, is encrypted or inflates like a
    decompression bomb (every zip GenLab accepts: class folders here, checkpoints in gen_core.checkpoint_archive)."""
    name = info.filename
    path = PurePosixPath(name)
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name) or ".." in path.parts or "\\" in name:
        raise GenLabError(f"the zip names a path outside its folder ({name[:80]!r}); nothing was unpacked")
    if stat.S_ISLNK(info.external_attr >> 16):
        raise GenLabError(f"the zip holds a link ({name[:80]!r}); links are not accepted")
    if info.flag_bits & 0x1:
        raise GenLabError("the zip is encrypted; upload an unencrypted one")
    if info.compress_size and info.file_size / info.compress_size > max_ratio:
        raise GenLabError(f"{name[:80]!r} inflates {info.file_size / info.compress_size:.0f}-fold (a "
                          f"decompression bomb?); nothing was unpacked")


def plan(archive: zipfile.ZipFile) -> dict[str, list[zipfile.ZipInfo]]:
    """class name -> its image members, after checking every member's header; raises GenLabError on the first
    problem. Nothing is read beyond the central directory."""
    members = archive.infolist()
    if len(members) > MAX_FILES:
        raise GenLabError(f"the zip holds {len(members):,} files; at most {MAX_FILES:,} are accepted")
    total = 0
    images: list[tuple[PurePosixPath, zipfile.ZipInfo]] = []
    for info in members:
        name = info.filename
        path = PurePosixPath(name)
        check_member(info)
        total += info.file_size
        if total > MAX_UNPACKED_BYTES:
            raise GenLabError(f"the zip unpacks to more than {MAX_UNPACKED_BYTES // 2 ** 20} MB; nothing was unpacked")
        if info.is_dir() or path.parts[0] == "__MACOSX" or any(p.startswith(".") for p in path.parts):
            continue
        if path.suffix.lower() in IMAGE_SUFFIXES:
            images.append((path, info))
    if not images:
        raise GenLabError(f"the zip holds no images ({', '.join(sorted(IMAGE_SUFFIXES))})")
    tops = {p.parts[0] for p, _ in images}
    depth = {len(p.parts) for p, _ in images}
    strip = 1 if len(tops) == 1 and depth == {3} else 0  # one top folder around the class folders
    classes: dict[str, list[zipfile.ZipInfo]] = {}
    for path, info in images:
        parts = path.parts[strip:]
        if len(parts) != 2:
            raise GenLabError(f"expected CLASS/IMAGE inside the zip (one folder per class), found {str(path)[:80]!r}")
        classes.setdefault(parts[0], []).append(info)
    if len(classes) < 2:
        raise GenLabError(f"the zip has {len(classes)} class folder; a data set needs at least two")
    small = sorted(c for c, files in classes.items() if len(files) < MIN_PER_CLASS)
    if small:
        raise GenLabError(f"class {small[0]!r} has fewer than {MIN_PER_CLASS} images")
    return classes


def unpack_class_zip(source, name: str, root: Path | None = None) -> Path:
    """Check and unpack a zip (a path or a binary file object) into ROOT/NAME (default uploads_root()); returns
    the folder. An existing folder of that name is never overwritten."""
    root = root or uploads_root()
    size = Path(source).stat().st_size if isinstance(source, (str, Path)) else _size_of(source)
    if size > MAX_ZIP_BYTES:
        raise GenLabError(f"the zip is {size / 2 ** 20:.0f} MB; at most {MAX_ZIP_BYTES // 2 ** 20} MB")
    target = root / safe_name(name)
    if target.exists():
        raise GenLabError(f"a data set named {target.name!r} exists already; choose another name")
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise GenLabError(f"not a readable zip file ({error})") from None
    with archive:
        classes = plan(archive)
        staging = root / f".{target.name}.unpacking"
        shutil.rmtree(staging, ignore_errors=True)
        try:
            for class_name, members in classes.items():
                folder = staging / safe_name(class_name)
                folder.mkdir(parents=True, exist_ok=True)
                for index, info in enumerate(members):
                    suffix = PurePosixPath(info.filename).suffix.lower()
                    with archive.open(info) as src, open(folder / f"{index:06d}{suffix}", "wb") as dst:
                        copy_at_most(src, dst, info.file_size)
            staging.rename(target)
        except zipfile.BadZipFile as error:
            raise GenLabError(f"the zip is damaged ({error}); nothing was kept") from None
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return target


def _size_of(file) -> int:
    position = file.tell()
    file.seek(0, 2)
    size = file.tell()
    file.seek(position)
    return size


def copy_at_most(src, dst, limit: int, chunk: int = 1 << 16) -> None:
    """Copy, refusing more bytes than the member's header declared (a forged header cannot inflate past it)."""
    written = 0
    while block := src.read(chunk):
        written += len(block)
        if written > limit:
            raise GenLabError("a member of the zip holds more than its header says; nothing was kept")
        dst.write(block)
