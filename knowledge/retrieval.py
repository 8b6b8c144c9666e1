"""Finding passages for a question: BM25 over stored chunk terms, plus dense vectors when configured.

The one door other apps use:

    search(workspace, query, k=5) -> list[Passage]
    index_answer(workspace, question, sql, answer_text, data_source=ds) -> AnsweredQuestion

Lexical search always runs and needs nothing installed. Dense search runs when the setting
KNOWLEDGE_EMBEDDING_FUNCTION names a callable `embed(texts: list[str]) -> list[list[float]]`;
chunk vectors are stored as JSON and compared in-process (fine for thousands of chunks on
SQLite; pgvector on PostgreSQL is the planned replacement for larger workspaces).
"""
from __future__ import annotations

import hashlib
import logging
import math
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import AnsweredQuestion, Chunk, Document
from .text import normalize, term_frequencies, tokens

logger = logging.getLogger(__name__)

K1 = 1.2
B = 0.75
ANSWERS_NAME = "Answered questions"

Embed = Callable[[list[str]], list[list[float]]]


@dataclass(frozen=True)
class Passage:
    """One retrieved passage. `kind` is "document" (a chunk of an upload) or "answer" (an earlier answer)."""

    document_id: uuid.UUID | None
    document_name: str
    chunk_index: int
    text: str
    score: float
    kind: str = "document"
    question: str = ""
    sql: str = ""
    data_source_id: Any = None  # answers: the source their SQL ran on


# --- dense vectors (optional) -------------------------------------------------------------------------

@lru_cache(maxsize=4)
def _load_embedder(path: str) -> Embed:
    return import_string(path)  # type: ignore[no-any-return]


def embedder() -> Embed | None:
    """The configured embedding function, or None (lexical search only)."""
    path = getattr(settings, "KNOWLEDGE_EMBEDDING_FUNCTION", "") or ""
    if not path:
        return None
    if callable(path):
        return path  # type: ignore[no-any-return]
    return _load_embedder(path)


def embed_texts(texts: list[str]) -> list[list[float]] | None:
    """Vectors for `texts`, or None when no function is configured or it failed (search falls back)."""
    embed = embedder()
    if embed is None or not texts:
        return None
    try:
        batch = int(getattr(settings, "KNOWLEDGE_EMBEDDING_BATCH", 64))
        vectors: list[list[float]] = []
        for start in range(0, len(texts), batch):
            vectors.extend([float(x) for x in v] for v in embed(texts[start:start + batch]))
    except Exception:
        logger.warning("The embedding function failed; continuing with lexical search only", exc_info=True)
        return None
    if len(vectors) != len(texts):
        logger.warning("The embedding function returned %d vectors for %d texts", len(vectors), len(texts))
        return None
    return vectors


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    if not a or not b or len(a) != len(b):
        return 0.0
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0


# --- BM25 ---------------------------------------------------------------------------------------------

@dataclass
class _Candidate:
    key: tuple[str, Any]
    terms: dict[str, int]
    length: int
    embedding: list[float] | None
    build: Callable[[float], Passage]


def bm25_scores(query_terms: Iterable[str], documents: Sequence[tuple[dict[str, int], int]]) -> list[float]:
    """Okapi BM25 of each (term counts, length) against the query terms (IDF with the +1 floor)."""
    unique = list(dict.fromkeys(query_terms))
    n = len(documents)
    if not n or not unique:
        return [0.0] * n
    average = sum(length for _, length in documents) / n or 1.0
    frequency = {term: sum(1 for terms, _ in documents if term in terms) for term in unique}
    idf = {term: math.log(1 + (n - df + 0.5) / (df + 0.5)) for term, df in frequency.items()}
    scores = []
    for terms, length in documents:
        score = 0.0
        for term in unique:
            tf = terms.get(term, 0)
            if tf:
                score += idf[term] * tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / average))
        scores.append(score)
    return scores


def _candidates(workspace_id: Any, sources: Sequence[str], document_ids: Sequence[Any] | None,
                data_source: Any = None, user: Any = None) -> list[_Candidate]:
    out: list[_Candidate] = []
    if "documents" in sources:
        chunks = Chunk.objects.filter(workspace_id=workspace_id, document__status=Document.Status.READY)
        if user is not None:
            from teams.grants import Kind, denied_ids

            chunks = chunks.exclude(document_id__in=denied_ids(user, Kind.DOCUMENT))
        if document_ids is not None:
            chunks = chunks.filter(document_id__in=list(document_ids))
        for chunk_id, document_id, name, index, text, terms, length, embedding in chunks.values_list(
                "id", "document_id", "document__name", "index", "text", "terms", "token_count", "embedding"):
            out.append(_Candidate(
                key=("chunk", chunk_id), terms=terms or {}, length=length, embedding=embedding,
                build=lambda score, d=document_id, n=name, i=index, t=text: Passage(d, n, i, t, score),
            ))
    if "answers" in sources and document_ids is None:
        answers = AnsweredQuestion.objects.filter(workspace_id=workspace_id)
        if data_source is not None:
            answers = answers.filter(data_source_id=getattr(data_source, "pk", data_source))
        for answer_id, source_id, question, sql, answer_text, terms, length, embedding in answers.values_list(
                "id", "data_source_id", "question", "sql", "answer_text", "terms", "token_count", "embedding"):
            out.append(_Candidate(
                key=("answer", answer_id), terms=terms or {}, length=length, embedding=embedding,
                build=lambda score, q=question, s=sql, a=answer_text, d=source_id: Passage(
                    None, ANSWERS_NAME, 0, _answer_text(q, s, a), score, kind="answer", question=q, sql=s,
                    data_source_id=d),
            ))
    return out


def search(workspace: Any, query: str, k: int = 5, *, sources: Sequence[str] = ("documents", "answers"),
           document_ids: Sequence[Any] | None = None, min_score: float = 0.0,
           data_source: Any = None, user: Any = None) -> list[Passage]:
    """The `k` passages of the workspace's knowledge best matching `query`, best first.

    Only ready documents of this workspace are searched (a tenant never sees another's text).
    Scores are BM25, or, with an embedding function configured, a blend of BM25 scaled to 0..1 and
    cosine similarity (KNOWLEDGE_DENSE_WEIGHT, default 0.5). Passages scoring 0 are never returned.
    With `data_source` (an instance or id), answered questions are only those asked of that source.
    With `user`, documents taken away from them by a grant are left out.
    """
    workspace_id = getattr(workspace, "pk", workspace)
    query_terms = tokens(query or "")
    if k <= 0 or not (query or "").strip():
        return []
    candidates = _candidates(workspace_id, sources, document_ids, data_source, user)
    if not candidates:
        return []
    lexical = bm25_scores(query_terms, [(c.terms, c.length) for c in candidates])

    scores = lexical
    query_vector = None
    if any(c.embedding for c in candidates):
        vectors = embed_texts([query])
        query_vector = vectors[0] if vectors else None
    if query_vector is not None:
        weight = float(getattr(settings, "KNOWLEDGE_DENSE_WEIGHT", 0.5))
        top = max(lexical) or 1.0
        scores = [(1 - weight) * (score / top) + weight * max(0.0, cosine(query_vector, c.embedding or []))
                  for score, c in zip(lexical, candidates, strict=True)]

    ranked = sorted(zip(scores, range(len(candidates)), strict=True), key=lambda pair: (-pair[0], pair[1]))
    return [candidates[i].build(round(score, 6)) for score, i in ranked[:k] if score > max(min_score, 0.0)]


# --- answered questions -------------------------------------------------------------------------------

def _answer_text(question: str, sql: str, answer_text: str) -> str:
    parts = [f"Question: {question.strip()}"]
    if answer_text.strip():
        parts.append(f"Answer: {answer_text.strip()}")
    if sql.strip():
        parts.append(f"SQL: {sql.strip()}")
    return "\n".join(parts)


def index_answer(workspace: Any, question: str, sql: str, answer_text: str = "", *,
                 data_source: Any = None) -> AnsweredQuestion | None:
    """Remember a good answer so a similar later question finds it (`search(..., sources=("answers",))`).

    The same question with the same SQL on the same source is stored once (its count goes up).
    Returns None for an empty question. Call it only for answers worth repeating: validated,
    executed, not refused.
    """
    question = (question or "").strip()
    if not question:
        return None
    sql = (sql or "").strip()
    answer_text = (answer_text or "").strip()
    source_id = getattr(data_source, "pk", data_source)
    fingerprint = hashlib.sha256((f"{source_id or ''}\x00" + " ".join(normalize(question).split()) + "\x00"
                                  + " ".join(sql.split())).encode()).hexdigest()
    # The question counts twice: it is what a later question will resemble most.
    terms, length = term_frequencies(f"{question}\n{question}\n{answer_text}")
    vectors = embed_texts([_answer_text(question, sql, answer_text)])
    workspace_id = getattr(workspace, "pk", workspace)
    fields = {"question": question, "sql": sql, "answer_text": answer_text, "terms": terms, "data_source_id": source_id,
              "token_count": length, "embedding": vectors[0] if vectors else None}
    existing = AnsweredQuestion.objects.filter(workspace_id=workspace_id, fingerprint=fingerprint)
    if existing.update(times_answered=F("times_answered") + 1, updated_at=timezone.now(), **fields):
        return existing.first()
    try:
        with transaction.atomic():
            return AnsweredQuestion.objects.create(workspace_id=workspace_id, fingerprint=fingerprint, **fields)
    except IntegrityError:  # a concurrent call stored it first
        existing.update(times_answered=F("times_answered") + 1)
        return existing.first()
