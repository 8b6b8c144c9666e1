"""The retrieval door: tokenizer, chunking, BM25 ranking, answered questions, the dense-vector hook."""
from __future__ import annotations

from typing import Any

import pytest

from knowledge import retrieval
from knowledge.models import AnsweredQuestion, Chunk, Document
from knowledge.services import document_process
from knowledge.text import chunk_text, stem, tokens
from teams.tests.factories import make_workspace


def test_tokens_stem_plurals_and_tenses_alike() -> None:
    assert tokens("Customers cancelled their orders") == tokens("customer canceled order")
    assert stem("policies") == stem("policy")
    assert "the" not in tokens("the revenue")


def test_chunks_are_bounded_overlap_and_keep_every_sentence() -> None:
    sentences = [f"Sentence number {i} talks about topic {i}." for i in range(120)]
    text = "\n\n".join(" ".join(sentences[i:i + 6]) for i in range(0, 120, 6))
    chunks = chunk_text(text, size=800, overlap=150)
    assert len(chunks) > 3
    assert all(len(c) <= 800 for c in chunks)
    for sentence in sentences:
        assert any(sentence in c for c in chunks)
    # Consecutive chunks share their boundary sentence.
    for previous, following in zip(chunks, chunks[1:], strict=False):
        first_sentence = following.split(".")[0] + "."
        assert first_sentence in previous and not previous.startswith(first_sentence)


def test_one_giant_line_is_cut_too() -> None:
    chunks = chunk_text("word " * 2000)
    assert len(chunks) > 5 and all(len(c) <= 800 for c in chunks)


def test_bm25_prefers_rare_terms_and_shorter_passages() -> None:
    docs = [({"revenu": 1, "month": 1}, 2), ({"churn": 1, "month": 1}, 2), ({"month": 3, "churn": 1}, 30)]
    scores = retrieval.bm25_scores(["churn", "month"], docs)
    assert scores[1] > scores[2] > 0 and scores[1] > scores[0]


def _document(workspace: Any, user: Any, name: str, text: str, settings: Any) -> Document:
    import hashlib
    import uuid

    from knowledge import files

    stored_name = uuid.uuid4().hex
    path = files.stored_path(workspace.pk, stored_name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    document = Document.objects.create(workspace=workspace, uploaded_by=user, name=name, stored_name=stored_name,
                                       size=len(text), sha256=hashlib.sha256(text.encode()).hexdigest(),
                                       content_type="text/plain")
    document_process(document=document)
    return document


@pytest.mark.django_db
def test_index_answer_is_found_by_a_similar_question(user: Any, settings: Any) -> None:
    workspace = make_workspace(user)
    retrieval.index_answer(workspace, "What was total revenue by region last quarter?",
                           "SELECT region, SUM(amount) FROM sales GROUP BY region", "North led with 1.2M.")
    retrieval.index_answer(workspace, "How many customers signed up in March?", "SELECT COUNT(*) FROM customers",
                           "412 customers.")
    again = retrieval.index_answer(workspace, "what was total revenue by region last quarter?",
                                   "SELECT region, SUM(amount) FROM sales GROUP BY region", "North led.")
    assert AnsweredQuestion.objects.filter(workspace=workspace).count() == 2
    assert again is not None and again.times_answered == 2

    found = retrieval.search(workspace, "revenue per region for the last quarter", k=1, sources=("answers",))
    assert found[0].kind == "answer" and "SUM(amount)" in found[0].sql
    assert found[0].document_name == retrieval.ANSWERS_NAME and found[0].document_id is None
    assert retrieval.index_answer(workspace, "   ", "", "") is None
    assert retrieval.search(make_workspace(user, name="Other"), "revenue per region") == []


@pytest.mark.django_db
def test_only_ready_documents_are_searched(user: Any, settings: Any, tmp_path: Any) -> None:
    workspace = make_workspace(user)
    document = _document(workspace, user, "a.txt", "Net promoter score measures loyalty.", settings)
    assert retrieval.search(workspace, "net promoter score")
    Document.objects.filter(pk=document.pk).update(status=Document.Status.PROCESSING)
    assert retrieval.search(workspace, "net promoter score") == []
    assert retrieval.search(workspace, "") == [] and retrieval.search(workspace, "the of and") == []


def fake_embed(texts: list[str]) -> list[list[float]]:
    """Two-dimensional 'meaning': [money-ness, people-ness]."""
    vectors = []
    for text in texts:
        lowered = text.lower()
        vectors.append([float(sum(w in lowered for w in ("revenue", "income", "sales", "earnings"))) + 0.01,
                        float(sum(w in lowered for w in ("staff", "employee", "headcount", "people"))) + 0.01])
    return vectors


@pytest.mark.django_db
def test_dense_vectors_find_synonyms_lexical_search_misses(user: Any, settings: Any) -> None:
    workspace = make_workspace(user)
    settings.KNOWLEDGE_EMBEDDING_FUNCTION = "knowledge.tests.test_retrieval.fake_embed"
    _document(workspace, user, "money.txt", "Income is recognised when goods are delivered.", settings)
    _document(workspace, user, "people.txt", "Headcount counts staff on payroll at month end.", settings)
    assert all(c.embedding for c in Chunk.objects.all())
    found = retrieval.search(workspace, "how do we tally employees", k=2)
    assert found[0].document_name == "people.txt"
    settings.KNOWLEDGE_EMBEDDING_FUNCTION = ""
    assert retrieval.search(workspace, "how do we tally employees") == []  # no shared word


def broken_embed(texts: list[str]) -> list[list[float]]:
    raise RuntimeError("embedding server down")


@pytest.mark.django_db
def test_a_failing_embedder_falls_back_to_lexical(user: Any, settings: Any) -> None:
    workspace = make_workspace(user)
    settings.KNOWLEDGE_EMBEDDING_FUNCTION = "knowledge.tests.test_retrieval.broken_embed"
    _document(workspace, user, "a.txt", "Churn is measured monthly.", settings)
    assert Chunk.objects.get().embedding is None
    assert retrieval.search(workspace, "churn")[0].document_name == "a.txt"
