"""The demo study: a seeded, deterministic simulation of a three-arm retro-walking trial.

``build_demo`` writes realistic raw export files (roster, treadmill sessions, pain scores) and
ingests them into a study file; ``MODEL.md`` beside this file documents the generating model,
whose true effects (``TRUE_EFFECTS``) tests use to check that the statistics recover them.
"""

from retrowalk_demo.build import build_demo, default_demo_study, quality_folder
from retrowalk_demo.model import TRUE_EFFECTS, DemoModel

__all__ = ["TRUE_EFFECTS", "DemoModel", "build_demo", "default_demo_study", "quality_folder"]
