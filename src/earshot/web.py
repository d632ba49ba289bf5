"""Serves the built browser app: static assets, and index.html for every client-side route."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse

BUNDLED_STATIC = Path(__file__).parent / "static"

NOT_BUILT = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Earshot</title></head>
<body style="font-family:system-ui;max-width:40rem;margin:4rem auto">
<h1>Earshot is running, but its web app is not built</h1>
<p>Run <code>make build</code> (or <code>make run</code>) to build it, then reload this page.
The API is available under <code>/api</code>.</p></body></html>"""


def mount_web_app(app: FastAPI, static_dir: Path | None) -> None:
    root = (static_dir or BUNDLED_STATIC).resolve()

    @app.get("/{path:path}", include_in_schema=False, response_model=None)
    async def web_app(path: str, request: Request) -> FileResponse | HTMLResponse:
        if path.startswith(("api/", "ws/")):
            raise HTTPException(status_code=404, detail="not found")
        candidate = (root / path).resolve()
        if path and candidate.is_file() and candidate.is_relative_to(root):
            return FileResponse(candidate)
        index = root / "index.html"
        if not index.is_file():
            return HTMLResponse(NOT_BUILT, status_code=503)
        # Client-side routes (/agent, /call, ...) all load the same page.
        return FileResponse(index, headers={"Cache-Control": "no-cache"})
