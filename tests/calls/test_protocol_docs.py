"""docs/protocol.md, the pydantic models and the exported JSON Schemas agree."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter

from earshot.calls.protocol import (
    client_message_adapter,
    json_schema,
    server_message_adapter,
)

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "protocol.md").read_text()
REGENERATE = "run `make protocol` to regenerate it"


def _section(title: str) -> str:
    start = DOC.index(f"## {title}")
    following = DOC.find("\n## ", start + 1)
    return DOC[start : following if following != -1 else len(DOC)]


def _documented(section: str) -> dict[str, str]:
    """Message type -> the text of its `### \\`type\\`` subsection."""
    parts = re.split(r"^### `([a-z_]+)`\s*$", section, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def _types(adapter: TypeAdapter[Any]) -> set[str]:
    return set(adapter.json_schema()["discriminator"]["mapping"])


DIRECTIONS = [("Client to server", client_message_adapter), ("Server to client", server_message_adapter)]


@pytest.mark.parametrize(("title", "adapter"), DIRECTIONS)
def test_every_message_type_is_documented_and_every_documented_type_exists(title: str, adapter: TypeAdapter[Any]) -> None:
    documented = set(_documented(_section(title)))
    assert documented == _types(adapter), (
        f"{title}: undocumented {sorted(_types(adapter) - documented)}, unknown {sorted(documented - _types(adapter))}"
    )


@pytest.mark.parametrize(("title", "adapter"), DIRECTIONS)
def test_every_example_is_a_valid_message_of_its_section(title: str, adapter: TypeAdapter[Any]) -> None:
    for kind, text in _documented(_section(title)).items():
        examples = re.findall(r"```json\n(.*?)\n```", text, flags=re.DOTALL)
        assert examples, f"`{kind}` has no example"
        for example in examples:
            message = adapter.validate_python(json.loads(example))
            assert message.type == kind


@pytest.mark.parametrize("path", ["docs/protocol.schema.json", "web/src/lib/protocol.schema.json"])
def test_exported_schema_matches_the_models(path: str) -> None:
    exported = json.loads((ROOT / path).read_text())
    assert exported == json_schema(), f"{path} is out of date: {REGENERATE}"
