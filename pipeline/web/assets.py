"""The GOV.UK Frontend stylesheet, script and images, from the npm package the set-up installs
(`pipeline/web/assets/node_modules/govuk-frontend`, never copied into the repository).

The stylesheet is served without its `@font-face` rules: GDS Transport is for services on GOV.UK
only (GOV.UK Design System, "Typeface"); a council's service falls back to Arial, as the stylesheet's
own font stack says, and the font files are not served at all.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from flask import Flask, Response, abort, send_from_directory

FRONTEND = Path(__file__).parent / "assets" / "node_modules" / "govuk-frontend" / "dist" / "govuk"
_FONT_FACE = re.compile(r"@font-face\{[^}]*\}")
_SERVED = {"govuk-frontend.min.css", "govuk-frontend.min.js"}


def install(app: Flask) -> None:
    app.add_url_rule("/assets/<path:name>", "asset", _asset)


def installed() -> bool:
    return (FRONTEND / "govuk-frontend.min.css").is_file()


@functools.cache
def _stylesheet() -> bytes:
    css = (FRONTEND / "govuk-frontend.min.css").read_text(encoding="utf-8")
    own = (Path(__file__).parent / "desk.css").read_text(encoding="utf-8")
    return (_FONT_FACE.sub("", css) + "\n" + own).encode("utf-8")


def _asset(name: str) -> Response:
    if name == "govuk-frontend.min.css":
        if not installed():
            abort(404)
        return Response(_stylesheet(), mimetype="text/css", headers={"Cache-Control": "max-age=3600"})
    if name == "desk-init.js":
        return send_from_directory(Path(__file__).parent, name, max_age=3600)
    if name in _SERVED:
        return send_from_directory(FRONTEND, name, max_age=3600)
    if name.startswith("images/") or name == "manifest.json":
        return send_from_directory(FRONTEND / "assets", name, max_age=3600)
    abort(404)
