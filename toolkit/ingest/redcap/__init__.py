"""REDCap projects: data dictionaries (``dictionary``), the export files beside them
(``files``: event maps, instrument mappings) and the format module for record exports
(``project``)."""
