"""A checkpoint as one zip file, to download from the app or hand to a colleague, and back.

    export_zip(folder) -> bytes      NAME/card.json, NAME/weights.safetensors, NAME/README.md, ... (the whole folder)
    import_zip(source, name) -> Path the checkpoint, checked, in $GENLAB_HOME/checkpoints/NAME

    genlab-archive export vae-fashion --out vae-fashion.zip
    genlab-archive import vae-fashion.zip [--name my-vae]     (python -m gen_core.checkpoint_archive ... alike)

An imported zip is untrusted, as any upload: every member's header is checked before a byte is unpacked (paths
that leave the folder, links, encryption, decompression bombs: gen_core.data.uploads.check_member), only the files a
checkpoint has are accepted, sizes are bounded, and the unpacked folder must then load like any checkpoint (its card
against the schema, its weights' header, checksum and finiteness: gen_core.models.load_checkpoint) before it is
renamed into place. A name that is taken is refused, never overwritten; a failed import leaves nothing behind.
"""
from __future__ import annotations

import argparse
import io
import os
import re
import sys
import shutil
import uuid
import zipfile
from pathlib import Path, PurePosixPath

from gen_core import checkpoints, cli
from gen_core.data.uploads import check_member, copy_at_most, safe_name
from gen_core.errors import CheckpointError, GenLabError

MAX_ZIP_BYTES = 200 * 2 ** 20        # Streamlit's own upload limit
MAX_UNPACKED_BYTES = 600 * 2 ** 20   # the largest shipped checkpoint is under 10 MB
MAX_MEMBERS = 2_000
# What a checkpoint folder holds (gen_core.checkpoints, gen_core.model_card, gen_core.embed, train --tensorboard)
ALLOWED = re.compile(r"^(card\.json|weights\.safetensors|snapshots\.safetensors|README\.md|history\.csv|"
                     r"projections/[a-z]+\.npz|tensorboard/[A-Za-z0-9._-]+)$")


def export_zip(folder: str | Path) -> bytes:
    """The checkpoint folder as a zip, its files under NAME/ (what import_zip reads back)."""
    folder = checkpoints.folder_of(folder)
    checkpoints.read_card(folder)  # a damaged checkpoint is refused here, not handed on
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for path in sorted(folder.rglob("*")):
            relative = path.relative_to(folder).as_posix()
            if path.is_file() and not path.is_symlink() and ALLOWED.match(relative):
                archive.write(path, f"{folder.name}/{relative}")
    return buffer.getvalue()


def _members(archive: zipfile.ZipFile) -> tuple[str | None, dict[str, zipfile.ZipInfo]]:
    """(the top folder's name or None, {path inside the checkpoint: member}), every header checked."""
    infos = [i for i in archive.infolist() if not i.is_dir()]
    if len(infos) > MAX_MEMBERS:
        raise GenLabError(f"the zip holds {len(infos):,} files; a checkpoint has a handful")
    total = 0
    for info in archive.infolist():
        check_member(info)
        total += info.file_size
        if total > MAX_UNPACKED_BYTES:
            raise GenLabError(f"the zip unpacks to more than {MAX_UNPACKED_BYTES // 2 ** 20} MB; a checkpoint is "
                              f"far smaller")
    infos = [i for i in infos if not PurePosixPath(i.filename).parts[0] == "__MACOSX"
             and not PurePosixPath(i.filename).name.startswith(".")]
    if not infos:
        raise GenLabError("the zip is empty")
    tops = {PurePosixPath(i.filename).parts[0] for i in infos}
    nested = all(len(PurePosixPath(i.filename).parts) > 1 for i in infos)
    top = tops.pop() if len(tops) == 1 and nested else None
    members: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        parts = PurePosixPath(info.filename).parts
        inside = "/".join(parts[1:] if top else parts)
        if not ALLOWED.match(inside):
            raise GenLabError(f"the zip holds {info.filename[:80]!r}, which is not part of a GenLab checkpoint "
                              f"(card.json, weights.safetensors, README.md, history.csv, ...); nothing was imported")
        if inside in members:
            raise GenLabError(f"the zip holds {inside!r} twice; nothing was imported")
        members[inside] = info
    for needed in (checkpoints.CARD, checkpoints.WEIGHTS):
        if needed not in members:
            raise GenLabError(f"the zip has no {needed}: it is not a GenLab checkpoint (download one from the Train "
                              f"page, or zip a checkpoint folder)")
    return top, members


def import_zip(source, name: str = "", root: Path | None = None) -> Path:
    """Check a checkpoint zip (bytes, a path or a binary file object) and unpack it into ROOT/NAME (default: the
    user's checkpoints folder; NAME: `name`, else the zip's top folder, else "imported"). Returns the folder."""
    data = source if isinstance(source, bytes) else Path(source).read_bytes() if isinstance(source, (str, Path)) \
        else source.read()
    if len(data) > MAX_ZIP_BYTES:
        raise GenLabError(f"the zip is {len(data) / 2 ** 20:.0f} MB; at most {MAX_ZIP_BYTES // 2 ** 20} MB")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError) as error:
        raise GenLabError(f"not a readable zip file ({error})") from None
    root = root or checkpoints.user_dir()
    with archive:
        top, members = _members(archive)
        target = root / safe_name(name or top or "imported")
        if target.exists() or target.is_symlink():
            raise GenLabError(f"a checkpoint named {target.name!r} exists already; give this one another name "
                              f"(nothing was imported)")
        staging = root / f".{target.name}.tmp-{uuid.uuid4().hex[:8]}"
        try:
            for inside, info in members.items():
                destination = staging / inside
                destination.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(info) as src, open(destination, "wb") as dst:
                    copy_at_most(src, dst, info.file_size)
            _check_loads(staging)
            staging.rename(target)
        except zipfile.BadZipFile as error:
            raise GenLabError(f"the zip is damaged ({error}); nothing was imported") from None
        except OSError as error:
            raise GenLabError(f"could not unpack into {root} ({error.strerror or error}); nothing was imported") \
                from None
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return target


def _check_loads(folder: Path) -> None:
    """The unpacked folder must be a checkpoint GenLab can load: card, weights header, checksum, finite weights."""
    from gen_core.models import load_checkpoint
    try:
        load_checkpoint(folder)
    except CheckpointError as error:
        raise GenLabError(f"the zip's checkpoint does not load: {str(error).replace(str(folder), 'it')}; nothing "
                          f"was imported") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=cli.program("gen_core.checkpoint_archive"), description="Export a checkpoint as a zip, or import one.")
    commands = parser.add_subparsers(dest="command", required=True)
    export = commands.add_parser("export", help="write a checkpoint (a name or a folder) as a zip")
    export.add_argument("checkpoint")
    export.add_argument("--out", required=True, help="the .zip file to write (never replaced)")
    imported = commands.add_parser("import", help="check a checkpoint zip and add it to your checkpoints")
    imported.add_argument("zip")
    imported.add_argument("--name", default="", help="the name to give it (default: the zip's folder)")
    args = parser.parse_args(argv)
    try:
        if args.command == "import":
            folder = import_zip(Path(args.zip).expanduser(), args.name)
            print(f"imported {folder}: {checkpoints.summary(checkpoints.read_card(folder))}")
            return 0
        out = Path(args.out).expanduser()
        if out.suffix.lower() != ".zip":
            raise GenLabError(f"--out {args.out!r}: the file must end in .zip")
        if out.exists() or out.is_symlink():
            raise GenLabError(f"{out} exists already; name another file (nothing was written)")
        data = export_zip(checkpoints.resolve(args.checkpoint))
        tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
        try:
            tmp.write_bytes(data)
            tmp.replace(out)
        except OSError as error:
            tmp.unlink(missing_ok=True)
            raise GenLabError(f"could not write {out} ({error.strerror or error}); nothing was written") from None
        print(f"wrote {out} ({len(data) / 2 ** 20:.1f} MB)")
        return 0
    except (GenLabError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
