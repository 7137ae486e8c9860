"""Hand-edited tasks are checked against their text and the schema before anything is sent."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from annotate.articles import text_hash
from annotate.errors import ArticleError
from annotate.labelstudio.validation import task_problems
from annotate.schema import Schema
from annotate.taskfile import read_task_file

TEXT = "Rebels attacked Kabul on Monday."


def _task() -> dict[str, Any]:
    """A valid task: an Attack with its Attacker and Target, offsets checked by hand."""
    return {
        "data": {"text": TEXT, "doc_id": "story-1", "text_hash": text_hash(TEXT)},
        "predictions": [
            {
                "model_version": "m@1",
                "score": 0.8,
                "result": [
                    {"id": "r1", "from_name": "entity", "to_name": "text", "type": "labels",
                     "value": {"start": 0, "end": 6, "text": "Rebels", "labels": ["ORG"]}},
                    {"id": "r2", "from_name": "entity", "to_name": "text", "type": "labels",
                     "value": {"start": 16, "end": 21, "text": "Kabul", "labels": ["GPE"]}},
                    {"id": "t1", "from_name": "event", "to_name": "text", "type": "labels",
                     "value": {"start": 7, "end": 15, "text": "attacked", "labels": ["Conflict:Attack"]}},
                    {"type": "relation", "from_id": "t1", "to_id": "r1", "direction": "right",
                     "labels": ["Attacker"]},
                    {"type": "relation", "from_id": "t1", "to_id": "r2", "direction": "right",
                     "labels": ["Target"]},
                ],
            }
        ],
    }  # fmt: skip


def _region(task: dict[str, Any], index: int = 0) -> dict[str, Any]:
    region: dict[str, Any] = task["predictions"][0]["result"][index]
    return region


def test_task_problems_accepts_a_valid_task(news_schema: Schema) -> None:
    """The hand-checked task has no problem (so each case below fails for its own reason)."""
    assert task_problems(_task(), news_schema) == []


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda v: v.update(end=99), "region r1: offsets [0:99] do not fit a text of 32 characters"),
        (lambda v: v.update(start=-1), "region r1: offsets [-1:6] do not fit"),
        (lambda v: v.update(start=6, end=0), "region r1: offsets [6:0] do not fit"),
        (lambda v: v.update(start=0.0), "region r1: offsets must be integers, got start=0.0"),
        (lambda v: v.update(end="6"), "region r1: offsets must be integers, got start=0 end='6'"),
        (
            lambda v: v.update(text="Rebel"),
            "region r1: value.text 'Rebel' is not the text at [0:6], 'Rebels'",
        ),
        (lambda v: v.update(labels=["ORG", "PERSON"]), "region r1: a region needs exactly one label"),
        (lambda v: v.update(labels=["VILLAIN"]), "region r1: label 'VILLAIN' is not in the schema's entity"),
    ],
)
def test_task_problems_names_region_and_reason(news_schema: Schema, edit: Any, expected: str) -> None:
    """Offsets out of the text, reversed, floats, strings; wrong text; two labels; unknown label."""
    task = _task()
    edit(_region(task)["value"])
    problems = task_problems(task, news_schema)
    assert any(expected in problem for problem in problems), problems
    assert all(problem.startswith("prediction 0 (m@1): ") for problem in problems)


def test_task_problems_roles_the_schema_does_not_allow(news_schema: Schema) -> None:
    """An unknown role, and a role of another event type, are refused with the relation named."""
    unknown, other_type = _task(), _task()
    unknown["predictions"][0]["result"][3]["labels"] = ["Sidekick"]
    other_type["predictions"][0]["result"][3]["labels"] = ["Buyer"]
    assert "role 'Sidekick' is not a role of Conflict:Attack" in " ".join(task_problems(unknown, news_schema))
    assert "role 'Buyer' is not a role of Conflict:Attack" in " ".join(task_problems(other_type, news_schema))
    dangling = _task()
    dangling["predictions"][0]["result"][4]["to_id"] = "nowhere"
    assert "region nowhere does not exist" in " ".join(task_problems(dangling, news_schema))


def test_task_problems_text_edited_after_prelabelling(news_schema: Schema) -> None:
    """A text changed by hand no longer matches its hash: said so, whatever its offsets."""
    task = _task()
    task["data"]["text"] = TEXT.replace("Monday", "Sunday")
    (problem,) = task_problems(task, news_schema)
    assert "the text was edited after pre-labelling" in problem


DATA = {"text": TEXT, "doc_id": "x", "text_hash": text_hash(TEXT)}


@pytest.mark.parametrize(
    ("task", "expected"),
    [
        ({"data": DATA, "predictions": "x"}, "'predictions' must be a list, got str"),
        ({"data": DATA, "predictions": ["x"]}, "prediction 0: a prediction is a JSON object, got str"),
        ({"data": DATA, "predictions": [{"result": 3}]}, "prediction 0: 'result' must be a list, got int"),
        ({"data": "x"}, "a task needs a 'data' object"),
        ({"data": {"text": 5, "doc_id": "", "text_hash": "h"}}, "data.text must be a non-empty string"),
    ],
)
def test_task_problems_structure(news_schema: Schema, task: dict[str, Any], expected: str) -> None:
    """Structurally wrong tasks are clear problems, never an AttributeError."""
    assert expected in task_problems(task, news_schema)


def test_task_problems_scores_and_types(news_schema: Schema) -> None:
    """A score outside [0, 1] or of another type, and a region of another kind, are problems."""
    task = _task()
    task["predictions"][0]["score"] = 7
    _region(task, 1)["score"] = "high"
    _region(task, 2)["type"] = "choices"
    problems = " ".join(task_problems(task, news_schema))
    assert "the prediction: score must be a number from 0 to 1, got 7" in problems
    assert "region r2: score must be a number from 0 to 1, got 'high'" in problems
    assert "region t1: type 'choices'" in problems


def test_read_task_file_detects_tasks_by_structure_not_layout(tmp_path: Path) -> None:
    """Pretty-printed, key-reordered and BOM-prefixed task files are task files; articles are not."""
    task = _task()
    reordered = {"predictions": task["predictions"], "data": task["data"]}
    pretty = tmp_path / "pretty.json"
    pretty.write_text("\ufeff" + json.dumps([reordered], indent=4), encoding="utf-8")
    assert read_task_file(pretty) == [reordered]
    articles = tmp_path / "articles.json"
    articles.write_text(
        json.dumps([{"text": TEXT, "data": "not a task"}, {"text": "More."}]), encoding="utf-8"
    )
    assert read_task_file(articles) is None


def test_read_task_file_item_without_data_names_it(tmp_path: Path) -> None:
    """A task file whose third item is not a task names file and index."""
    path = tmp_path / "tasks.json"
    items = [_task(), copy.deepcopy(_task()), {"predictions": []}]
    path.write_text(json.dumps(items), encoding="utf-8")
    with pytest.raises(ArticleError, match=r"tasks\.json\[2\]: a task needs a 'data' object"):
        read_task_file(path)
