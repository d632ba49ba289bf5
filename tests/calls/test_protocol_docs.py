"""docs/protocol.md, the pydantic models and the exported JSON Schemas agree."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from earshot.calls.protocol import (
    CUSTOMER_VISIBLE_EVENTS,
    client_message_adapter,
    json_schema,
    server_message_adapter,
)

ROOT = Path(__file__).resolve().parents[2]
DOC_PATH = ROOT / "docs" / "protocol.md"
REGENERATE = "run `make protocol` to regenerate it"
DIRECTIONS = [("Client to server", client_message_adapter), ("Server to client", server_message_adapter)]
SECTION_HEADING = re.compile(r"^### `([a-z_]+)`[ \t]*$", flags=re.MULTILINE)
JSON_EXAMPLE = re.compile(r"^```json\n(.*?)^```", flags=re.MULTILINE | re.DOTALL)


def _doc() -> str:
    return DOC_PATH.read_text()


def _direction(title: str) -> str:
    """The text under `## {title}`, up to the next `## ` heading."""
    doc = _doc()
    match = re.search(rf"^## {re.escape(title)}[ \t]*$", doc, flags=re.MULTILINE)
    assert match, f"docs/protocol.md has no `## {title}` heading; the message sections belong under it"
    following = re.compile(r"^## ", flags=re.MULTILINE).search(doc, match.end())
    return doc[match.end() : following.start() if following else len(doc)]


def _sections(title: str) -> list[tuple[str, str]]:
    """(message type, text of its `### \\`type\\`` section) in the order of the doc."""
    parts = SECTION_HEADING.split(_direction(title))
    return list(zip(parts[1::2], parts[2::2], strict=True))


def _types(adapter: TypeAdapter[Any]) -> set[str]:
    return set(adapter.json_schema()["discriminator"]["mapping"])


@pytest.mark.parametrize(("title", "adapter"), DIRECTIONS)
def test_every_message_type_is_documented_and_every_documented_type_exists(
    title: str, adapter: TypeAdapter[Any]
) -> None:
    documented = [kind for kind, _ in _sections(title)]
    duplicated = sorted({kind for kind in documented if documented.count(kind) > 1})
    assert not duplicated, f"docs/protocol.md, {title}: more than one section for {duplicated}"
    undocumented = sorted(_types(adapter) - set(documented))
    unknown = sorted(set(documented) - _types(adapter))
    assert not undocumented, f"docs/protocol.md, {title}: add a ### `type` section for {undocumented}"
    assert not unknown, f"docs/protocol.md, {title}: {unknown} are not in the models' union; rename or remove them"


def test_no_example_sits_outside_a_message_section() -> None:
    for title, _ in DIRECTIONS:
        intro = SECTION_HEADING.split(_direction(title))[0]
        assert not JSON_EXAMPLE.search(intro), f"docs/protocol.md, {title}: move the example into its ### section"


@pytest.mark.parametrize(("title", "adapter"), DIRECTIONS)
def test_every_example_is_a_valid_message_of_its_section(title: str, adapter: TypeAdapter[Any]) -> None:
    for kind, text in _sections(title):
        examples = JSON_EXAMPLE.findall(text)
        assert examples, f"docs/protocol.md, {title}: `{kind}` needs a ```json example"
        for example in examples:
            try:
                # As JSON, like a frame on the wire: datetimes are strings, enums their values.
                message = adapter.validate_json(example)
            except ValidationError as exc:
                pytest.fail(f"docs/protocol.md, {title}: the `{kind}` example is not a valid message:\n{exc}")
            assert message.type == kind, f"docs/protocol.md: the example under `{kind}` is a `{message.type}`"


def test_the_customer_visible_events_listed_are_the_ones_the_server_lets_through() -> None:
    sentence = re.search(r"Customers only ever receive (.*?)\.", _doc(), flags=re.DOTALL)
    assert sentence, "docs/protocol.md should say which events customers receive (`Customers only ever receive ...`)"
    listed = set(re.findall(r"`([a-z_]+)`", sentence.group(1)))
    expected = CUSTOMER_VISIBLE_EVENTS | {"queue_position"}
    assert listed == expected, (
        f"docs/protocol.md lists {sorted(listed)} as customer-visible; protocol.py says {sorted(expected)}"
    )


def _exported(path: str) -> dict[str, Any]:
    return json.loads((ROOT / path).read_text())


def test_docs_schema_matches_the_models() -> None:
    assert _exported("docs/protocol.schema.json") == json_schema(), (
        f"docs/protocol.schema.json is out of date: {REGENERATE}"
    )


def test_web_schema_matches_the_models() -> None:
    path = "web/src/lib/protocol.schema.json"
    if not (ROOT / path).exists():
        pytest.skip(f"{path} does not exist yet")
    assert _exported(path) == json_schema(), f"{path} (the web app's TypeScript types) is out of date: {REGENERATE}"
