"""Serves the built browser app: static assets, and index.html for every client-side route.

Assets are served precompressed (Brotli or gzip files written beside them by the web build) when
the browser accepts it; content-hashed files under `assets/` are cached for a year, the rest revalidated.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse

BUNDLED_STATIC = Path(__file__).parent / "static"
# Vite names every file under assets/ by its content hash: a changed file gets a new name.
HASHED_DIR = "assets"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
# Preferred first: Brotli files are smaller than gzip ones.
ENCODINGS = (("br", ".br"), ("gzip", ".gz"))

NOT_BUILT = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Earshot</title></head>
<body style="font-family:system-ui;max-width:40rem;margin:4rem auto">
<h1>Earshot is running, but its web app is not built</h1>
<p>Run <code>make build</code> (or <code>make run</code>) to build it, then reload this page.
The API is available under <code>/api</code>.</p></body></html>"""


def accepted_encodings(header: str) -> set[str]:
    """The codings an Accept-Encoding header allows (q=0 refuses one)."""
    accepted = set()
    for part in header.split(","):
        name, _, params = part.strip().partition(";")
        quality = params.strip().removeprefix("q=") if params.strip().startswith("q=") else "1"
        try:
            allowed = float(quality) > 0
        except ValueError:
            allowed = False
        if name and allowed:
            accepted.add(name.strip().lower())
    return accepted


def static_response(file: Path, root: Path, accept_encoding: str) -> FileResponse:
    """The file, or its precompressed copy if the client takes it, with its caching policy."""
    hashed = file.relative_to(root).parts[0] == HASHED_DIR
    headers = {"Cache-Control": IMMUTABLE if hashed else REVALIDATE, "Vary": "Accept-Encoding"}
    media_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    accepted = accepted_encodings(accept_encoding)
    for coding, suffix in ENCODINGS:
        compressed = file.with_name(file.name + suffix)
        if coding in accepted and compressed.is_file():
            return FileResponse(compressed, media_type=media_type, headers={**headers, "Content-Encoding": coding})
    return FileResponse(file, media_type=media_type, headers=headers)


def mount_web_app(app: FastAPI, static_dir: Path | None) -> None:
    root = (static_dir or BUNDLED_STATIC).resolve()

    @app.get("/{path:path}", include_in_schema=False, response_model=None)
    async def web_app(path: str, request: Request) -> FileResponse | HTMLResponse:
        if path.startswith(("api/", "ws/")):
            raise HTTPException(status_code=404, detail="not found")
        accept_encoding = request.headers.get("accept-encoding", "")
        candidate = (root / path).resolve()
        if path and candidate.is_file() and candidate.is_relative_to(root):
            return static_response(candidate, root, accept_encoding)
        index = root / "index.html"
        if not index.is_file():
            return HTMLResponse(NOT_BUILT, status_code=503)
        # Client-side routes (/agent, /call, ...) all load the same page.
        return static_response(index, root, accept_encoding)
