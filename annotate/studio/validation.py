"""Check predictions against a labeling config with the SDK's ``LabelInterface``.

The same validator the server runs, used before anything is written or sent; kept in the
``studio`` package because it is the only code that imports ``label_studio_sdk``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from label_studio_sdk.label_interface.interface import LabelInterface


class ConfigValidator:
    """A parsed labeling config that validates predictions and lists its labels."""

    def __init__(self, config: str) -> None:
        self.config = config
        self.interface = LabelInterface(config)

    def errors(self, prediction: dict[str, Any]) -> list[str]:
        """Everything wrong with ``prediction`` under this config (empty when it is valid)."""
        found = self.interface.validate_prediction(prediction, return_errors=True)
        return [str(error) for error in found or []]

    def labels(self, control: str) -> list[str]:
        """The labels of one control tag, in config order (empty if the config lacks it)."""
        try:
            return list(self.interface.get_control(control).labels)
        except Exception:
            return []

    def relation_labels(self) -> list[str]:
        """The values of the ``<Relation>`` tags (the roles)."""
        return [str(tag.get("value")) for tag in ET.fromstring(self.config).iter("Relation")]
