"""Adjudication of disagreeing annotators against the session's real Label Studio server."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from annotate.cli import app
from annotate.errors import StudioError
from annotate.export.gold import select_gold
from annotate.labelstudio import region_id
from annotate.labelstudio.labelconfig import ENTITY_CONTROL, EVENT_CONTROL
from annotate.quality.adjudicate import check_merged
from annotate.schema import Schema
from annotate.studio.adjudication import adjudicate
from annotate.studio.client import Studio
from annotate.studio.connection import KEY_ENV, URL_ENV
from annotate.studio.projects import ensure_project
from annotate.studio.pull import pull
from annotate.studio.server import LocalServer

CONFLICTED = "Russian troops attacked Kherson with rockets on Monday, officials in Kyiv said."
AGREED = "Rebels attacked Kabul on Friday."
ATTACK = "Conflict:Attack"


@dataclass
class Setup:
    """The project the three simulated annotators worked on."""

    title: str
    project_id: int
    users: list[int]  # ann A, B, C in creation (and id) order
    conflicted: int  # task ids
    agreed: int
    annotations: dict[tuple[int, int], int]  # (task, user) -> annotation id


@pytest.fixture
def project(studio: Studio, request: pytest.FixtureRequest) -> Iterator[str]:
    """A project title unique to the test; the project is deleted afterwards."""
    title = f"adjudicate-{request.node.name}"[:50]
    yield title
    found = studio.find_project(title)
    if found is not None:
        studio.delete_project(found.id)


def _region(
    text: str, span: str, label: str, layer: str = ENTITY_CONTROL, *, after: int = 0
) -> dict[str, Any]:
    start = text.index(span, after)
    value = {"start": start, "end": start + len(span), "text": span, "labels": [label]}
    rid = f"{layer[:2]}-{start}-{label}"
    return {
        "id": rid,
        "from_name": layer,
        "to_name": "text",
        "type": "labels",
        "origin": "manual",
        "value": value,
    }


def _relation(trigger: dict[str, Any], entity: dict[str, Any], role: str) -> dict[str, Any]:
    return {
        "type": "relation",
        "from_id": trigger["id"],
        "to_id": entity["id"],
        "direction": "right",
        "labels": [role],
    }


def _conflicted_results() -> list[list[dict[str, Any]]]:
    """A relabel, a boundary change, a span only one marked and an argument with different roles."""
    text = CONFLICTED
    results = []
    for who in "ABC":
        troops, attacked = (
            _region(text, "Russian troops", "ORG"),
            _region(text, "attacked", ATTACK, EVENT_CONTROL),
        )
        kherson = _region(text, "Kherson", "GPE" if who == "A" else "LOC")
        monday = _region(text, "on Monday" if who == "C" else "Monday", "DATE")
        result = [troops, attacked, kherson, monday, _region(text, "Kyiv", "GPE")]
        result += [_relation(attacked, troops, "Target" if who == "C" else "Attacker")]
        result += [_relation(attacked, kherson, "Place")]
        if who == "B":
            rockets = _region(text, "rockets", "WEAPON")
            result += [rockets, _relation(attacked, rockets, "Instrument")]
        results.append(result)
    return results


def _agreed_result() -> list[dict[str, Any]]:
    attacked, kabul = _region(AGREED, "attacked", ATTACK, EVENT_CONTROL), _region(AGREED, "Kabul", "GPE")
    return [_region(AGREED, "Rebels", "ORG"), attacked, kabul, _relation(attacked, kabul, "Place")]


def _setup(studio: Studio, title: str, schema: Schema) -> Setup:
    project = ensure_project(studio, title, schema)
    tasks = [
        {"data": {"text": text, "doc_id": doc_id}} for doc_id, text in (("c", CONFLICTED), ("a", AGREED))
    ]
    conflicted, agreed = studio.import_tasks(project.id, tasks)
    users = []
    for name in ("annA", "annB", "annC"):
        email = f"{name}-{project.id}@annotate.local"
        users.append(
            int(studio.client.users.create(username=email, email=email, password="annotator-pass-1").id or 0)
        )
    annotations = {}
    for user, result in zip(users, _conflicted_results(), strict=True):
        for task, res in ((conflicted, result), (agreed, _agreed_result())):
            created = studio.client.annotations.create(id=task, result=res, completed_by=user, lead_time=10.0)
            annotations[(task, user)] = int(created.id or 0)
    return Setup(title, project.id, users, conflicted, agreed, annotations)


def _tasks(studio: Studio, setup: Setup) -> dict[int, dict[str, Any]]:
    return {int(task["id"]): task for task in studio.tasks(setup.project_id)}


def _truth(task: dict[str, Any]) -> list[dict[str, Any]]:
    return [a for a in task["annotations"] if a["ground_truth"]]


def _expected_regions(setup: Setup) -> dict[tuple[str, str, str], str | None]:
    """(layer, span text, label) -> the meta note of every region of the merged result."""
    a, b, c = (f"ann {user}" for user in setup.users)
    return {
        (ENTITY_CONTROL, "Russian troops", "ORG"): None,
        (ENTITY_CONTROL, "Kherson", "LOC"): f"conflict: {a}: GPE; {b}: LOC; {c}: LOC",
        (ENTITY_CONTROL, "rockets", "WEAPON"): f"conflict: {a}: (none); {b}: WEAPON; {c}: (none)",
        (ENTITY_CONTROL, "on Monday", "DATE"): (
            f'conflict: {a}: other span "Monday" [48:54] DATE; '
            f'{b}: other span "Monday" [48:54] DATE; {c}: DATE'
        ),
        (
            ENTITY_CONTROL,
            "Monday",
            "DATE",
        ): f'conflict: {a}: DATE; {b}: DATE; {c}: other span "on Monday" [45:54] DATE',
        (ENTITY_CONTROL, "Kyiv", "GPE"): None,
        (EVENT_CONTROL, "attacked", ATTACK): (
            f'conflict: argument "Russian troops" [0:14]: {a}: Attacker; {b}: Attacker; {c}: Target\n'
            f'conflict: argument "rockets" [37:44]: {a}: (none); {b}: Instrument; {c}: (none)'
        ),
    }


def test_adjudicate_merges_conflicts_once(
    studio: Studio, project: str, news_schema: Schema, tmp_path: Path
) -> None:
    """One ground-truth annotation for the conflicted task, none for the agreed one, nothing on a re-run."""
    setup = _setup(studio, project, news_schema)
    report = adjudicate(studio, project, news_schema)
    assert (report.created, report.updated, report.unchanged, report.agreed, report.skipped_reviewed) == (
        1,
        0,
        0,
        1,
        0,
    )
    assert (report.conflicts, report.tasks, report.problems) == (6, [setup.conflicted], [])
    tasks = _tasks(studio, setup)
    assert not _truth(tasks[setup.agreed]) and len(tasks[setup.agreed]["annotations"]) == 3
    [truth] = _truth(tasks[setup.conflicted])
    assert truth["completed_by"] == studio.current_user_id()
    result = truth["result"]
    regions = {r["id"]: r for r in result if r["type"] == "labels"}
    found = {(r["from_name"], r["value"]["text"], r["value"]["labels"][0]): r for r in regions.values()}
    assert {
        key: (r.get("meta") or {}).get("text", [None])[0] for key, r in found.items()
    } == _expected_regions(setup)
    for (layer, _, label), region in found.items():
        value = region["value"]
        assert region["id"] == region_id("c", f"{layer}|{label}", value["start"], value["end"])
        assert CONFLICTED[value["start"] : value["end"]] == value["text"]
    assert "meta" not in found[(ENTITY_CONTROL, "Russian troops", "ORG")]  # agreed: kept as it is
    relations = {
        (regions[r["from_id"]]["value"]["text"], regions[r["to_id"]]["value"]["text"], r["labels"][0])
        for r in result
        if r["type"] == "relation"
    }
    assert relations == {
        ("attacked", "Russian troops", "Attacker"),  # the majority role
        ("attacked", "Kherson", "Place"),  # agreed
        ("attacked", "rockets", "Instrument"),  # only one annotator: kept, noted on the trigger
    }
    task = _tasks(studio, setup)[setup.conflicted]
    check_merged(task, result, news_schema)  # fits the text and the schema

    again = adjudicate(studio, project, news_schema)
    assert (again.created, again.updated, again.unchanged, again.agreed, again.conflicts) == (0, 0, 1, 1, 0)
    assert sum(len(t["annotations"]) for t in _tasks(studio, setup).values()) == 7

    snapshot = tmp_path / "snapshot.jsonl"
    pull(studio, project, snapshot)
    pulled = [json.loads(line) for line in snapshot.read_text(encoding="utf-8").splitlines()]
    gold = select_gold(pulled, news_schema, "latest")
    by_doc = dict(zip((d.article.id for d in gold.documents), gold.document_annotators, strict=True))
    assert by_doc["c"] == str(studio.current_user_id())  # the adjudication is the gold
    [document] = [d for d in gold.documents if d.article.id == "c"]
    assert {(s.text, s.label) for s in document.entities} >= {("Kherson", "LOC"), ("rockets", "WEAPON")}
    assert {s.annotator for s in document.entities} == {str(studio.current_user_id())}


def test_adjudicate_never_overwrites_a_reviewer(studio: Studio, project: str, news_schema: Schema) -> None:
    """A ground-truth annotation by another user is left alone, and so is an edited adjudication."""
    setup = _setup(studio, project, news_schema)
    email = f"reviewer-{setup.project_id}@annotate.local"
    reviewer = studio.client.users.create(username=email, email=email, password="reviewer-pass-1").id
    resolved = _conflicted_results()[0]
    studio.client.annotations.create(
        id=setup.conflicted, result=resolved, completed_by=reviewer, ground_truth=True
    )
    report = adjudicate(studio, project, news_schema)
    assert (report.created, report.skipped_reviewed, report.agreed, report.tasks) == (0, 1, 1, [])
    [truth] = _truth(_tasks(studio, setup)[setup.conflicted])
    assert (truth["completed_by"], truth["result"]) == (reviewer, resolved)


def test_adjudicate_updates_when_annotators_change(studio: Studio, project: str, news_schema: Schema) -> None:
    """A changed annotation updates the adjudication in place; an adjudication edited since is kept."""
    setup = _setup(studio, project, news_schema)
    adjudicate(studio, project, news_schema)
    a, b, c = setup.users
    changed = _conflicted_results()[2]
    next(r for r in changed if r.get("value", {}).get("text") == "Kherson")["value"]["labels"] = ["GPE"]
    studio.client.annotations.update(id=setup.annotations[(setup.conflicted, c)], result=changed)
    report = adjudicate(studio, project, news_schema)
    assert (report.created, report.updated, report.unchanged, report.conflicts) == (0, 1, 0, 6)
    [truth] = _truth(_tasks(studio, setup)[setup.conflicted])
    [kherson] = [r for r in truth["result"] if r.get("value", {}).get("text") == "Kherson"]
    assert kherson["value"]["labels"] == ["GPE"]
    assert kherson["meta"]["text"] == [f"conflict: ann {a}: GPE; ann {b}: LOC; ann {c}: GPE"]

    # The admin resolves a conflict in the editor with the same account: the next run keeps it.
    edited = [r for r in copy.deepcopy(truth["result"]) if r.get("value", {}).get("text") != "rockets"]
    rockets = next(r["id"] for r in truth["result"] if r.get("value", {}).get("text") == "rockets")
    edited = [r for r in edited if rockets not in (r.get("from_id"), r.get("to_id"))]
    studio.save_annotation(setup.conflicted, edited, ground_truth=True, annotation_id=int(truth["id"]))
    report = adjudicate(studio, project, news_schema)
    assert (report.updated, report.unchanged, report.skipped_reviewed) == (0, 0, 1)
    [kept] = _truth(_tasks(studio, setup)[setup.conflicted])
    assert kept["result"] == edited


def test_check_merged_refuses_a_result_that_does_not_fit(
    studio: Studio, project: str, news_schema: Schema
) -> None:
    """A merged result with a label the schema lacks or a region off its text is never sent."""
    setup = _setup(studio, project, news_schema)
    task = _tasks(studio, setup)[setup.conflicted]
    good = _conflicted_results()[0]
    wrong_label = copy.deepcopy(good)
    wrong_label[0]["value"]["labels"] = ["NOT_A_LABEL"]
    with pytest.raises(StudioError, match=f"task {setup.conflicted} \\(doc c\\).*NOT_A_LABEL"):
        check_merged(task, wrong_label, news_schema)
    off_text = copy.deepcopy(good)
    off_text[0]["value"]["end"] = len(task["data"]["text"]) + 5
    with pytest.raises(StudioError, match="do not fit a text"):
        check_merged(task, off_text, news_schema)
    check_merged(task, good, news_schema)


def test_adjudicate_unknown_project(studio: Studio, news_schema: Schema) -> None:
    """A project that does not exist is a clear error."""
    with pytest.raises(StudioError, match="no project titled 'no-such-project'"):
        adjudicate(studio, "no-such-project", news_schema)


def test_cli_adjudicate(
    studio: Studio,
    project: str,
    news_schema: Schema,
    studio_server: LocalServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`annotate adjudicate --project` prints one summary line; a second run creates nothing."""
    setup = _setup(studio, project, news_schema)
    monkeypatch.setenv(URL_ENV, studio_server.credentials.url)
    monkeypatch.setenv(KEY_ENV, studio_server.credentials.token)
    runner = CliRunner()
    first = runner.invoke(app, ["adjudicate", "--project", project])
    assert first.exit_code == 0, first.output
    assert first.stdout == (
        f"project {project!r}: 1 adjudications created, 0 updated, 0 unchanged (6 conflicts written); "
        f"1 tasks agreed, 0 already reviewed; tasks to review: {setup.conflicted}\n"
    )
    second = runner.invoke(app, ["adjudicate", "--project", project])
    assert second.exit_code == 0, second.output
    assert "0 adjudications created, 0 updated, 1 unchanged" in second.stdout
    assert studio_server.credentials.token not in first.output + second.output
    missing = runner.invoke(app, ["adjudicate", "--project", "no-such-project"])
    assert missing.exit_code == 1
    assert "no project titled 'no-such-project'" in missing.stderr
