"""Treadmill console and app CSV exports read through TOML column mappings (``mappings/``,
loaded by ``mapping``): per session or lap (``export``, the format module) or per sample
(``samples``)."""
