"""Turn what the user named (files, folders, zips) into a flat list of files to ingest.

Zip archives are read member by member without trusting them: a member whose name would escape
the extraction folder (absolute path, ``..``) is refused, and so is an archive whose members
compress better than ``MAX_RATIO`` (a zip bomb) or that goes over the :class:`ZipLimits`
(members and expanded bytes per archive and per batch; configurable, see ``retrowalk ingest
--help``). Extracted members are written mode 0600 into the caller's private folder.

Symbolic links inside a folder the user named are followed only while they stay inside that
folder: a link to ``/etc/shadow`` in an exports folder is rejected with that reason, and nothing
of its target (not even a hash) is read.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from toolkit.errors import IngestError

MAX_UNPACKED_BYTES = 8 * 1024**3
MAX_RATIO = 200


@dataclass(frozen=True)
class ZipLimits:
    """How much one ingest may unpack: per archive and over the whole batch.

    Defaults fit the largest real exports (a 2 GB Apple Health zip expands to about 4 GiB in
    one member) while stopping a 50,000-member archive (minutes of work) or one that expands to
    many gigabytes before any of it is written.
    """

    members_per_archive: int = 10_000
    bytes_per_archive: int = MAX_UNPACKED_BYTES
    members_per_batch: int = 50_000
    bytes_per_batch: int = 32 * 1024**3


@dataclass
class _Budget:
    """What the batch has unpacked so far, against its :class:`ZipLimits`."""

    limits: ZipLimits
    members: int = 0
    bytes: int = 0
    archives: list[str] = field(default_factory=list)


def _size(n: int) -> str:
    for unit, scale in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} bytes"


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


def expand(
    paths: list[Path], workdir: Path, limits: ZipLimits | None = None
) -> Iterator[SourceFile | Unreadable]:
    """Yield every file under ``paths`` in a stable order, extracting zips into ``workdir``."""
    budget = _Budget(limits or ZipLimits())
    for root in paths:
        if not root.exists():
            yield Unreadable(str(root), IngestError("no such file or folder"))
        elif root.is_dir():
            for path in _walk(root):
                rel = path.relative_to(root)
                if not all(_wanted(Path(part)) for part in rel.parts):
                    continue
                outside = _leaves(path, root)
                if outside is not None:
                    yield Unreadable(str(path), outside)
                elif path.is_file():
                    yield from _one(path, (root.name, *rel.parts), workdir, budget)
        else:
            yield from _one(root, (root.name,), workdir, budget)


def _walk(root: Path) -> list[Path]:
    """Files and symlinks under ``root``, sorted; symlinked folders are listed, not entered."""
    found = []
    for folder, dirs, files in os.walk(root, followlinks=False):
        here = Path(folder)
        found += [here / name for name in files]
        found += [here / name for name in dirs if (here / name).is_symlink()]
    return sorted(found)


def _leaves(path: Path, root: Path) -> IngestError | None:
    """An error when ``path`` is a symbolic link whose target lies outside ``root``."""
    if not path.is_symlink():
        return None
    target = path.resolve()
    if target.is_relative_to(root.resolve()):
        return None  # inside: a file is read through it, a folder is walked by its real path
    return IngestError(
        f"symbolic link to {target}, outside the folder you named ({root}): not followed; "
        "name that file or folder itself if it is meant to be ingested"
    )


def _one(
    path: Path, parts: tuple[str, ...], workdir: Path, budget: _Budget
) -> Iterator[SourceFile | Unreadable]:
    if path.suffix.lower() == ".zip" and zipfile.is_zipfile(path):
        yield from _zip_members(path, parts, workdir, budget)
    else:
        yield SourceFile(str(path), path, parts)


def check_zip_limits(archive: Path, infos: list[zipfile.ZipInfo], budget: _Budget) -> None:
    """Refuse an archive over its own limits or one that would take the batch over its limits;
    counts it against the batch when accepted."""
    limits = budget.limits
    members = len(infos)
    size = sum(i.file_size for i in infos)
    hint = "; raise the limit with retrowalk ingest --max-zip-{} if the archive is trusted"
    if members > limits.members_per_archive:
        raise IngestError(
            f"the archive has {members:,} files (limit {limits.members_per_archive:,} per "
            "archive): refused" + hint.format("members")
        )
    if size > limits.bytes_per_archive:
        raise IngestError(
            f"the archive would unpack to {_size(size)} (limit {_size(limits.bytes_per_archive)} "
            "per archive): refused" + hint.format("size")
        )
    if budget.members + members > limits.members_per_batch:
        raise IngestError(
            f"unpacking this archive's {members:,} files would take this ingest to "
            f"{budget.members + members:,} (limit {limits.members_per_batch:,} per ingest): "
            "refused; ingest it in a separate run" + hint.format("batch-members")
        )
    if budget.bytes + size > limits.bytes_per_batch:
        raise IngestError(
            f"unpacking this archive ({_size(size)}) would take this ingest to "
            f"{_size(budget.bytes + size)} (limit {_size(limits.bytes_per_batch)} per ingest): "
            "refused; ingest it in a separate run" + hint.format("batch-size")
        )
    budget.members += members
    budget.bytes += size
    budget.archives.append(str(archive))


def _zip_members(
    archive: Path, parts: tuple[str, ...], workdir: Path, budget: _Budget
) -> Iterator[SourceFile | Unreadable]:
    member_name: str | None = None  # the member being unpacked, for a damaged one's position
    try:
        with zipfile.ZipFile(archive) as zf:
            infos = [i for i in zf.infolist() if not i.is_dir()]
            check_zip_limits(archive, infos, budget)
            check_zip_safety(infos)
            target = Path(tempfile.mkdtemp(dir=workdir))
            for info in sorted(infos, key=lambda i: i.filename):
                member = PurePosixPath(info.filename)
                if not all(_wanted(Path(p)) for p in member.parts):
                    continue
                member_name = info.filename
                out = target.joinpath(*member.parts)
                out.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
                with zf.open(info) as src, os.fdopen(fd, "wb") as dst:
                    _copy_limited(src, dst, info.file_size)
                yield SourceFile(f"{archive}!{info.filename}", out, (*parts, *member.parts))
    except IngestError as exc:
        yield Unreadable(str(archive), exc)
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise  # the disk is full: not the archive's fault (see batch.ingest_paths)
        yield Unreadable(str(archive), IngestError(f"the zip archive cannot be read: {exc}"))
    except (zipfile.BadZipFile, EOFError, zlib.error, NotImplementedError, RuntimeError) as exc:
        # a damaged compressed stream (zlib), an unsupported method or an encrypted member
        where = f"zip member {member_name!r}" if member_name else None
        yield Unreadable(
            str(archive),
            IngestError(f"the zip archive cannot be read: {exc}", where),
        )


def check_zip_safety(infos: list[zipfile.ZipInfo]) -> None:
    """Refuse members that escape the target folder and archives that unpack too far."""
    for info in infos:
        member = PurePosixPath(info.filename.replace("\\", "/"))
        if member.is_absolute() or ".." in member.parts or ":" in info.filename:
            raise IngestError(
                f"zip member {info.filename!r} would be written outside the extraction folder; "
                "the archive is refused"
            )
        if info.compress_size and info.file_size / info.compress_size > MAX_RATIO:
            raise IngestError(
                f"zip member {info.filename!r} expands {info.file_size // info.compress_size}x "
                f"(limit {MAX_RATIO}x): refused as a possible zip bomb"
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
