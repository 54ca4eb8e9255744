"""Whether ``retrowalk demo`` may rebuild the study at a path: only a demo study, or when told."""

from __future__ import annotations

from pathlib import Path

from toolkit.db.study_file import check_study_path, ingested_paths
from toolkit.errors import UsageError


def foreign_sources(study: Path, demo_folders: list[Path]) -> list[str]:
    """Sources in ``study``'s ingest log that lie outside ``demo_folders`` (the demo's own
    ``raw/`` and ``quality/``): data someone ingested that a rebuild would throw away."""
    roots = [folder.resolve() for folder in demo_folders]
    return [
        p
        for p in ingested_paths(study)
        if not any(Path(p).resolve().is_relative_to(root) for root in roots)
    ]


def check_demo_target(study: Path, demo_folders: list[Path], *, overwrite: bool) -> None:
    """Refuse (a usage error) to replace an existing study holding data not from the demo,
    unless ``overwrite``; a path that is not a study file is refused in any case."""
    if not (study.exists() or study.is_symlink()):
        return
    check_study_path(study, create=True)
    if overwrite:
        return
    foreign = foreign_sources(study, demo_folders)
    if foreign:
        raise UsageError(
            f"{study} holds data that did not come from the demo ({len(foreign)} source(s), "
            f"e.g. {foreign[0]}); the demo would replace it. Choose another --study path, "
            "or pass --overwrite to replace it"
        )
