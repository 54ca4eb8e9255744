"""Which participant a wearable export belongs to: the folder convention.

Wearable exports (Apple Health, Fitbit Takeout, Garmin Connect) do not name the study
participant, so the file's path must. The rule, applied to the path components below the
folder or zip the user named (``ParseContext.parts``, including the file and zip names):

- a component *equal* to an enrolled participant id links the file (``RW0001/export.zip``,
  ``exports/RW0001/apple_health_export/export.xml``);
- so does a component that *starts* with an enrolled id followed by ``_``, ``-``, ``.`` or a
  space (``RW0001_export.zip``, ``RW0001-fitbit``); ``P1`` does not match ``P10``.

Exactly one enrolled participant must match; no match or two different matches reject the file
with the reason, and nothing is loaded.
"""

from __future__ import annotations

from toolkit.errors import IngestError
from toolkit.ingest.model import ParseContext

_SEPARATORS = ("_", "-", ".", " ")


def matches(component: str, participant_id: str) -> bool:
    """Whether one path component names ``participant_id`` under the folder convention."""
    if component == participant_id:
        return True
    return (
        component.startswith(participant_id) and component[len(participant_id) :][:1] in _SEPARATORS
    )


def link_participant(ctx: ParseContext, what: str) -> str:
    """The one enrolled participant the file's path names, or raise saying why not.

    Parameters
    ----------
    ctx
        The parse context (its ``parts`` and ``participants`` are used).
    what
        How to call the file in messages, e.g. ``"an Apple Health export"``.
    """
    if not ctx.participants:
        raise IngestError(
            f"{what} can only be linked to a participant once the roster is loaded; "
            "ingest the roster first"
        )
    found = {pid for part in ctx.parts for pid in ctx.participants if matches(part, pid)}
    if not found:
        shown = "/".join(ctx.parts) or ctx.source_name
        raise IngestError(
            f"{what} cannot be linked to a participant: no folder or file name in {shown!r} is "
            "an enrolled participant id; put it in a folder named after the participant "
            "(e.g. RW0001/export.zip) or name it RW0001_..."
        )
    if len(found) > 1:
        raise IngestError(
            f"{what} is ambiguous: its path names several participants "
            f"({', '.join(sorted(found))}); keep one participant's exports per folder"
        )
    return found.pop()
