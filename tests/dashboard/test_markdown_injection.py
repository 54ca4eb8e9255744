"""Data is shown as text, never as Markdown (issue 15 item 9).

A roster ``site`` of ``![x](http://attacker.example/beacon.png)`` used to reach the Participant
page's ``st.markdown`` unescaped, so every viewer's browser fetched that URL; a crafted link
(``?sites=...``) put Markdown into every page's cohort caption the same way.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.text import plain
from tests.dashboard.test_pages import app  # noqa: F401  (the AppTest fixture)

ATTACK = "![x](http://attacker.example/beacon.png) [click](http://attacker.example) :red[big]"
#: Markdown that would become an image, a link, a raw HTML tag or a Streamlit directive, once
#: every backslash-escaped character is taken out.
LIVE = re.compile(r"\]\(|<[a-z!/]|:[a-z]+\[|!\[")


def live_markdown(text: str) -> bool:
    return bool(LIVE.search(re.sub(r"\\.", "", text)))


def shown_markdown(at: AppTest) -> list[str]:
    """Every Markdown text the run produced (markdown, captions, headers, alerts)."""
    kinds = ("markdown", "caption", "title", "header", "subheader", "info", "warning", "error")
    return [str(element.value) for kind in kinds for element in getattr(at, kind)]


def test_plain_escapes_everything_markdown_acts_on() -> None:
    assert not live_markdown(plain(ATTACK))
    assert live_markdown(ATTACK)
    assert "attacker.example" in plain(ATTACK).replace("\\", "")


@pytest.fixture
def hostile_study(study_copy: Path) -> tuple[Path, str]:
    """The demo copy with one site renamed to the attack; returns it and one of its members."""
    conn = duckdb.connect(str(study_copy))
    site, member = conn.execute(
        "select site, min(participant_id) from raw_participants group by site order by site limit 1"
    ).fetchone()
    conn.execute("update raw_participants set site = ? where site = ?", [ATTACK, site])
    conn.close()
    return study_copy, member


def test_participant_page_shows_a_hostile_site_as_text(
    app: Callable[..., AppTest],  # noqa: F811 (the imported fixture)
    hostile_study: tuple[Path, str],
) -> None:
    study, member = hostile_study
    at = app(study, participant=member)
    at.switch_page("views/participant.py").run()
    assert not at.exception
    texts = shown_markdown(at)
    assert any("attacker" in t for t in texts), texts  # shown ...
    assert not [t for t in texts if live_markdown(t)]  # ... as text


def test_a_crafted_link_puts_no_markdown_in_captions(
    app: Callable[..., AppTest],  # noqa: F811 (the imported fixture)
    hostile_study: tuple[Path, str],
) -> None:
    study, _ = hostile_study
    at = app(study, sites=ATTACK)
    assert not at.exception
    texts = shown_markdown(at)
    assert any("attacker" in t for t in texts), texts
    assert not [t for t in texts if live_markdown(t)]
