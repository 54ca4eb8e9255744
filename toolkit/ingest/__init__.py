"""Ingest raw export files: one parser module per format, one transactional load per file.

Public entry points: :func:`toolkit.ingest.core.batch.ingest_paths` (used by ``Study.ingest`` and
``retrowalk ingest``) and each parser module's ``parse`` for a single file.
"""
