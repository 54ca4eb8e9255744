"""Turn what the user named (files, folders, zips) into a flat list of files to ingest.

Zip archives are read member by member without trusting them: a member whose name would escape
the extraction folder (absolute path, ``..``) is refused, and so is an archive whose members
claim more than ``MAX_UNPACKED_BYTES`` in all or compress better than ``MAX_RATIO`` (a zip bomb).
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from toolkit.errors import IngestError

MAX_UNPACKED_BYTES = 16 * 1024**3
MAX_RATIO = 200
_SKIP_NAMES = {".ds_store", "thumbs.db"}


@dataclass(frozen=True)
class SourceFile:
    """One file to ingest, on disk (extracted first if it came from a zip)."""

    name: str
    path: Path
    parts: tuple[str, ...]

    def sha256(self) -> str:
        """Content hash, streamed."""
        digest = hashlib.sha256()
        with self.path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()

    def head(self, size: int) -> bytes:
        """The first ``size`` bytes, for format detection."""
        with self.path.open("rb") as handle:
            return handle.read(size)


@dataclass(frozen=True)
class Unreadable:
    """Something the user named that cannot be turned into files (reported as rejected)."""

    name: str
    error: IngestError


def _wanted(path: Path) -> bool:
    return not path.name.startswith(".") and path.name.lower() not in _SKIP_NAMES


def expand(paths: list[Path], workdir: Path) -> Iterator[SourceFile | Unreadable]:
    """Yield every file under ``paths`` in a stable order, extracting zips into ``workdir``."""
    for root in paths:
        if not root.exists():
            yield Unreadable(str(root), IngestError("no such file or folder"))
        elif root.is_dir():
            for path in sorted(p for p in root.rglob("*") if p.is_file()):
                rel = path.relative_to(root)
                if all(_wanted(Path(part)) for part in rel.parts):
                    yield from _one(path, (root.name, *rel.parts), workdir)
        else:
            yield from _one(root, (root.name,), workdir)


def _one(path: Path, parts: tuple[str, ...], workdir: Path) -> Iterator[SourceFile | Unreadable]:
    if path.suffix.lower() == ".zip" and zipfile.is_zipfile(path):
        yield from _zip_members(path, parts, workdir)
    else:
        yield SourceFile(str(path), path, parts)


def _zip_members(
    archive: Path, parts: tuple[str, ...], workdir: Path
) -> Iterator[SourceFile | Unreadable]:
    try:
        with zipfile.ZipFile(archive) as zf:
            infos = [i for i in zf.infolist() if not i.is_dir()]
            check_zip_safety(infos)
            target = Path(tempfile.mkdtemp(dir=workdir))
            for info in sorted(infos, key=lambda i: i.filename):
                member = PurePosixPath(info.filename)
                if not all(_wanted(Path(p)) for p in member.parts):
                    continue
                out = target.joinpath(*member.parts)
                out.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, out.open("wb") as dst:
                    _copy_limited(src, dst, info.file_size)
                yield SourceFile(f"{archive}!{info.filename}", out, (*parts, *member.parts))
    except IngestError as exc:
        yield Unreadable(str(archive), exc)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        yield Unreadable(str(archive), IngestError(f"the zip archive cannot be read: {exc}"))


def check_zip_safety(infos: list[zipfile.ZipInfo]) -> None:
    """Refuse members that escape the target folder and archives that unpack too far."""
    total = 0
    for info in infos:
        member = PurePosixPath(info.filename.replace("\\", "/"))
        if member.is_absolute() or ".." in member.parts or ":" in info.filename:
            raise IngestError(
                f"zip member {info.filename!r} would be written outside the extraction folder; "
                "the archive is refused"
            )
        total += info.file_size
        if info.compress_size and info.file_size / info.compress_size > MAX_RATIO:
            raise IngestError(
                f"zip member {info.filename!r} expands {info.file_size // info.compress_size}x "
                f"(limit {MAX_RATIO}x): refused as a possible zip bomb"
            )
    if total > MAX_UNPACKED_BYTES:
        raise IngestError(
            f"the archive would unpack to {total / 1024**3:.1f} GiB "
            f"(limit {MAX_UNPACKED_BYTES / 1024**3:.0f} GiB): refused"
        )


def _copy_limited(src: object, dst: object, declared: int) -> None:
    """Copy at most the declared size; a member that inflates past it is a lie, refused."""
    written = 0
    while True:
        block = src.read(1 << 20)  # type: ignore[attr-defined]
        if not block:
            return
        written += len(block)
        if written > declared:
            raise IngestError("a zip member unpacks to more than its declared size: refused")
        dst.write(block)  # type: ignore[attr-defined]


def remove_tree(path: Path) -> None:
    """Delete a scratch folder, ignoring what is already gone."""
    shutil.rmtree(path, ignore_errors=True)
