"""Label Studio JSON, without the network: tasks and predictions built from documents, checked
against the text and the schema, and labeling configs read and compared.

- ``tasks``: ``Document`` -> task ``data`` and prediction ``result`` lists; stable region ids.
- ``validation``: every region and relation of a task's predictions checked against its text
  and the schema, in time linear in the regions.
- ``config``: a labeling config's controls, labels and roles; what differs between two configs;
  whether annotate generated a config and nobody edited it since.
"""

from __future__ import annotations

from annotate.labelstudio.labelconfig import RESERVED_DATA_KEYS
from annotate.labelstudio.tasks import TaskBuilder, region_id, task_data

__all__ = ["RESERVED_DATA_KEYS", "TaskBuilder", "region_id", "task_data"]
