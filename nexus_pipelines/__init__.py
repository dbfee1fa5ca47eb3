"""nexus-pipelines: the operations playbook's metrics as Dagster assets over DuckDB."""

import os

# A run over many partitions records one "planned" event per asset carrying the partition range,
# instead of one per partition (Dagster reads this in the process that creates the run: this
# package's commands, and through the Makefile and `nexus deploy`, the webserver and daemon).
# The cost Dagster names: a failed run does not mark its partitions failed. Here a failed write
# keeps the previous rows (warehouse.replace_where), so the partitions still show what the
# table holds, and the run itself shows as failed.
os.environ.setdefault("DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS", "true")
