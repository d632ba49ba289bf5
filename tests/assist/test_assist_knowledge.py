"""The knowledge base: the shipped articles, search by what customers say, and articles that cannot be read."""

from __future__ import annotations

from pathlib import Path

import pytest

from earshot.assist.knowledge import KnowledgeBase, KnowledgeError
from earshot.assist.types import Action


@pytest.fixture(scope="module")
def knowledge() -> KnowledgeBase:
    return KnowledgeBase.load()


def test_the_demo_set_ships_eight_articles_for_the_common_topics(knowledge: KnowledgeBase) -> None:
    assert [a.id for a in knowledge.articles] == [
        "billing-and-charges", "cancellation-and-retention", "escalation-policy", "password-and-login",
        "refunds", "returns-and-replacements", "shipping-and-tracking", "warranty-and-repairs",
    ]  # fmt: skip
    assert all(a.title and a.summary and a.actions for a in knowledge.articles)
    assert [a.id for a in knowledge.for_action(Action.track_order)] == ["shipping-and-tracking"]


@pytest.mark.parametrize(
    ("query", "article"),
    [
        ("where is my parcel", "shipping-and-tracking"),
        ("I was charged twice", "billing-and-charges"),
        ("forgot my password", "password-and-login"),
        ("it arrived smashed", "returns-and-replacements"),
        ("refund window", "refunds"),
        ("cancel my membership it is too expensive", "cancellation-and-retention"),
        ("let me speak to a manager", "escalation-policy"),
        ("how long is the warranty on my laptop", "warranty-and-repairs"),
    ],
)
def test_search_finds_the_article_a_customer_means(knowledge: KnowledgeBase, query: str, article: str) -> None:
    hits = knowledge.search(query, limit=3)
    assert hits[0].id == article
    assert hits[0].score > 0 and hits[0].snippet and len(hits[0].snippet) <= 241


def test_the_snippet_is_the_passage_about_the_query(knowledge: KnowledgeBase) -> None:
    snippet = knowledge.search("reset link expired", limit=1)[0].snippet
    assert "30 minutes" in snippet


def test_a_query_sharing_no_word_finds_nothing(knowledge: KnowledgeBase) -> None:
    assert knowledge.search("zebra xylophone") == []


def test_a_folder_from_settings_replaces_the_shipped_articles(tmp_path: Path) -> None:
    (tmp_path / "pets.md").write_text("---\ntitle: Pet damage\nactions: [offer_solution]\nkeywords: [dog]\n---\nDogs chew cables.\n")
    knowledge = KnowledgeBase.load(tmp_path)
    assert [a.id for a in knowledge.articles] == ["pets"]
    assert knowledge.search("my dog ate the cable")[0].title == "Pet damage"


@pytest.mark.parametrize(
    ("content", "complaint"),
    [
        ("# Just markdown\nNo front matter.", "front matter"),
        ("---\ntitle: [unclosed\n---\nBody", "not valid YAML"),
        ("---\nactions: [offer_refund]\n---\nBody", "needs a 'title'"),
        ("---\ntitle: Odd\nactions: [send_flowers]\n---\nBody", "send_flowers"),
    ],
)
def test_an_unreadable_article_is_refused_naming_the_file(tmp_path: Path, content: str, complaint: str) -> None:
    (tmp_path / "broken.md").write_text(content)
    with pytest.raises(KnowledgeError) as caught:
        KnowledgeBase.load(tmp_path)
    assert complaint in str(caught.value) and "broken.md" in str(caught.value)


def test_a_missing_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeError, match="does not exist"):
        KnowledgeBase.load(tmp_path / "nowhere")
