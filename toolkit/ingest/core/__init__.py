"""The ingest framework shared by every format: what parsers receive and return (``model``),
the canonical raw tables and metric vocabulary (``canonical``), how files are found in folders
and zips (``sources``), detection (``registry`` and its ``FormatModule`` protocol), the
transactional per-file load (``loader``), batches (``batch``), participant linkage
(``linkage``) and the CSV, unit and time-zone helpers parsers share.

Importing this package loads nothing: import the module you need.
"""
