"""A questionnaire definition as rows: the copy a study stores with every ingest that uses it.

Each file of item answers stores, beside the answers, the definition it was read with (the
packaged TOML of the toolkit that ingested it), and a definition TOML ingested on its own stores
the same rows; the views score the answers by the definition *in effect* (see
``int_questionnaire_definitions``). So a changed option's points or scale rule re-scores old
answers only through a definition change the study records (a file in ``ingest_log``), never
because the toolkit was upgraded.

Three tables, each row keyed by ``definition_sha256`` (the sha256 of the TOML text):

- ``raw_questionnaire_scales``: questionnaire, instrument, method, n_items, max_missing,
  min_answered, item_max (the highest points of its items), definition (where it came from);
- ``raw_questionnaire_scale_items``: instrument, item;
- ``raw_questionnaire_options``: questionnaire, item, option_index (0-based box order; null for a
  continuous item), label, label_key (:func:`normalise_label`), points, low, high.
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib import resources

import polars as pl

from toolkit.instruments.scoring import Questionnaire, normalise_label, parse_questionnaire

__all__ = ["DEFINITION_SCHEMAS", "definition_tables", "packaged_definition"]

DEFINITION_SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    "raw_questionnaire_scales": {
        "definition_sha256": pl.String(),
        "questionnaire": pl.String(),
        "instrument": pl.String(),
        "method": pl.String(),
        "n_items": pl.Int32(),
        "max_missing": pl.Int32(),
        "min_answered": pl.Int32(),
        "item_max": pl.Float64(),
        "definition": pl.String(),
    },
    "raw_questionnaire_scale_items": {
        "definition_sha256": pl.String(),
        "instrument": pl.String(),
        "item": pl.String(),
    },
    "raw_questionnaire_options": {
        "definition_sha256": pl.String(),
        "questionnaire": pl.String(),
        "item": pl.String(),
        "option_index": pl.Int32(),
        "label": pl.String(),
        "label_key": pl.String(),
        "points": pl.Float64(),
        "low": pl.Float64(),
        "high": pl.Float64(),
    },
}


@cache
def packaged_definition(name: str) -> tuple[str, Questionnaire, str]:
    """The toolkit's definition of questionnaire ``name``: (sha256, parsed, file name)."""
    folder = resources.files("toolkit.instruments").joinpath("questionnaires")
    for entry in folder.iterdir():
        if entry.name.endswith(".toml"):
            text = entry.read_bytes()
            parsed = parse_questionnaire(text.decode("utf-8"))
            if parsed.name == name:
                return hashlib.sha256(text).hexdigest(), parsed, entry.name
    raise KeyError(f"no packaged questionnaire {name!r}")


def definition_tables(
    definitions: list[tuple[str, Questionnaire, str]],
) -> dict[str, pl.DataFrame]:
    """The rows of ``definitions`` (sha256, questionnaire, where it came from) for the three
    definition tables."""
    scales: list[tuple[object, ...]] = []
    scale_items: list[tuple[object, ...]] = []
    options: list[tuple[object, ...]] = []
    for sha, q, source in definitions:
        for scale in q.scales:
            scales.append(
                (sha, q.name, scale.instrument, scale.method, len(scale.items),
                 scale.max_missing, scale.min_answered,
                 max(q.items[i].max_points for i in scale.items), source)
            )  # fmt: skip
            scale_items.extend((sha, scale.instrument, item) for item in scale.items)
        for item in q.items.values():
            if item.options:
                options.extend(
                    (sha, q.name, item.id, index, o.label, normalise_label(o.label), o.points,
                     None, None)
                    for index, o in enumerate(item.options)
                )  # fmt: skip
            else:
                options.append((sha, q.name, item.id, None, None, None, None, item.low, item.high))
    rows = {
        "raw_questionnaire_scales": scales,
        "raw_questionnaire_scale_items": scale_items,
        "raw_questionnaire_options": options,
    }
    return {
        name: pl.DataFrame(rows[name], schema=schema, orient="row")
        for name, schema in DEFINITION_SCHEMAS.items()
    }
