"""Where the offsets of a normalised text fall in the input text it came from.

``annotate.articles.normalize_text`` removes a byte order mark, leading and trailing white space
and control characters, turns CRLF and other line breaks into LF and composes characters (NFC),
so offsets into the normalised text (everything annotate produces) are not offsets into the input.
``normalize_with_offsets`` returns the same text and an ``OffsetMap``: the breakpoints
``(normalised boundary, input boundary)`` where the difference between the two changes, empty
when the text was already normal. ``OffsetMap.to_source`` maps a span back, exactly at every
boundary between characters (inside a group of input characters composed into one, a boundary
maps to the start of the group). Tasks carry the map as ``data["source_offsets"]``.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

_BOM = "\ufeff"
_LINE_BREAK_RE = re.compile(r"\r\n|\r|\x85|\u2028|\u2029")
# C0/C1 control characters except tab and newline; they break offsets in browsers and parsers.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x84\x86-\x9f]")
_UNIT_RE = re.compile(r"\r\n|.", re.DOTALL)


@dataclass(frozen=True)
class OffsetMap:
    """Breakpoints ``(normalised boundary, input boundary)``; between two, offsets move together."""

    points: tuple[tuple[int, int], ...] = ()

    def to_source(self, start: int, end: int) -> tuple[int, int]:
        """The input text's ``(start, end)`` of the normalised span ``[start, end)``."""
        return self._boundary(start), self._boundary(end)

    def _boundary(self, offset: int) -> int:
        if not self.points:
            return offset
        index = bisect.bisect_right(self.points, (offset, float("inf"))) - 1
        if index < 0:
            return offset
        normalised, source = self.points[index]
        return source + offset - normalised

    def as_list(self) -> list[list[int]]:
        """JSON-ready breakpoints."""
        return [list(point) for point in self.points]

    @classmethod
    def from_list(cls, points: Sequence[Sequence[int]]) -> OffsetMap:
        """The map of breakpoints read back from JSON."""
        return cls(tuple((int(a), int(b)) for a, b in points))


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFC", text.removeprefix(_BOM))
    return _CONTROL_RE.sub("", _LINE_BREAK_RE.sub("\n", text))


def normalize_text(text: str) -> str:
    """``text`` in the one form every offset refers to (see the module doc)."""
    return _clean(text).strip()


def normalize_with_offsets(text: str) -> tuple[str, OffsetMap]:
    """The normalised text and the map of its offsets into ``text``."""
    cleaned = _clean(text)
    normal = cleaned.strip()
    if cleaned == text:  # already normal but for white space around it: one shift, or none
        lead = len(cleaned) - len(cleaned.lstrip())
        return normal, OffsetMap(((0, lead),) if lead and normal else ())
    boundaries = _boundaries(text)
    if boundaries is None:  # composition across what looked like separate characters: coarse map
        lead = len(text) - len(text.lstrip(_BOM + " \t\n\r\x0b\x0c"))
        return normal, OffsetMap(((0, lead),) if lead else ())
    points: list[tuple[int, int]] = []
    delta = 0
    for normalised, source in enumerate(boundaries):
        if source - normalised != delta or (normalised == 0 and source):
            points.append((normalised, source))
            delta = source - normalised
    return normal, OffsetMap(tuple(points))


def _boundaries(text: str) -> list[int] | None:
    """For each boundary of the normalised text (``len + 1`` of them), its boundary in ``text``."""
    out: list[str] = []
    starts: list[int] = []  # input start of each output character
    ends: list[int] = []  # input end of each output character
    position = 1 if text.startswith(_BOM) else 0
    cluster = ""
    cluster_start = position
    for match in _UNIT_RE.finditer(text, position):
        unit, begin = match.group(), match.start()
        if _LINE_BREAK_RE.fullmatch(unit) or _CONTROL_RE.fullmatch(unit):
            _flush(cluster, cluster_start, begin, out, starts, ends)
            cluster, cluster_start = "", match.end()
            if not _CONTROL_RE.fullmatch(unit):
                out.append("\n")
                starts.append(begin)
                ends.append(match.end())
            continue
        if unicodedata.combining(unit) == 0 and not _is_jamo_tail(unit) and cluster:
            _flush(cluster, cluster_start, begin, out, starts, ends)
            cluster, cluster_start = "", begin
        cluster += unit
    _flush(cluster, cluster_start, len(text), out, starts, ends)
    joined = "".join(out)
    if joined != _clean(text):
        return None
    lead = len(joined) - len(joined.lstrip())
    kept = len(joined.strip())
    if kept == 0:
        return [0]
    return [starts[lead + k] for k in range(kept)] + [ends[lead + kept - 1]]


def _flush(cluster: str, start: int, end: int, out: list[str], starts: list[int], ends: list[int]) -> None:
    if not cluster:
        return
    composed = unicodedata.normalize("NFC", cluster)
    if composed == cluster:
        for offset, char in enumerate(cluster):
            out.append(char)
            starts.append(start + offset)
            ends.append(start + offset + 1)
        return
    for char in composed:  # composed characters all map to the cluster
        out.append(char)
        starts.append(start)
        ends.append(end)


def _is_jamo_tail(char: str) -> bool:
    """Hangul vowel and final jamo compose with the syllable before them."""
    return "\u1161" <= char <= "\u11c2"
