"""The annotator's view: the Label Studio editor, driven in a real Chromium with Playwright.

The session's local Label Studio gets the seed article and an article full of emoji, accents and
line breaks, pre-labelled by the real pipeline. The admin logs in through the login page, opens
each task and reads what the editor shows: the highlighted text spans, the region list and the
relations panel must show every predicted entity, trigger and role on exactly its text. Then the
annotator corrects the emoji article in the editor (relabel with a hotkey, delete, add a region by
selecting text with the mouse), accepts the seed article unchanged, and the exported gold must
hold exactly those edits.

Debian's Chromium (``/usr/bin/chromium``, or ``$ANNOTATE_CHROMIUM``) is used; no browser is
downloaded. A missing Chromium or Playwright fails these tests: it is never a reason to skip.
Screenshots go to the ``annotator-view`` folder under pytest's base temp dir (its path is printed
at the end of the module); ``ANNOTATE_UPDATE_DOCS=1`` also copies the seed article's view to
``docs/annotator-view.png``.

Tasks are opened the way an annotator opens them, by clicking the task's row in the project's task
list. Loading ``/projects/<id>/data?task=<id>`` directly races in Label Studio 1.23's data
manager: it fetches the task and the task list at once, and when the list lands while the editor
(a lazily loaded chunk, slow on a cold browser cache) is taking the task in, the task's store node
is replaced, the prediction is dropped and the editor shows an empty annotation for good.
"""

from __future__ import annotations

import os
import re
import shutil
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import datasets
import pytest
from spacy.language import Language

from annotate.articles import read_articles
from annotate.document import Article
from annotate.export.build import export, read_snapshot
from annotate.labelstudio.labelconfig import ENTITY_CONTROL, EVENT_CONTROL, label_config
from annotate.prelabel import prelabel
from annotate.schema import Schema
from annotate.studio.client import Studio
from annotate.studio.pull import pull
from annotate.studio.push import push
from annotate.studio.server import LocalServer

from .conftest import REPO, SEED_ARTICLE

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Locator, Page

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("ANNOTATE_CHROMIUM", "/usr/bin/chromium")
# Nothing leaves the machine: every host name but 127.0.0.1 fails to resolve. (Not a Playwright
# route: routing turns the browser's HTTP cache off and passes every request through Python.)
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]  # fmt: skip
# Opening the editor takes 3-10 s (cold browser, loaded 2-core machine); the bound only decides
# how long a broken page is watched before the test fails with its screenshot.
EDITOR_TIMEOUT_MS = 90_000
VIEWPORT: Any = {"width": 1600, "height": 1000}
DOCS_SCREENSHOT = REPO / "docs" / "annotator-view.png"
UPDATE_DOCS = os.environ.get("ANNOTATE_UPDATE_DOCS") == "1"
PROJECT = "annotator-view"
EMOJI_ID = "emoji-accents"
EMOJI_TEXT = (
    "Café owners in Zürich 🇨🇭 protested on Monday against the new tax 💶.\n\n"
    "The mayor, José Álvarez 😀, met them in Genève.\n"
    "Rebels attacked Kyiv 🔥 on Tuesday, killing three soldiers 🪖.\n\n"
    "👩‍👩‍👧 Families from Kraków and Malmö arrived in Zürich by train 🚆."
)
# The corrections made in the editor on the emoji article.
DELETED, RELABELLED, NEW_LABEL, ADDED, ADDED_LABEL = "Café", "Kraków", "GPE", "Kyiv", "GPE"

# What the editor shows, read from its DOM.
_HIGHLIGHTS = """() => [...document.querySelectorAll('.lsf-richtext .htx-highlight')].map(e => ({
    cls: [...e.classList].find(c => /^htx-highlight-.+-\\d+$/.test(c)) || '',
    label: e.dataset.label || '', start: e.dataset.start, end: e.dataset.end, text: e.textContent,
    underlined: getComputedStyle(e).textDecorationLine.includes('underline')}))"""
_OUTLINER = """() => [...document.querySelectorAll('.lsf-outliner-item')].map(e => [
    e.querySelector('.lsf-outliner-item__index').textContent,
    e.querySelector('.lsf-labels-list').textContent,
    e.querySelector('.lsf-outliner-item__text')?.textContent ?? ''])"""
_LABEL_BUTTONS = """() => [...document.querySelectorAll('.lsf-labels .lsf-label')].map(e => [
    e.querySelector('.lsf-label__text').textContent,
    e.querySelector('.lsf-label__hotkey')?.textContent ?? ''])"""
_RELATIONS = """() => [...document.querySelectorAll('.lsf-relations__item')].map(item =>
    [...item.querySelectorAll('.lsf-detailed-region .lsf-detailed-region__index_value')]
        .map(e => e.textContent))"""
_ROLES = """() => [...document.querySelectorAll('svg.relations-overlay g[class^="relationItem"] text')]
    .map(e => e.textContent)"""
_WORD_BOX = """word => {
    const walker = document.createTreeWalker(document.querySelector('.lsf-richtext__container'),
                                             NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const at = node.data.indexOf(word);
        if (at >= 0) {
            const range = document.createRange();
            range.setStart(node, at);
            range.setEnd(node, at + word.length);
            const box = range.getBoundingClientRect();
            return {x: box.x, y: box.y, width: box.width, height: box.height};
        }
    }
    return null;
}"""


@pytest.fixture(scope="module")
def browser(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BrowserContext]:
    """Debian's Chromium, headless, fresh profile, 127.0.0.1 only, logged in through the login page."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is not installed: run `make setup` (the dev extra installs it)")
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install chromium (or set ANNOTATE_CHROMIUM)")
    studio_server: LocalServer = request.getfixturevalue("studio_server")  # started once the browser is there
    credentials = studio_server.credentials
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=CHROMIUM,
            args=CHROMIUM_ARGS, headless=True, viewport=VIEWPORT,
        )  # fmt: skip
        try:
            page = context.pages[0] if context.pages else context.new_page()
            page.goto(f"{credentials.url}/user/login/")
            page.fill("#email", credentials.username)
            page.fill("#password", credentials.password)
            with page.expect_navigation():
                page.click("button.login-button")
            assert "/user/login" not in page.url, "the login page refused the admin's credentials"
            yield context
        finally:
            context.close()


@pytest.fixture(scope="module")
def shots(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The folder the editor's screenshots go to; its path is reported when the module ends."""
    folder = tmp_path_factory.getbasetemp() / "annotator-view"
    folder.mkdir(exist_ok=True)
    yield folder
    plugins = request.config.pluginmanager
    reporter, capture = plugins.get_plugin("terminalreporter"), plugins.get_plugin("capturemanager")
    if reporter is not None and capture is not None and any(folder.iterdir()):
        with capture.global_and_fixture_disabled():  # else the line is captured as teardown output
            reporter.write_line(f"\nannotator-view screenshots: {folder}")


@pytest.fixture(scope="module")
def annotator_project(
    browser: BrowserContext, request: pytest.FixtureRequest, nlp: Language, news_schema: Schema
) -> Iterator[dict[str, Any]]:
    """The two articles pre-labelled and pushed to a fresh project: url, project id, tasks, task ids."""
    articles = [*read_articles([SEED_ARTICLE]), Article(EMOJI_ID, EMOJI_TEXT, {"title": "Emoji and accents"})]
    tasks = {t["data"]["doc_id"]: t for t in prelabel(articles, news_schema, nlp=nlp)}
    credentials = request.getfixturevalue("studio_server").credentials
    with Studio.connect(credentials.url, credentials.token) as studio:
        report = push(studio, PROJECT, list(tasks.values()), news_schema)
        project_id = report.project.id
        task_ids = {task.doc_id: task.id for task in studio.remote_tasks(project_id)}
        yield {
            "url": credentials.url,
            "id": project_id,
            "tasks": tasks,
            "task_ids": task_ids,
            "studio": studio,
        }
        studio.delete_project(project_id)


def _open_task(context: BrowserContext, url: str, project_id: int, task_id: int, shots: Path) -> Page:
    """A new tab on the task in the editor, opened from the project's task list by a click on its
    row, once its pre-annotations are drawn; a page that never gets there fails the test with a
    screenshot and the page's last console messages."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    page = context.new_page()
    console: list[str] = []
    page.on(
        "console",
        lambda m: console.append(f"{m.type}: {m.text[:300]}") if m.type in ("error", "warning") else None,
    )
    waiting_for = "the project's task list"
    try:
        page.goto(f"{url}/projects/{project_id}/data")
        row = page.locator(
            '[data-testid="table-row"]', has=page.locator(f'input[aria-label="Select Task {task_id}"]')
        )
        row.wait_for(timeout=EDITOR_TIMEOUT_MS)
        waiting_for = f"task {task_id}'s pre-annotations in the editor"
        row.click()
        page.wait_for_selector(".lsf-richtext .htx-highlight", timeout=EDITOR_TIMEOUT_MS)
        waiting_for = "the region list"
        _tab(page, "Regions").click()  # the side panel remembers the last tab shown
        page.wait_for_selector(".lsf-outliner-item", timeout=30_000)
    except PlaywrightTimeoutError:
        shot = shots / f"timeout-task-{task_id}.png"
        page.screenshot(path=str(shot))
        messages = "\n  ".join(console[-8:]) or "(none)"
        pytest.fail(
            f"{waiting_for} did not show within {EDITOR_TIMEOUT_MS / 1000:g} s at {page.url}\n"
            f"screenshot: {shot}\nlast console errors and warnings:\n  {messages}",
            pytrace=False,
        )
    return page


def _region_id(css_class: str) -> str:
    """``htx-highlight-<region id>-<n>`` -> region id."""
    return css_class.removeprefix("htx-highlight-").rsplit("-", 1)[0]


def _shown_regions(page: Page) -> dict[str, dict[str, Any]]:
    """Region id -> index, label, offsets, text and underline as the highlights in the text show them."""
    regions: dict[str, dict[str, Any]] = {}
    for fragment in page.evaluate(_HIGHLIGHTS):
        index, _, label = fragment["label"].partition(":")
        region = regions.setdefault(
            _region_id(fragment["cls"]),
            {"index": index, "label": label, "text": "", "start": None, "underlined": fragment["underlined"]},
        )
        region["text"] += fragment["text"]  # a region crossing a line break is drawn in pieces
        if region["start"] is None and fragment["start"] is not None:
            region["start"], region["end"] = int(fragment["start"]), int(fragment["end"])
    return regions


def _tab(page: Page, name: str) -> Locator:
    """The side panel's tab ``name`` (Regions, Relations)."""
    return page.locator(".lsf-panel-tabs__tab", has_text=name).filter(visible=True).first


def _region_list(page: Page, count: int) -> dict[str, tuple[str, str]]:
    """Index -> (label, text) of the region list's items, scrolled through (it is virtual) until
    ``count`` items were seen or scrolling shows nothing new."""
    _tab(page, "Regions").click()
    page.locator(".lsf-outliner .lsf-tree-list-holder").hover()
    seen: dict[str, tuple[str, str]] = {}
    unchanged = 0
    while len(seen) < count and unchanged < 10:
        new = {index: (label, text) for index, label, text in page.evaluate(_OUTLINER) if index not in seen}
        seen.update(new)
        unchanged = 0 if new else unchanged + 1
        page.mouse.wheel(0, 300)
        page.wait_for_timeout(50)
    return seen


def _relations(page: Page, index_to_id: dict[str, str]) -> list[tuple[str, str, str]]:
    """(from region id, to region id, role) of every relation the relations panel and the text show."""
    _tab(page, "Relations").click()
    page.wait_for_selector(".lsf-relations__item", timeout=10_000)
    ends = page.evaluate(_RELATIONS)
    roles = page.evaluate(_ROLES)  # the role names drawn on the arrows, in the same (store) order
    assert len(ends) == len(roles), f"{len(ends)} relations listed, {len(roles)} arrows drawn"
    _tab(page, "Regions").click()
    return [(index_to_id[a], index_to_id[b], role) for (a, b), role in zip(ends, roles, strict=True)]


def _predicted(task: dict[str, Any]) -> tuple[dict[str, dict[str, Any]], list[tuple[str, str, str]]]:
    result = task["predictions"][0]["result"]
    regions = {r["id"]: r for r in result if r["type"] == "labels"}
    relations = [(r["from_id"], r["to_id"], r["labels"][0]) for r in result if r["type"] == "relation"]
    return regions, relations


@pytest.mark.parametrize("doc", ["seed", "emoji"])
def test_editor_shows_every_prediction_on_its_text(
    doc: str, browser: BrowserContext, annotator_project: dict[str, Any], shots: Path,
) -> None:  # fmt: skip
    """Every predicted entity, trigger and role is shown in the editor on exactly its text."""
    tasks = annotator_project["tasks"]
    doc_id = EMOJI_ID if doc == "emoji" else next(d for d in tasks if d != EMOJI_ID)
    task = tasks[doc_id]
    text = task["data"]["text"]
    url, project_id = annotator_project["url"], annotator_project["id"]
    page = _open_task(browser, url, project_id, annotator_project["task_ids"][doc_id], shots)
    try:
        page.mouse.move(0, 0)  # no hover hint in the picture
        page.wait_for_timeout(500)  # let the relation arrows settle before the picture
        page.screenshot(path=str(shots / f"editor-{doc}.png"))
        if doc == "seed" and UPDATE_DOCS:
            shutil.copyfile(shots / f"editor-{doc}.png", DOCS_SCREENSHOT)
        predicted, predicted_relations = _predicted(task)
        shown = _shown_regions(page)
        assert set(shown) == set(predicted)
        for region_id, region in predicted.items():
            value, value_shown = region["value"], shown[region_id]
            assert (value_shown["start"], value_shown["end"]) == (value["start"], value["end"]), region_id
            assert value_shown["label"] == value["labels"][0], region_id
            assert value_shown["underlined"] == (region["from_name"] == EVENT_CONTROL), region_id  # triggers
            # the highlight covers exactly the predicted characters (line breaks are drawn as <br>)
            assert value_shown["text"] == text[value["start"] : value["end"]].replace("\n", ""), region_id
            assert value["text"] == text[value["start"] : value["end"]]
        listed = _region_list(page, len(predicted))
        assert len(listed) == len(predicted)
        for region_id, region in predicted.items():
            assert listed[shown[region_id]["index"]] == (
                region["value"]["labels"][0],
                region["value"]["text"],
            )
        index_to_id = {region["index"]: region_id for region_id, region in shown.items()}
        assert Counter(_relations(page, index_to_id)) == Counter(predicted_relations)
        _tab(page, "Relations").click()
        page.screenshot(path=str(shots / f"editor-{doc}-relations.png"))
    finally:
        page.close()


def _key(hotkey: str) -> str:
    """A Label Studio hotkey ("4", "shift+a") as Playwright's key name ("4", "Shift+A")."""
    *modifiers, key = hotkey.split("+")
    names = {"shift": "Shift", "ctrl": "Control", "alt": "Alt"}
    return "+".join([*(names[m] for m in modifiers), key.upper() if len(key) == 1 else key.capitalize()])


def test_editor_labels_show_their_hotkeys_and_hints(
    browser: BrowserContext, annotator_project: dict[str, Any], news_schema: Schema, shots: Path,
) -> None:  # fmt: skip
    """Each label shows its own configured hotkey, which picks it, and its description on hover."""
    configured = {
        e.get("value"): e.get("hotkey") for e in ET.fromstring(label_config(news_schema)).iter("Label")
    }
    descriptions = {label.name: label.description for label in news_schema.entities} | {
        event.name: event.description for event in news_schema.events
    }
    from playwright.sync_api import expect

    tasks, task_ids = annotator_project["tasks"], annotator_project["task_ids"]
    seed_id = next(d for d in tasks if d != EMOJI_ID)
    page = _open_task(browser, annotator_project["url"], annotator_project["id"], task_ids[seed_id], shots)
    try:
        shown = dict(page.evaluate(_LABEL_BUTTONS))
        assert shown == configured
        assert len(set(shown.values())) == len(shown) == len(descriptions)
        picked = re.compile(r"\blsf-label_selected\b")
        # a digit, a shift+letter and a shift+digit
        for label in (news_schema.entities[3].name, news_schema.events[0].name, news_schema.events[-1].name):
            button = _label_button(page, label)
            page.keyboard.press(_key(shown[label]))
            expect(button, f"{shown[label]} does not pick {label}").to_have_class(picked)
            page.keyboard.press(_key(shown[label]))  # and again: no label picked, nothing drawn
            expect(button).not_to_have_class(picked)
            button.hover()
            hint = page.get_by_test_id("tooltip-body").filter(has_text=descriptions[label])
            expect(hint).to_have_text(descriptions[label])
            expect(hint.locator("xpath=..")).to_have_css("opacity", "1")  # faded in
            if label == news_schema.events[0].name:
                page.screenshot(path=str(shots / "editor-seed-hint.png"))
            page.mouse.move(0, 0)
            hint.wait_for(state="hidden", timeout=5_000)
    finally:
        page.close()


def _gold(out: Path) -> dict[str, dict[str, set[tuple[Any, ...]]]]:
    """Doc id -> entities, triggers and arguments of the exported documents, labels by name."""
    loaded = datasets.load_dataset(str(out), "documents", cache_dir=str(out.parent / "hf-cache"))
    gold: dict[str, dict[str, set[tuple[Any, ...]]]] = {}
    for part in loaded.values():
        label = part.features["entities"].feature["label"]
        event_type = part.features["events"].feature["type"]
        role = part.features["events"].feature["arguments"].feature["role"]
        for row in part:
            gold[row["id"]] = {
                "entities": {
                    (e["start"], e["end"], e["text"], label.int2str(e["label"]), e["origin"])
                    for e in row["entities"]
                },
                "events": {
                    (
                        e["trigger"]["start"],
                        e["trigger"]["end"],
                        e["trigger"]["text"],
                        event_type.int2str(e["type"]),
                    )
                    for e in row["events"]
                },
                "arguments": {
                    (e["trigger"]["start"], role.int2str(a["role"]), a["start"], a["end"])
                    for e in row["events"]
                    for a in e["arguments"]
                },
            }
    return gold


def _expected(task: dict[str, Any], edits: dict[str, Any]) -> dict[str, set[tuple[Any, ...]]]:
    """The gold the prediction becomes after the edits: {region id: None (deleted) | new label}."""
    regions, relations = _predicted(task)
    entities, events = set(), set()
    for region_id, region in regions.items():
        value = region["value"]
        if region_id in edits and edits[region_id] is None:
            continue
        origin = "edited" if region_id in edits else "prediction"
        label = edits.get(region_id) or value["labels"][0]
        if region["from_name"] == ENTITY_CONTROL:
            entities.add((value["start"], value["end"], value["text"], label, origin))
        else:
            events.add((value["start"], value["end"], value["text"], label))
    arguments = {
        (regions[a]["value"]["start"], role, regions[b]["value"]["start"], regions[b]["value"]["end"])
        for a, b, role in relations
        if edits.get(a, "") is not None and edits.get(b, "") is not None
    }
    return {"entities": entities, "events": events, "arguments": arguments}


def _label_button(page: Page, label: str) -> Locator:
    """The button of ``label`` above the text."""
    return page.locator(".lsf-label", has=page.locator(".lsf-label__text").get_by_text(label, exact=True))


def _submit(page: Page) -> None:
    with page.expect_response(
        lambda r: "/annotations" in r.url and r.request.method == "POST", timeout=30_000
    ) as response:
        page.get_by_role("button", name="Submit").click()
    assert response.value.status == 201, response.value.text()


def test_editor_corrections_reach_the_exported_gold(
    browser: BrowserContext, annotator_project: dict[str, Any], news_schema: Schema, shots: Path,
    tmp_path: Path,
) -> None:  # fmt: skip
    """A relabel by hotkey, a deletion and a region added with the mouse are exactly what the export holds."""
    tasks, task_ids = annotator_project["tasks"], annotator_project["task_ids"]
    url, project_id = annotator_project["url"], annotator_project["id"]
    seed_id = next(d for d in tasks if d != EMOJI_ID)
    emoji = tasks[EMOJI_ID]
    text = emoji["data"]["text"]
    regions, relations = _predicted(emoji)
    by_text = {r["value"]["text"]: region_id for region_id, r in regions.items()}
    linked = {end for a, b, _ in relations for end in (a, b)}
    deleted, relabelled = by_text[DELETED], by_text[RELABELLED]
    assert not {deleted, relabelled} & linked, "the edited regions are meant to have no relations"
    assert regions[relabelled]["value"]["labels"] != [NEW_LABEL]
    assert ADDED not in by_text and text.count(ADDED) == 1

    page = _open_task(browser, url, project_id, task_ids[EMOJI_ID], shots)
    try:
        hotkey = _label_button(page, NEW_LABEL).locator(".lsf-label__hotkey").inner_text().strip()
        assert hotkey, f"{NEW_LABEL} has no hotkey"
        page.locator(f'[class*="htx-highlight-{relabelled}-"]').first.click()
        page.keyboard.press(_key(hotkey))
        page.wait_for_selector(f'[class*="htx-highlight-{relabelled}-"][data-label$=":{NEW_LABEL}"]')
        page.locator(f'[class*="htx-highlight-{deleted}-"]').first.click()
        page.keyboard.press("Backspace")
        page.wait_for_selector(f'[class*="htx-highlight-{deleted}-"]', state="detached")
        page.keyboard.press("Escape")
        _label_button(page, ADDED_LABEL).click()
        box = page.evaluate(_WORD_BOX, ADDED)
        assert box, f"{ADDED!r} is not in the editor's text"
        middle = box["y"] + box["height"] / 2
        page.mouse.move(box["x"] + 1, middle)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] - 1, middle, steps=5)
        page.mouse.up()
        start = text.index(ADDED)
        page.wait_for_selector(f'.htx-highlight[data-start="{start}"]')
        shown = _shown_regions(page)
        assert deleted not in shown
        assert shown[relabelled]["label"] == NEW_LABEL
        [added] = [r for r in shown.values() if r["start"] == start]
        assert (added["end"], added["text"], added["label"]) == (start + len(ADDED), ADDED, ADDED_LABEL)
        page.screenshot(path=str(shots / "editor-emoji-corrected.png"))
        _submit(page)
    finally:
        page.close()
    page = _open_task(browser, url, project_id, task_ids[seed_id], shots)
    try:
        _submit(page)  # the seed article's prediction accepted as it is
    finally:
        page.close()

    snapshot = tmp_path / "snapshot.jsonl"
    pull(annotator_project["studio"], PROJECT, snapshot)
    out = tmp_path / "export" / "annotator-view"
    export(read_snapshot(snapshot), out, news_schema)
    gold = _gold(out)
    assert set(gold) == {seed_id, EMOJI_ID}
    assert gold[seed_id] == _expected(tasks[seed_id], {})
    expected = _expected(emoji, {deleted: None, relabelled: NEW_LABEL})
    expected["entities"].add((start, start + len(ADDED), ADDED, ADDED_LABEL, "manual"))
    assert gold[EMOJI_ID] == expected
