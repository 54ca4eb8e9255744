"""A questionnaire definition ingested on its own: the study's scoring rules, as data.

A TOML file in the form of ``toolkit/instruments/questionnaires/*.toml`` (``name``, ``items``
with their options and points, ``scales`` with their rules) for a questionnaire the toolkit
knows (same name, same scales). Ingested, it is stored as a definition copy
(:mod:`toolkit.instruments.definition_rows`) and takes effect for every stored answer of that
questionnaire (``int_questionnaire_definitions``: a definition file wins over the definitions
files of answers carry), so changing an option's points or a scale's missing-item rule
re-scores old answers, with the change recorded in ``ingest_log``; removing the file
(``retrowalk remove``) restores the earlier definition.
"""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path

from toolkit.errors import IngestError
from toolkit.ingest.core.model import ParseContext, ParsedFile
from toolkit.instruments.definition_rows import DEFINITION_SCHEMAS, definition_tables
from toolkit.instruments.scoring import parse_questionnaire, questionnaires

FORMAT = "questionnaire_definition"
LOAD_ORDER = 15
LOADS: tuple[str, ...] = tuple(DEFINITION_SCHEMAS)


def sniff(head: bytes, name: str) -> bool:
    """A ``.toml`` file with questionnaire items and scales."""
    return name.lower().endswith(".toml") and b"[[scales]]" in head and b"[items." in head


def parse(path: Path, ctx: ParseContext) -> ParsedFile:
    """Validate the definition against the toolkit's questionnaire of the same name."""
    data = path.read_bytes()
    try:
        definition = parse_questionnaire(data.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, KeyError, ValueError) as exc:
        raise IngestError(f"not a valid questionnaire definition: {exc}") from exc
    known = questionnaires().get(definition.name)
    if known is None:
        raise IngestError(
            f"the questionnaire {definition.name!r} is not one retrowalk scores "
            f"({', '.join(sorted(questionnaires()))})",
            "key 'name'",
        )
    wanted = {s.instrument for s in known.scales}
    given = {s.instrument for s in definition.scales}
    if given != wanted:
        raise IngestError(
            f"the definition of {definition.name} must score the scales "
            f"{', '.join(sorted(wanted))}; it scores {', '.join(sorted(given))}",
            "[[scales]]",
        )
    missing = sorted(set(known.items) - set(definition.items))
    if missing:
        raise IngestError(
            f"the definition of {definition.name} leaves out the items {', '.join(missing)}",
            "[items]",
        )
    sha = hashlib.sha256(data).hexdigest()
    tables = definition_tables([(sha, definition, path.name)])
    return ParsedFile(tables, notes={"questionnaire_definitions": 1})
