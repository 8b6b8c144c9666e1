"""The follow-up rewriter for the built-in engine: deterministic, narrow, and honest about what it did."""
import pytest

from chat.answers import summarize
from chat.followup import resolve


@pytest.mark.parametrize(("previous", "follow_up", "expected", "kind"), [
    ("How many customers are there?", "and per segment?", "How many customers are there per segment?", "group"),
    ("How many customers are there per segment?", "and by region?", "How many customers are there per region?",
     "group"),
    ("How many customers are there per segment?", "what about Germany?",
     "How many customers are there per segment in Germany?", "place"),
    ("How many customers are there per segment in Germany?", "What about France?",
     "How many customers are there per segment in France?", "place"),
    ("How many orders are there per status?", "only for 2024", "How many orders are there per status in 2024?",
     "year"),
    ("How many orders are there per status in 2024?", "and 2023?", "How many orders are there per status in 2023?",
     "year"),
    ("How many orders are there in 2024?", "broken down by channel",
     "How many orders are there per channel in 2024?", "group"),
    ("How many customers are there?", "And in Germany?", "How many customers are there in Germany?", "place"),
])
def test_follow_ups_replace_or_add_the_grouping_place_or_year(previous, follow_up, expected, kind):
    result = resolve(follow_up, previous)
    assert result.rewritten and result.question == expected and result.kind == kind


@pytest.mark.parametrize("text", ["How many products are there?", "what about products?", "blorp", ""])
def test_anything_else_is_asked_as_written(text):
    result = resolve(text, "How many customers are there?")
    assert not result.rewritten and result.question == text.strip()


def test_without_a_previous_question_nothing_is_rewritten():
    assert resolve("and per segment?", None).question == "and per segment?"


def test_answer_sentences_come_from_the_result():
    one = summarize(question="How many customers are there?", status="completed", columns=[{"name": "n"}],
                    rows=[[5000]], rows_returned=1, truncated=False)
    assert one == "There are 5,000 customers."
    rows = summarize(question="How many customers are there per segment?", status="completed",
                     columns=[{"name": "segment"}, {"name": "count"}],
                     rows=[["Consumer", 10], ["Corporate", 30]], rows_returned=2, truncated=False)
    assert rows.startswith("Here are the 2 rows (segment, count).") and "Corporate with 30" in rows
    refused = summarize(question="blorp", status="not_answered", columns=[], rows=[], rows_returned=None,
                        truncated=False, refusal={"reason": "I do not know blorp", "suggestions": ["How many x?"]})
    assert refused == "I do not know blorp. You could ask: “How many x?”."
    assert summarize(question="q", status="completed", columns=[{"name": "a"}], rows=[], rows_returned=0,
                     truncated=False) == "No rows match."
