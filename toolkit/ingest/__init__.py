"""Ingest raw export files: one parser per format, one transactional load per file.

Layout: ``core/`` is the framework every format shares (the ``FormatModule`` protocol and the
registry, the canonical raw tables, sources, the loader and batches, participant linkage, CSV,
unit and time-zone helpers); each source family with several modules is a sub-package
(``fit/``, ``apple_health/``, ``redcap/``, ``vendor_csv/``, ``direction/``,
``questionnaires/``); single-file formats (``roster_csv``, ``treadmill_csv``, ``pain_csv``,
``tcx``, ``fitbit``, ``garmin_csv``, ``wearable_csv``) are modules here.

Public entry points: :func:`toolkit.ingest.core.batch.ingest_paths` (used by ``Study.ingest`` and
``retrowalk ingest``), each format module's ``parse`` for a single file, and
``toolkit.ingest.fit.read_fit``. Importing this package loads nothing else.
"""
