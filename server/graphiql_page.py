"""GraphiQL from the platform itself: the page and its files, no CDN (machines without
internet, and no third-party script on a page that holds access tokens).

The files are the UMD builds of the npm packages pinned in server/graphiql/package-lock.json;
`make install` installs them (`npm ci` there). Only the files named here are served.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response

GRAPHIQL_DIR = Path(__file__).parent / "graphiql"
_MODULES = GRAPHIQL_DIR / "node_modules"
ASSETS: dict[str, tuple[str, str]] = {
    "react.js": ("react/umd/react.production.min.js", "text/javascript"),
    "react-dom.js": ("react-dom/umd/react-dom.production.min.js", "text/javascript"),
    "graphql-ws.js": ("graphql-ws/umd/graphql-ws.min.js", "text/javascript"),
    "graphiql.js": ("graphiql/graphiql.min.js", "text/javascript"),
    "graphiql.css": ("graphiql/graphiql.min.css", "text/css"),
}
_MISSING = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>GraphiQL</title>
</head><body><p>GraphiQL's files are not installed here: run <code>make install</code>
(it runs <code>npm ci</code> in server/graphiql).</p></body></html>"""


def installed() -> bool:
    return all((_MODULES / path).is_file() for path, _ in ASSETS.values())


def page_html() -> str:
    return (GRAPHIQL_DIR / "index.html").read_text() if installed() else _MISSING


async def asset(request: Request) -> Response:
    found = ASSETS.get(request.path_params["name"])
    if found is None or not (_MODULES / found[0]).is_file():
        return Response("not found", status_code=404, media_type="text/plain")
    path, media_type = found
    # Versions are pinned by the lock file; a day of caching is safe across upgrades' restarts.
    return FileResponse(
        _MODULES / path, media_type=media_type, headers={"cache-control": "public, max-age=86400"}
    )
