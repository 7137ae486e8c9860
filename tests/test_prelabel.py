"""Pre-annotation of real articles with the real spaCy pipeline, down to Label Studio tasks."""

from __future__ import annotations

from typing import Any

import pytest
import spacy
from label_studio_sdk.label_interface import LabelInterface
from spacy.language import Language

from annotate.articles import read_articles
from annotate.document import Article, Document
from annotate.labelstudio.labelconfig import ENTITY_CONTROL, EVENT_CONTROL, label_config
from annotate.pipeline import ALL_FIXES, FALLBACK_MODEL, build_nlp, model_version
from annotate.prelabel import prelabel, prelabel_documents
from annotate.schema import Schema

from .conftest import SEED_ARTICLE


@pytest.fixture(scope="module")
def seed(nlp: Language, news_schema: Schema) -> Document:
    """The seed article, pre-labelled once."""
    [document] = prelabel_documents(read_articles([SEED_ARTICLE]), news_schema, nlp=nlp)
    return document


@pytest.fixture(scope="module")
def seed_task(nlp: Language, news_schema: Schema) -> dict[str, Any]:
    """The seed article's Label Studio task."""
    [task] = prelabel(read_articles([SEED_ARTICLE]), news_schema, nlp=nlp)
    return task


def _event_at(document: Document, start: int, end: int) -> tuple[str, dict[str, str]]:
    [event] = [e for e in document.events if (e.trigger.start, e.trigger.end) == (start, end)]
    return event.type, {document.entity(a.span_id).text: a.role for a in event.arguments}


def test_prelabel_seed_first_attack_has_attacker_and_target(seed: Document) -> None:
    """'Russia overnight unleashed its most intense attacks on Ukraine': attacker Russia, target Ukraine."""
    text = seed.article.text
    assert text[44:51] == "attacks"
    event_type, roles = _event_at(seed, 44, 51)
    assert event_type == "Conflict:Attack"
    assert roles["Russia"] == "Attacker"
    assert roles["Ukraine"] == "Target"


def test_prelabel_seed_kyiv_and_kherson_are_places(seed: Document) -> None:
    """The raw model tags Kyiv and Kherson as PERSON; every mention comes out as GPE."""
    labels = {(s.text, s.label) for s in seed.entities if s.text in ("Kyiv", "Kherson")}
    assert labels == {("Kyiv", "GPE"), ("Kherson", "GPE")}
    assert sum(1 for s in seed.entities if s.text == "Kyiv") >= 5


def test_prelabel_spread_fix_tags_every_repeat(news_schema: Schema) -> None:
    """With the optional ``spread`` fix (off by default: it costs precision on MEANTIME), all ten
    "Kyiv" mentions of the seed article are tagged GPE."""
    spread = build_nlp(news_schema, fixes=ALL_FIXES)
    (document,) = prelabel_documents(read_articles([SEED_ARTICLE]), news_schema, nlp=spread)
    kyiv = [s.label for s in document.entities if s.text == "Kyiv"]
    assert len(kyiv) >= 8 and set(kyiv) == {"GPE"}


def test_prelabel_seed_titles_and_possessives_stay_out_of_names(seed: Document) -> None:
    """'Kyiv’s military chief' gives the entity 'Kyiv'; 'President Zelensky' gives 'Zelensky'."""
    text = seed.article.text
    kyiv = text.index("Kyiv’s")
    assert any((s.start, s.end, s.text) == (kyiv, kyiv + 4, "Kyiv") for s in seed.entities)
    zelensky = text.index("President Zelensky") + len("President ")
    assert any((s.start, s.text, s.label) == (zelensky, "Zelensky", "PERSON") for s in seed.entities)
    assert not any(s.text.endswith(("’s", "'s")) or s.text.startswith("President") for s in seed.entities)


def test_prelabel_seed_weapons_from_the_gazetteer(seed: Document) -> None:
    """Missiles, drones and 'Shahed-type barrage munitions' are WEAPON spans."""
    weapons = {s.text for s in seed.entities if s.label == "WEAPON"}
    assert {"missiles", "drones", "Shahed-type barrage munitions"} <= weapons


def test_prelabel_seed_shelling_sentencing_and_killing(seed: Document) -> None:
    """Hand-checked events: Kherson shelled (target), Putin sentenced (defendant), people killed."""
    text = seed.article.text
    shelled = text.index("shelled the city of Kherson")
    assert _event_at(seed, shelled, shelled + 7) == (
        "Conflict:Attack",
        {"military": "Attacker", "Kherson": "Target"},
    )
    sentenced = text.index("sentenced")
    event_type, roles = _event_at(seed, sentenced, sentenced + 9)
    assert event_type == "Justice:Sentence"
    assert roles["Vladimir Putin"] == "Defendant"
    killing = text.index("killing 23 people")
    event_type, roles = _event_at(seed, killing, killing + 7)
    assert event_type == "Life:Die"
    assert roles["people"] == "Victim"


def test_prelabel_seed_scores_and_model_version(seed: Document, nlp: Language, news_schema: Schema) -> None:
    """Every predicted span has a score in [0, 1] and the run's model version."""
    spans = [*seed.entities, *(e.trigger for e in seed.events)]
    assert spans
    assert all(s.score is not None and 0.0 <= s.score <= 1.0 for s in spans)
    version = model_version(nlp, news_schema)
    assert all(s.model_version == version for s in spans)
    assert version.endswith(f"+schema@{news_schema.version}")
    assert "+annotate@" in version


def test_prelabel_task_regions_match_text_and_config(seed_task: dict[str, Any], news_schema: Schema) -> None:
    """Every region slices its own text, ids are unique, relations join a trigger to an entity."""
    text = seed_task["data"]["text"]
    [prediction] = seed_task["predictions"]
    assert 0.0 <= prediction["score"] <= 1.0
    regions = [r for r in prediction["result"] if r["type"] == "labels"]
    relations = [r for r in prediction["result"] if r["type"] == "relation"]
    assert all(text[r["value"]["start"] : r["value"]["end"]] == r["value"]["text"] for r in regions)
    ids = [r["id"] for r in regions]
    assert len(ids) == len(set(ids))
    layer = {r["id"]: r["from_name"] for r in regions}
    assert relations
    assert all(
        layer[r["from_id"]] == EVENT_CONTROL and layer[r["to_id"]] == ENTITY_CONTROL for r in relations
    )
    assert all(r["labels"][0] in news_schema.role_names for r in relations)
    interface = LabelInterface(label_config(news_schema))
    assert interface.validate_prediction(prediction, return_errors=True) == []


def test_prelabel_task_data_carries_identity(seed_task: dict[str, Any], news_schema: Schema) -> None:
    """The task data holds the normalised text, doc id, text hash and schema version."""
    data = seed_task["data"]
    assert data["text"] == SEED_ARTICLE.read_text(encoding="utf-8").strip()
    assert data["doc_id"] == data["text_hash"] == "8dc24e3563c3f5f6"
    assert data["schema_version"] == news_schema.version


def test_prelabel_region_ids_are_stable(
    nlp: Language, news_schema: Schema, seed_task: dict[str, Any]
) -> None:
    """A second run over the same article produces exactly the same task."""
    [again] = prelabel(read_articles([SEED_ARTICLE]), news_schema, nlp=nlp)
    assert again == seed_task


def test_prelabel_unicode_offsets_are_code_points(nlp: Language, news_schema: Schema) -> None:
    """Emoji, accents and CJK before a span do not shift its offsets."""
    text = "😀🇺🇦 Café owners said rebels attacked Kabul on Monday, José Martí told 東京新聞 reporters."
    article = Article(id="u1", text=text)
    [task] = prelabel([article], news_schema, nlp=nlp)
    regions = [r for r in task["predictions"][0]["result"] if r["type"] == "labels"]
    assert all(text[r["value"]["start"] : r["value"]["end"]] == r["value"]["text"] for r in regions)
    starts = {r["value"]["text"]: r["value"]["start"] for r in regions}
    assert starts["Kabul"] == text.index("Kabul") == 37  # 😀 is 1 code point, 🇺🇦 is 2
    assert starts["attacked"] == text.index("attacked")


def test_prelabel_streams_lazily(nlp: Language, news_schema: Schema) -> None:
    """prelabel consumes its input lazily: the first task comes before the input is exhausted."""
    consumed: list[int] = []

    def articles() -> Any:
        for i in range(1000):
            consumed.append(i)
            yield Article(id=str(i), text=f"Troops attacked town number {i}.")

    tasks = prelabel(articles(), news_schema, nlp=nlp, batch_size=4)
    first = next(tasks)
    assert first["data"]["doc_id"] == "0"
    assert len(consumed) < 50


def test_prelabel_two_processes_match_one(nlp: Language, news_schema: Schema) -> None:
    """--n-process 2 yields the same tasks, in the same order, as one process."""
    articles = [Article(id=str(i), text=f"Police arrested {name} in Paris on Friday.") for i, name in
                enumerate(["John Smith", "Maria Lopez", "Ahmed Khan", "Li Wei"])]  # fmt: skip
    one = list(prelabel(articles, news_schema, nlp=nlp, batch_size=1))
    two = list(prelabel(articles, news_schema, nlp=nlp, batch_size=1, n_process=2))
    assert one == two
    assert any(r["value"]["labels"] == ["Justice:Arrest-Jail"] for r in one[0]["predictions"][0]["result"]
               if r["type"] == "labels")  # fmt: skip


def test_prelabel_two_processes_stream_lazily(nlp: Language, news_schema: Schema) -> None:
    """With workers, the input is still read lazily: a few batches ahead, not the whole stream."""
    consumed: list[int] = []

    def articles() -> Any:
        for i in range(1000):
            consumed.append(i)
            yield Article(id=str(i), text=f"Troops attacked town number {i}.")

    tasks = prelabel(articles(), news_schema, nlp=nlp, batch_size=4, n_process=2)
    first = next(tasks)
    assert first["data"]["doc_id"] == "0"
    assert len(consumed) <= 4 * 4 + 4  # 2 * n_process batches in flight, plus the one being read
    tasks.close()


def test_prelabel_documents_two_processes_match_one(nlp: Language, news_schema: Schema) -> None:
    """Documents made by workers equal those made in one process (entities, events, arguments)."""
    articles = [Article(id=str(i), text=text) for i, text in enumerate(
        ["Rebels attacked Kabul with rockets on Monday.", "A court in Paris sentenced Li Wei to 5 years.",
         "Protesters marched in Kherson.", "Troops killed two civilians near Kyiv."])]  # fmt: skip
    one = list(prelabel_documents(articles, news_schema, nlp=nlp, batch_size=1))
    two = list(prelabel_documents(articles, news_schema, nlp=nlp, batch_size=1, n_process=2))
    assert one == two
    assert [d.article.id for d in two] == ["0", "1", "2", "3"]
    assert one[0].events and one[0].events[0].arguments


def test_pipeline_factories_work_with_add_pipe() -> None:
    """Other pipelines can add the components by factory name with the default schema."""
    nlp = spacy.load(FALLBACK_MODEL)
    nlp.add_pipe("annotate_entities")
    nlp.add_pipe("annotate_events")
    doc = nlp("Rebels attacked Kabul with rockets on Monday.")
    [trigger] = doc.spans["events"]
    assert (trigger.text, trigger.label_) == ("attacked", "Conflict:Attack")
    roles = {
        role: doc.text[start:end]
        for role, start, end, _score, _label in doc.spans["events"].attrs["arguments"][0]
    }
    assert roles["Target"] == "Kabul"
    assert roles["Instrument"] == "rockets"
