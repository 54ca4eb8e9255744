"""Walking direction for device exports, which never record it: manifest and interval-plan rules
(``rules``), applying them to a session (``label``) and the manifest as an ingested file
(``manifest``, the format module)."""
