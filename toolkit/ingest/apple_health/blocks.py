"""Read an Apple Health ``export.xml`` as safe blocks of complete markup.

The XML layer under :mod:`toolkit.ingest.apple_health.scan`: the prolog is checked before
anything else is read (UTF-8 only; a DTD that declares entities is refused, so nothing can
expand), the body is cut into blocks that end before their last ``<`` (so every tag in a block
is complete), attribute values are decoded as XML requires without expanding any entity, and a
file that does not end with ``</HealthData>`` is reported as truncated.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import BinaryIO

from toolkit.errors import IngestError

#: Bytes read per block. Large enough that per-block overhead is negligible, small enough to
#: keep peak memory low.
BLOCK_BYTES = 16 * 1024 * 1024
#: A single Workout element (or comment) larger than this is refused rather than buffered.
MAX_ELEMENT_BYTES = 256 * 1024 * 1024
#: The prolog (XML declaration and DTD) must end within this many bytes.
MAX_PROLOG_BYTES = 4 * 1024 * 1024

#: Comments, CDATA sections and processing instructions: blanked before scanning.
HIDDEN_MARKUP = re.compile(rb"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>", re.DOTALL)
MARKUP_START = re.compile(rb"<[!?]")  # one regex pass: far faster than two bytes.find on '<'
_OPENERS = ((b"<!--", b"-->"), (b"<![CDATA[", b"]]>"), (b"<?", b"?>"))
#: A real ``<Workout`` start tag (not ``<WorkoutStatistics``).
WORKOUT_START = re.compile(rb"<Workout[\s/>]")
_ENTITY = re.compile(r"&(#[0-9]+|#x[0-9A-Fa-f]+|[A-Za-z_:][-A-Za-z0-9._:]*);|&")
_PREDEFINED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}
_WS = re.compile(r"\r\n|[\t\n\r]")


def decode_value(text: str, where: str) -> str:
    """Normalise and decode an attribute value the way an XML parser does, expanding nothing.

    Literal tabs and line breaks become spaces; ``&lt; &gt; &amp; &quot; &apos;`` and character
    references are decoded; any other entity reference raises.
    """
    text = _WS.sub(" ", text)
    if "&" not in text:
        return text

    def one(match: re.Match[str]) -> str:
        ref = match.group(1)
        if ref is None:
            raise IngestError("a bare '&' in an attribute value is not XML", where)
        if ref.startswith("#x"):
            return chr(int(ref[2:], 16))
        if ref.startswith("#"):
            return chr(int(ref[1:]))
        if ref in _PREDEFINED:
            return _PREDEFINED[ref]
        raise IngestError(
            f"the entity reference &{ref}; is not expanded (Apple Health exports use none); "
            "the file is refused",
            where,
        )

    return _ENTITY.sub(one, text)


def read_prolog(handle: BinaryIO) -> bytes:
    """Read up to and including the ``<HealthData`` start tag's ``<``; check the DTD is safe."""
    head = handle.read(MAX_PROLOG_BYTES)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head[:200]:
        raise IngestError("the export is not UTF-8 encoded", "byte 0")
    decl = re.match(rb"""\s*<\?xml[^>]*encoding\s*=\s*["']([^"']+)["']""", head)
    if decl and decl.group(1).decode("ascii", "replace").lower().replace("_", "-") not in (
        "utf-8",
        "utf8",
    ):
        raise IngestError(f"the export's encoding {decl.group(1)!r} is not UTF-8", "byte 0")
    visible = HIDDEN_MARKUP.sub(lambda m: b" " * len(m.group(0)), head)  # comments hide nothing
    start = re.search(rb"<HealthData[\s>/]", visible)
    if start is None:
        raise IngestError(
            f"no <HealthData> element in the first {MAX_PROLOG_BYTES // 1024**2} MB: "
            "not an Apple Health export.xml",
            "byte 0",
        )
    entity = visible.find(b"<!ENTITY", 0, start.start())
    if entity >= 0:
        raise IngestError(
            "the export's DTD declares entities, which Apple Health exports never do and which "
            "could expand without bound (billion laughs); the file is refused unread",
            f"byte {entity}",
        )
    handle.seek(start.start())
    return head[: start.start()]


def cut_point(block: bytes) -> int:
    """Where to end a block: before its last ``<``, never inside a comment or a Workout.

    Everything before the cut is then complete markup (``<`` cannot occur inside an attribute
    value). Returns 0 when the block holds no complete element.
    """
    cut = block.rfind(b"<")
    if cut <= 0:
        return 0
    if b"!" in block or b"?" in block:  # cheap hint before looking for comments and the like
        for opener, closer in _OPENERS:
            at = block.rfind(opener, 0, cut + len(opener))
            if at >= 0 and block.find(closer, at + len(opener), cut) < 0:
                cut = min(cut, at)
    at = block.rfind(b"<Workout", 0, cut)
    while at >= 0 and not WORKOUT_START.match(block, at):  # skip <WorkoutStatistics> and the like
        at = block.rfind(b"<Workout", 0, at)
    if at >= 0 and block.find(b"</Workout>", at, cut) < 0:
        tag_end = block.find(b">", at, cut)
        if tag_end < 0 or block[tag_end - 1 : tag_end] != b"/":
            cut = at
    return cut


def iter_blocks(
    handle: BinaryIO, base: int, block_bytes: int = BLOCK_BYTES
) -> Iterator[tuple[int, bytes, int]]:
    """Yield ``(offset, block, cut)``: ``block[:cut]`` is complete markup at file ``offset``.

    The next block is read from the cut (the few bytes after it are read twice), so no block
    is ever copied; the last block of the file is yielded whole.
    """
    offset = base
    size = block_bytes
    while True:
        handle.seek(offset)
        block = handle.read(size)
        if not block:
            return
        final = len(block) < size
        cut = len(block) if final else cut_point(block)
        if cut == 0:
            if size >= MAX_ELEMENT_BYTES:
                raise IngestError(
                    f"an element is larger than {MAX_ELEMENT_BYTES // 1024**2} MB; refused",
                    f"byte {offset}",
                )
            size *= 2
            continue
        yield offset, block, cut
        if final:
            return
        offset += cut
        size = block_bytes


def check_end(tail: bytes, offset: int) -> None:
    """Raise unless the file's last markup is the ``</HealthData>`` end tag."""
    if not tail.rstrip().endswith(b"</HealthData>"):
        raise IngestError(
            "the export ends before </HealthData>: the file is truncated (an interrupted copy or "
            "download?); nothing was loaded",
            f"byte {offset}",
        )
