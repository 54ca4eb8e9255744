"""Audit of a rendered report: no hidden count can be recovered from what the HTML shows.

The reader's view is rebuilt from the HTML alone (table cells, paragraphs, table notes, and
the embedded plotly JSON: hover templates, bar labels, legends, titles, customdata): for every
count the report-wide model knows, what the page shows at its place (a number, ``<5`` or
``*``). The meaning of each place (which participants it counts) is the attacker's knowledge;
the numbers come from the page. On that view no small count may be recovered exactly (rank
test) or narrowed below ``<min_cell`` (linear programming: its feasible interval must contain
[1, min_cell - 1]). Completeness: every count-looking number on the page sits at a modelled
place. Run on the 90-participant demo report and on a 12-participant cohort.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from toolkit.report import build_content
from toolkit.report.count_sources import METHODS_PATTERNS, NOTE_SIZE
from toolkit.report.model import ReportContent
from toolkit.report.privacy import COUNTED
from toolkit.report.published_counts import _PARAGRAPHS, TITLE_SIZE, _threshold
from toolkit.report.render import render_html
from toolkit.report.suppression import Count, exposed, integer_ranges, narrowed
from toolkit.study import open_study

TOKEN = re.compile(r"^(\d+|<\d+|\*)$")


class Page:
    """What a reader sees in the HTML: tables, paragraphs, notes and plotly figures."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tables: dict[str, tuple[list[str], list[list[str]]]] = {}
        for m in re.finditer(r'<table id="table-([^"]+)">(.*?)</table>', text, re.S):
            head = [html.unescape(h) for h in re.findall(r'<th title="([^"]*)"', m[2])]
            rows = [
                [
                    html.unescape(re.sub(r"<[^>]+>", "", c))
                    for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
                ]
                for row in re.findall(r"<tr>(.*?)</tr>", m[2].split("<tbody>")[1], re.S)
            ]
            self.tables[m[1]] = (head, rows)
        self.paragraphs: dict[str, list[str]] = {}
        for m in re.finditer(r'<section id="([^"]+)">(.*?)</section>', text, re.S):
            self.paragraphs[m[1]] = [
                html.unescape(p) for p in re.findall(r"<p>(.*?)</p>", m[2], re.S)
            ]
        self.notes: dict[str, str] = {}
        for m in re.finditer(
            r'<table id="table-([^"]+)">.*?</table>\s*(?:<p class="note">(.*?)</p>)?', text, re.S
        ):
            self.notes[m[1]] = html.unescape(m[2] or "")
        self.figures: dict[str, tuple[list[dict[str, Any]], dict[str, Any]]] = {}
        decoder = json.JSONDecoder()
        for m in re.finditer(r'Plotly\.newPlot\(\s*"figure-([^"]+)",\s*', text):
            data, end = decoder.raw_decode(text, m.end())
            rest = text[end:].lstrip().lstrip(",").lstrip()
            layout, _ = decoder.raw_decode(rest)
            self.figures[m[1]] = (data, layout)

    def cell(self, table: str, row: int, column: str) -> str:
        head, rows = self.tables[table]
        return rows[row][head.index(column)]


def _token(text: str | None) -> str | None:
    if text is None:
        return None
    text = text.strip()
    return text if TOKEN.match(text) else None


def shown_at(page: Page, key: tuple[Any, ...]) -> str | None:
    """What the page shows at a modelled count's place (None: nothing there)."""
    kind = key[0]
    if kind == "implied" or kind == "markers":
        return None
    if kind == "text":
        paragraph = page.paragraphs[key[1]][key[2]]
        found = re.search(_PARAGRAPHS[key[3]].replace(r"(\d+)", r"(\d+|<\d+|\*)"), paragraph)
        return found[2] if found else None
    if kind == "para":
        if key[3] == "at":
            return "*"  # hidden where found: checked by the completeness test
        paragraph = page.paragraphs[key[1]][key[2]]
        found = list(re.finditer(METHODS_PATTERNS[key[3]], paragraph))
        return found[key[4]][1]
    if kind == "note":
        found = [m for m in re.finditer(NOTE_SIZE, page.notes[key[1]]) if m[1] == key[2]]
        return found[0][2]
    if kind == "pct":
        head, rows = page.tables[key[1]]
        column = head.index(key[3])
        variable = head.index("variable")
        shows = any("%" in r[column] for r in rows if r[variable].lower() == key[2].lower())
        return "shown" if shows else None
    if kind == "fig":
        data, layout = page.figures[key[1]]
        if key[2] == "title":
            title = (layout.get("title") or {}).get("text", "")
            found = re.search(TITLE_SIZE, title)
            return found[1] if found else None
        trace = data[key[2]]
        if key[1].startswith("change"):
            found = re.search(r"n=(\d+|\*)", trace.get("hovertemplate", ""))
            return found[1] if found else None
        if key[1].startswith("responders"):
            text = trace["text"][key[3]]
            found = re.search(r"n=(\d+)", text)
            if not found or trace["y"][key[3]] is None:
                return None
            return found[1] if key[4] == "n" else "shown"
        if key[1].startswith("dose_response"):
            pattern = r"\(n=(\d+|\*)" if key[3] == "n" else r"(\d+|\*) at 0 min"
            found = re.search(pattern, trace.get("name", ""))
            return found[1] if found else None
    return _token(page.cell(key[0], key[1], key[2]))


def reader_view(content: ReportContent, page: Page) -> dict[Any, Count]:
    """The model's counts, shown or hidden as the page shows them; shown ones checked."""
    out = {}
    for key, count in content.suppression.counts.items():
        if key[0] == "markers":  # one marker per pseudonym: count them on the page
            pids = _page_pseudonyms(page)
            assert count.members <= pids, key
            out[key] = count
            continue
        text = shown_at(page, key)
        if text is None and key[0] != "implied":
            continue  # nothing at that place on the page (e.g. no percentage in a column)
        if text in (None, "*"):
            out[key] = replace(count, shown=False, label="any")
        elif text.startswith("<"):
            out[key] = replace(count, shown=False, label="small")
        else:
            if text != "shown":
                assert int(text) == count.value, (key, text, count.value)
            out[key] = replace(count, shown=True)
    return out


def _page_pseudonyms(page: Page) -> set[str]:
    found: set[str] = set()
    for data, _ in page.figures.values():
        for trace in data:
            for d in trace.get("customdata") or []:
                first = d[0] if isinstance(d, list) and d else d
                if isinstance(first, str) and re.fullmatch(r"P\d+", first):
                    found.add(first)
    return found


def audit(content: ReportContent) -> tuple[Page, dict[Any, Count]]:
    page = Page(render_html(content))
    view = reader_view(content, page)
    min_cell = content.policy.min_cell
    assert exposed(view, min_cell) == []
    assert narrowed(view, min_cell) == {}
    # the exact (whole-number) attacker gets no further than the linear relaxation
    for key, (low, high) in integer_ranges(view, min_cell).items():
        assert low <= 1 + 1e-6 and high >= min_cell - 1 - 1e-6, (key, low, high)
    return page, view


def completeness(content: ReportContent, page: Page) -> None:
    """Every count-looking number on the page is at a modelled place (or 0, or hidden)."""
    modelled = content.suppression.counts
    for table, (head, rows) in page.tables.items():
        counted = [c for c in head if c in ("n", "n_excluded", "count", "missing", "n_subjects")]
        for r, row in enumerate(rows):
            for column in counted:
                text = row[head.index(column)]
                if text.isdigit() and text != "0" and not table.startswith("ingest"):
                    assert (table, r, column) in modelled, (table, r, column, text)
    for data, layout in page.figures.values():
        blob = json.dumps([data, layout])
        assert "n=%{customdata" not in blob  # per-week n is not printed in a shared report
        for m in re.finditer(r"n=(\d+)", blob):
            assert any(
                k[0] == "fig" and modelled[k].shown and modelled[k].value == int(m[1])
                for k in modelled
            ), m[0]
    for section, paragraphs in page.paragraphs.items():
        for i, paragraph in enumerate(paragraphs):
            for m in COUNTED.finditer(paragraph):
                if m[0] == "0" or paragraph[max(m.start() - 1, 0)] == "<":
                    continue
                if _threshold(paragraph, m):  # "fewer than 5 participants": the rule
                    continue
                assert any(
                    isinstance(k, tuple)
                    and k[:3] in (("para", section, i), ("text", section, i))
                    and modelled[k].shown
                    for k in modelled
                ), (section, i, m[0], paragraph[max(m.start() - 40, 0) : m.end() + 20])


@pytest.fixture(scope="module")
def demo_content(demo_study: Path) -> ReportContent:
    with open_study(demo_study, read_only=True) as opened:
        return build_content(opened, None)


@pytest.fixture(scope="module")
def small_study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 12-participant study: 4 per arm, so most per-arm counts are small."""
    from retrowalk_demo import build_demo

    path = tmp_path_factory.mktemp("small") / "study.duckdb"
    build_demo(path, participants=12, seed=7, progress=False)
    return path


@pytest.fixture(scope="module")
def small_content(small_study: Path) -> ReportContent:
    with open_study(small_study, read_only=True) as opened:
        return build_content(opened, None)


def test_the_demo_report_html_discloses_no_hidden_count(demo_content: ReportContent) -> None:
    page, view = audit(demo_content)
    assert len(view) > 150
    assert sum(1 for c in view.values() if not c.shown and 0 < c.value < 5) > 0
    completeness(demo_content, page)


@pytest.mark.slow
def test_a_12_participant_report_html_discloses_no_hidden_count(
    small_content: ReportContent,
) -> None:
    page, _ = audit(small_content)
    completeness(small_content, page)
    # per-arm counts are small: none is shown
    consort = page.tables["consort_flow"][1]
    assert all(not c.isdigit() for row in consort for c in row[2:5])


def test_the_audit_finds_a_planted_leak(demo_content: ReportContent) -> None:
    """The audit can fail: show one hidden complementary cell again and it must object."""
    page = Page(render_html(demo_content))
    view = reader_view(demo_content, page)
    hidden = [k for k, c in view.items() if k[0] == "consort_flow" and not c.shown and c.value >= 5]
    assert hidden, "the demo report hides some CONSORT cell as a complement"
    leaked = {k: replace(c, shown=True) if k[0] == "consort_flow" else c for k, c in view.items()}
    assert exposed(leaked, 5) or narrowed(leaked, 5)
