"""Questionnaire answers: the shared response rows and scoring to canonical tables (``rows``)
and the item-level CSV format module (``items``); REDCap exports reuse ``rows``."""
