"""The knowledge base: Markdown articles agents search and suggestions cite.

An article is a Markdown file whose YAML front matter gives its `title`, the `actions`
it supports and extra `keywords` (synonyms customers use that the body may not); the
file name is its id. Earshot ships a demo set in `assist/knowledge/`; a deployment points
`EARSHOT_ASSIST_KNOWLEDGE_DIR` at its own folder. Search is BM25 over title, keywords and
body, so it needs no model and answers in well under a millisecond for hundreds of articles.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from earshot.assist.text import Analyzer, Bm25Index, synonym_map, words
from earshot.assist.types import Action

log = logging.getLogger(__name__)

SHIPPED_DIR = Path(__file__).with_name("knowledge")
FIELD_WEIGHTS = {"title": 3.0, "keywords": 2.0, "summary": 1.5, "body": 1.0}
SNIPPET_CHARS = 240
RELATIVE_CUTOFF = 0.25  # hits scoring under this share of the best one are noise (a shared common word)

# Words customers and articles use for the same thing.
KNOWLEDGE_SYNONYMS = (
    ("package", "parcel", "shipment", "delivery", "deliveries"),
    ("refund", "reimburse", "reimbursement", "repay"),
    ("cancel", "cancellation", "terminate", "unsubscribe"),
    ("password", "passcode", "pwd"),
    ("login", "logon", "signin"),
    ("charge", "fee", "debit"),
    ("invoice", "bill", "statement"),
    ("broken", "damaged", "cracked", "smashed", "defective", "faulty"),
    ("supervisor", "manager"),
)

_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n(.*)\Z", re.DOTALL)
_MARKDOWN = re.compile(r"[*_`>#]+")


class KnowledgeError(Exception):
    """An article that cannot be read; raised at start-up, naming the file."""


@dataclass(frozen=True)
class Article:
    id: str
    title: str
    actions: tuple[Action, ...]
    keywords: tuple[str, ...]
    summary: str  # the first paragraph
    body: str  # Markdown, without the front matter


@dataclass(frozen=True)
class ArticleHit:
    id: str
    title: str
    score: float  # BM25; only comparable within one query
    snippet: str  # the passage that matches the query best


class KnowledgeBase:
    def __init__(self, articles: list[Article]) -> None:
        self.articles = sorted(articles, key=lambda a: a.id)
        self._by_id = {a.id: a for a in self.articles}
        self._analyzer = Analyzer(synonym_map(KNOWLEDGE_SYNONYMS), bigrams=False)
        fields = [
            {"title": a.title, "keywords": " ".join(a.keywords), "summary": a.summary, "body": a.body}
            for a in self.articles
        ]
        self._index = Bm25Index(self._analyzer, fields, FIELD_WEIGHTS)
        self._passages = {a.id: _passages(a) for a in self.articles}

    @classmethod
    def load(cls, directory: Path | None = None) -> KnowledgeBase:
        """Every `*.md` in the folder (the shipped demo set by default)."""
        folder = directory or SHIPPED_DIR
        if not folder.is_dir():
            raise KnowledgeError(f"knowledge base folder {folder} does not exist")
        articles = [parse_article(path) for path in sorted(folder.glob("*.md"))]
        log.info("knowledge base: %d articles from %s", len(articles), folder)
        return cls(articles)

    def get(self, article_id: str) -> Article | None:
        return self._by_id.get(article_id)

    def for_action(self, action: Action) -> list[Article]:
        return [a for a in self.articles if action in a.actions]

    def search(self, query: str, limit: int = 5, *, among: set[str] | None = None) -> list[ArticleHit]:
        """Best matches first; articles sharing no word with the query are left out."""
        scored = [
            (score, article)
            for score, article in zip(self._index.scores(query), self.articles, strict=True)
            if score > 0 and (among is None or article.id in among)
        ]
        scored.sort(key=lambda pair: (-pair[0], pair[1].id))
        if scored:
            scored = [(score, a) for score, a in scored if score >= RELATIVE_CUTOFF * scored[0][0]]
        return [ArticleHit(a.id, a.title, score, self.snippet(a.id, query)) for score, a in scored[:limit]]

    def snippet(self, article_id: str, query: str) -> str:
        """The article's passage sharing the most words with the query (its summary on a tie)."""
        passages = self._passages[article_id]
        wanted = set(self._analyzer.terms(query))
        best = max(passages, key=lambda p: len(wanted & set(self._analyzer.terms(p))), default="")
        return _shorten(best)


def parse_article(path: Path) -> Article:
    text = path.read_text(encoding="utf-8")
    match = _FRONT_MATTER.match(text)
    if match is None:
        raise KnowledgeError(f"{path}: missing the '---' front matter with title, actions and keywords")
    try:
        meta = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as exc:
        raise KnowledgeError(f"{path}: front matter is not valid YAML: {exc}") from exc
    if not isinstance(meta, dict) or not isinstance(meta.get("title"), str):
        raise KnowledgeError(f"{path}: front matter needs a 'title'")
    try:
        actions = tuple(Action(a) for a in meta.get("actions") or [])
    except ValueError as exc:
        raise KnowledgeError(f"{path}: {exc}") from exc
    body = match.group(2).strip()
    summary = next((p for p in _paragraphs(body) if not p.startswith("#")), "")
    keywords = tuple(str(k) for k in meta.get("keywords") or [])
    return Article(path.stem, meta["title"].strip(), actions, keywords, _plain(summary), body)


def _paragraphs(body: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", body) if p.strip()]


def _passages(article: Article) -> list[str]:
    """Summary first, then every paragraph or list item under the headings."""
    passages = [article.summary]
    for paragraph in _paragraphs(article.body):
        if paragraph.startswith("#"):
            continue
        for line in re.split(r"\n(?=\s*(?:[-*]|\d+\.)\s)", paragraph):
            plain = _plain(line)
            if len(words(plain)) >= 4 and plain not in passages:
                passages.append(plain)
    return passages


def _plain(markdown: str) -> str:
    text = re.sub(r"^\s*(?:[-*]|\d+\.)\s+", "", markdown, flags=re.MULTILINE)
    return " ".join(_MARKDOWN.sub("", text).split())


def _shorten(text: str) -> str:
    if len(text) <= SNIPPET_CHARS:
        return text
    cut = text[:SNIPPET_CHARS].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"
