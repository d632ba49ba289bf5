"""Web bundle sizes: what each page of the built web app downloads (JS and CSS), raw, gzip and Brotli.

Reads the Vite manifest of the build (`src/earshot/static/.vite/manifest.json`, written by
`cd web && npm run build`) and follows each page's static imports, so a page counts the chunks it
needs before it renders and nothing it loads later. Brotli sizes are those of the `.br` files the
build writes beside each asset (what the server sends to a browser that takes Brotli; files under
1 kB are sent as they are); gzip is level 9, as the build writes it.

    .venv/bin/python bench/web_bundles.py
    .venv/bin/python bench/web_bundles.py --static path/to/static
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENTRY = "index.html"
PAGES = {
    "customer (/call)": [],
    "agent console (/agent)": ["src/pages/AgentPage.tsx"],
    "supervisor console (/supervisor)": ["src/pages/SupervisorPage.tsx"],
    "dashboard (/dashboard)": ["src/pages/DashboardPage.tsx"],
    "login (/login)": ["src/pages/LoginPage.tsx"],
}


def page_files(manifest: dict[str, dict], keys: list[str]) -> list[str]:
    """The files (JS and CSS) of these manifest entries and everything they import statically."""
    seen: set[str] = set()
    files: list[str] = []
    pending = [ENTRY, *keys]
    while pending:
        key = pending.pop()
        if key in seen or key not in manifest:  # a page not split off is in the entry already
            continue
        seen.add(key)
        chunk = manifest[key]
        for file in [chunk["file"], *chunk.get("css", [])]:
            if file not in files:
                files.append(file)
        pending.extend(chunk.get("imports", []))
    return files


def sizes(static: Path, files: list[str]) -> tuple[int, int, int]:
    """Raw, gzip and sent bytes (the Brotli copy where the build wrote one, else the file itself)."""
    raw = gz = sent = 0
    for name in files:
        data = (static / name).read_bytes()
        raw += len(data)
        gz += len(gzip.compress(data, compresslevel=9))
        brotli = static / f"{name}.br"
        sent += brotli.stat().st_size if brotli.is_file() else len(data)
    return raw, gz, sent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--static", type=Path, default=ROOT / "src" / "earshot" / "static")
    args = parser.parse_args()
    manifest_path = args.static / ".vite" / "manifest.json"
    if not manifest_path.is_file():
        print(f"no {manifest_path}: build the web app first (cd web && npm run build)", file=sys.stderr)
        return 1
    manifest = json.loads(manifest_path.read_text())
    print(f"{'page':34} {'files':>5} {'raw kB':>8} {'gzip kB':>8} {'sent kB (br)':>12}")
    for page, keys in PAGES.items():
        files = page_files(manifest, keys)
        raw, gz, sent = sizes(args.static, files)
        print(f"{page:34} {len(files):5d} {raw / 1000:8.1f} {gz / 1000:8.1f} {sent / 1000:12.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
