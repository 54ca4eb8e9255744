"""Constants of the lake layout that the command line needs without loading pyarrow."""

from __future__ import annotations

#: Participant hash buckets (hive partitions ``bucket=K``) of a new lake; every shard of one
#: lake must use the same number (``_lake.json`` records it).
DEFAULT_BUCKETS = 64
