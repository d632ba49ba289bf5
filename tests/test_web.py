"""The built web app is served precompressed when the browser takes it, hashed assets cached for a year."""

from __future__ import annotations

import gzip
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from earshot.web import accepted_encodings, mount_web_app

SCRIPT = b"console.log('earshot');\n" * 200


@pytest.fixture
def static(tmp_path: Path) -> Path:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><title>Earshot</title>")
    asset = tmp_path / "assets" / "index-Ab12Cd34.js"
    asset.write_bytes(SCRIPT)
    asset.with_name(asset.name + ".gz").write_bytes(gzip.compress(SCRIPT))
    asset.with_name(asset.name + ".br").write_bytes(b"brotli bytes as the build wrote them")
    (tmp_path / "pcm-capture-worklet.js").write_text("registerProcessor('x', class {});")
    return tmp_path


async def get(static: Path, path: str, accept_encoding: str) -> tuple[httpx.Response, bytes]:
    """The response and its body as sent (httpx would otherwise decode it)."""
    app = FastAPI()
    mount_web_app(app, static)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        async with client.stream("GET", path, headers={"Accept-Encoding": accept_encoding}) as response:
            body = b"".join([chunk async for chunk in response.aiter_raw()])
            return response, body


async def test_a_hashed_asset_comes_as_brotli_or_gzip_as_accepted_and_is_cached_for_a_year(static: Path) -> None:
    brotli, sent = await get(static, "/assets/index-Ab12Cd34.js", "gzip, deflate, br")
    assert sent == b"brotli bytes as the build wrote them"
    assert brotli.headers["content-encoding"] == "br"
    assert brotli.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert brotli.headers["vary"] == "Accept-Encoding"
    assert brotli.headers["content-type"].startswith("text/javascript")

    gzipped, sent = await get(static, "/assets/index-Ab12Cd34.js", "gzip")
    assert gzipped.headers["content-encoding"] == "gzip"
    assert gzip.decompress(sent) == SCRIPT

    plain, sent = await get(static, "/assets/index-Ab12Cd34.js", "identity")
    assert "content-encoding" not in plain.headers
    assert sent == SCRIPT


async def test_pages_and_unhashed_files_are_revalidated(static: Path) -> None:
    for path in ("/", "/agent", "/pcm-capture-worklet.js"):
        response, _ = await get(static, path, "br")
        assert response.status_code == 200
        assert response.headers["cache-control"] == "no-cache"
        assert "content-encoding" not in response.headers  # no compressed copy of these small files


def test_a_coding_refused_with_q_zero_is_not_used() -> None:
    assert accepted_encodings("gzip, br;q=0") == {"gzip"}
    assert accepted_encodings("br;q=0.5, gzip;q=1.0") == {"br", "gzip"}
    assert accepted_encodings("") == set()
