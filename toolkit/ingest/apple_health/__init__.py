"""Apple Health ``export.xml`` (or the export zip): a bounded, safe block scanner (``blocks``,
``scan``), record conversion (``records``) and the format module (``export``)."""
