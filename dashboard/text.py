"""Data shown inside Markdown is shown as text: every Markdown control character escaped.

Why: Streamlit renders ``st.markdown``, ``st.caption``, ``st.info``/``warning``/``error`` and
headers as Markdown (GitHub-flavoured, plus Streamlit's ``:color[...]`` and ``:icon:``
directives). A roster ``site`` of ``![x](http://host/beacon.png)`` made every viewer's browser
fetch that URL from the Participant page, and a crafted link (``?site=...``) put text into the
cohort caption the same way. Any value that comes from the study, a file or the URL goes through
:func:`plain` before it is placed into such text; tables (``st.dataframe``) and widget options
already show text as text.
"""

from __future__ import annotations

import re

# Every ASCII punctuation character may be backslash-escaped in CommonMark; escaping all of the
# ones Markdown, GFM, KaTeX ($) and Streamlit's directives (:) use leaves nothing to interpret.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:=&\"'])")


def plain(value: object) -> str:
    """``value`` as text that Markdown shows literally (newlines become spaces)."""
    text = " ".join(str(value).splitlines())
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)
