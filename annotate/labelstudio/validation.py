"""Check tasks and their predictions before anything is sent: structure, text and schema.

A task needs ``data.text``, ``data.doc_id`` and a ``data.text_hash`` that is the hash of that
text (a text edited after pre-labelling no longer matches its hash, nor its offsets). Each
prediction needs a ``result`` list whose regions (``type: "labels"`` on the ``text`` object)
fit the text exactly and carry one label the schema has for their control, and whose relations
join an existing event region to an existing entity region with a role the event type allows
for that entity label (``annotate.labelstudio.reader`` does those checks, the same ones the
export applies to annotations). Scores are numbers in [0, 1].

Regions are looked up by id in a dict, so a check takes time linear in the regions of a
prediction, whatever its size.
"""

from __future__ import annotations

from typing import Any

from annotate.articles import text_hash
from annotate.labelstudio.labelconfig import ENTITY_CONTROL, EVENT_CONTROL, MENTION_CONTROL, TEXT_NAME
from annotate.labelstudio.reader import prediction_to_document
from annotate.schema import Schema


def task_problems(task: Any, schema: Schema) -> list[str]:
    """Everything wrong with a task (structure, identity, every prediction), one line each."""
    if not isinstance(task, dict):
        return [f"a task is a JSON object, got {type(task).__name__}"]
    data = task.get("data")
    if not isinstance(data, dict):
        return ["a task needs a 'data' object"]
    text, doc_id, digest = data.get("text"), data.get("doc_id"), data.get("text_hash")
    problems = []
    if not isinstance(text, str) or not text:
        problems.append("data.text must be a non-empty string")
    if not isinstance(doc_id, str) or not doc_id.strip():
        problems.append("data.doc_id must be a non-empty string")
    if not isinstance(digest, str) or not digest:
        problems.append("data.text_hash must be a non-empty string")
    elif isinstance(text, str) and text_hash(text) != digest:
        problems.append(
            "data.text does not match data.text_hash: the text was edited after pre-labelling "
            "(re-run `annotate prelabel` on the edited article)"
        )
    predictions = task.get("predictions", [])
    if not isinstance(predictions, list):
        return [*problems, f"'predictions' must be a list, got {type(predictions).__name__}"]
    if problems:
        return problems
    for number, prediction in enumerate(predictions):
        version = prediction.get("model_version", "") if isinstance(prediction, dict) else ""
        name = f"prediction {number}" + (f" ({version})" if version else "")
        problems += [f"{name}: {problem}" for problem in prediction_problems(task, prediction, schema)]
    return problems


def prediction_problems(task: dict[str, Any], prediction: Any, schema: Schema) -> list[str]:
    """Everything wrong with one prediction of ``task`` (a task with a text), one line each."""
    if not isinstance(prediction, dict):
        return [f"a prediction is a JSON object, got {type(prediction).__name__}"]
    result = prediction.get("result")
    if not isinstance(result, list):
        return [f"'result' must be a list, got {type(result).__name__}"]
    problems = []
    version = prediction.get("model_version")
    if version is not None and not isinstance(version, str):
        problems.append(f"model_version must be a string, got {version!r}")
    problems += _score_problem("the prediction", prediction)
    for index, item in enumerate(result):
        if not isinstance(item, dict):
            problems.append(f"result[{index}] is not an object")
            continue
        name = f"region {item.get('id')}" if item.get("type") != "relation" else f"relation {index}"
        problems += _score_problem(name, item)
        if item.get("type") == "relation" or (
            item.get("from_name") == MENTION_CONTROL and item.get("type") == "choices"
        ):
            continue  # relations and mention choices are checked with their regions
        if item.get("type") != "labels":
            problems.append(f"{name}: type {item.get('type')!r}; annotate's regions have type 'labels'")
        if item.get("from_name") in (ENTITY_CONTROL, EVENT_CONTROL) and item.get("to_name") != TEXT_NAME:
            problems.append(f"{name}: to_name {item.get('to_name')!r}; the labels apply to {TEXT_NAME!r}")
    if problems:
        return problems
    _, found = prediction_to_document(task, prediction, schema, exact_text=True)
    return [f"region {p.region_id}: {p.what}" if p.region_id else p.what for p in found]


def _score_problem(name: str, item: dict[str, Any]) -> list[str]:
    score = item.get("score")
    if score is None:
        return []
    if isinstance(score, bool) or not isinstance(score, int | float) or not 0 <= score <= 1:
        return [f"{name}: score must be a number from 0 to 1, got {score!r}"]
    return []
