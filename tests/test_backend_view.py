"""The ML backend in the annotator's view: a task imported through Label Studio's own Import dialog
(no predictions) opens in the editor with `annotate serve`'s pre-annotations drawn on its text.

A real Label Studio, a real `annotate serve --connect` process and Debian's Chromium driven by
Playwright (see ``test_annotator_view`` for the browser set-up).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from spacy.language import Language

from annotate.articles import text_hash
from annotate.document import Article
from annotate.prelabel import prelabel
from annotate.schema import Schema
from annotate.studio.client import Studio
from annotate.studio.projects import ensure_project
from annotate.studio.server import LocalServer

from .fixtures.serve import serving, studio_env
from .test_annotator_view import EDITOR_TIMEOUT_MS, _open_task, _shown_regions, browser, shots

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext

pytestmark = pytest.mark.browser
__all__ = ["browser", "shots"]  # the browser fixtures, shared with the editor's own tests

TEXT = "Rebels attacked Kabul on Monday, officials said. Police arrested two men in Herat."


def test_editor_shows_the_backend_predictions_on_a_task_imported_in_the_ui(
    browser: BrowserContext,
    shots: Path,
    studio: Studio,
    studio_server: LocalServer,
    project: str,
    news_schema: Schema,
    nlp: Language,
    tmp_path: Path,
) -> None:
    """Import dialog -> task without predictions -> opened in the editor: the regions shown are the
    ones `annotate prelabel` makes for the text, under the backend's model version."""
    project_id = ensure_project(studio, project, news_schema).id
    upload = tmp_path / "article.json"
    upload.write_text(json.dumps([{"text": TEXT}]), encoding="utf-8")
    creds = studio_server.credentials
    env = studio_env(creds.url, creds.token)
    args = ["--connect", "--project", project, "--no-learn"]
    with serving(args, env, tmp_path / "serve.log"):
        page = browser.new_page()
        try:
            page.goto(f"{creds.url}/projects/{project_id}/data")
            page.get_by_role("button", name="Import").first.click(timeout=EDITOR_TIMEOUT_MS)
            page.locator('input[type="file"]').first.set_input_files(str(upload))
            page.wait_for_timeout(1000)
            page.screenshot(path=str(shots / "backend-import.png"))
            page.get_by_role("button", name="Import").last.click()
            page.wait_for_timeout(2000)
            page.screenshot(path=str(shots / "backend-imported.png"))
        finally:
            page.close()
        (task,) = studio.tasks(project_id)
        assert task["data"]["text"] == TEXT and task["predictions"] == []  # nothing came with it
        page = _open_task(browser, creds.url, project_id, int(task["id"]), shots)
        try:
            page.screenshot(path=str(shots / "backend-editor.png"))
            shown = _shown_regions(page)
        finally:
            page.close()
        (task,) = studio.tasks(project_id)
    (expected,) = prelabel([Article(text_hash(TEXT), TEXT)], news_schema, nlp=nlp)
    prediction = expected["predictions"][0]
    assert [p["model_version"] for p in task["predictions"]] == [prediction["model_version"]]
    regions = {r["id"]: r["value"] for r in prediction["result"] if r["type"] == "labels"}
    assert {(s["start"], s["end"], s["label"]) for s in shown.values()} == {
        (v["start"], v["end"], v["labels"][0]) for v in regions.values()
    }
    assert task["predictions"][0]["result"] == prediction["result"]
