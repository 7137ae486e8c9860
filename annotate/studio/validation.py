"""Check predictions against a labeling config with the SDK's ``LabelInterface``.

The same validator the server runs, used before anything is written or sent; kept in the
``studio`` package because it is the only code that imports ``label_studio_sdk``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from label_studio_sdk.label_interface.control_tags import LabelsTag
from label_studio_sdk.label_interface.interface import LabelInterface

# Object tags on which a Label Studio region is a span of text: a ``labels`` result there is never
# the companion of a geometry result (rectangle, polygon ...) in the "split format".
_TEXT_OBJECTS = frozenset({"Text", "HyperText", "Paragraphs"})


class ConfigValidator:
    """A parsed labeling config that validates predictions and lists its labels."""

    def __init__(self, config: str) -> None:
        self.config = config
        self.interface = LabelInterface(config)
        if all(obj.tag in _TEXT_OBJECTS for obj in self.interface.objects or []):
            _skip_split_format_search(self.interface)

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


def _skip_split_format_search(interface: LabelInterface) -> None:
    """Stop ``Labels`` controls looking for a geometry partner of each region (text-only configs).

    For every ``labels`` region the SDK scans every other region of the result for a rectangle
    or polygon with the same id: quadratic in the regions of a prediction, three quarters of the
    validation time of a news article, and a search that cannot succeed when every object tag is
    text. Everything else the validator checks (control, labels, offsets, value fields) stays.
    """
    for control in interface.controls or []:
        if isinstance(control, LabelsTag):
            object.__setattr__(control, "_get_split_partner_value_class", _no_partner)


def _no_partner(context: dict[str, Any]) -> None:
    return None
