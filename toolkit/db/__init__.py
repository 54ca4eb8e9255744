"""The study database: versioned schema (migrations), reference data and SQL views."""
