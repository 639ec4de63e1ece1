"""Static files under content-hashed names (css/portal.1a2b3c4d5e.css), cached by browsers for a year and
sent compressed (brotli or gzip, as the browser asks). Templates name them with `asset('css/portal.css')`.

A changed file gets a new name, so a page never meets a stale copy; the answer touches no session, so it
carries no `Vary: Cookie` and any cache may keep it."""

import base64
import gzip
import hashlib
import mimetypes
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import brotli
from flask import Flask
from flask import request as flask_request
from werkzeug.datastructures import Accept
from werkzeug.wrappers import Request, Response

IMMUTABLE = "public, max-age=31536000, immutable"
PREFIX = "/assets/"
COMPRESSIBLE = ("text/", "application/javascript", "image/svg+xml", "application/json")


def preferred_encoding(accepted: Accept) -> str | None:
    """'br', else 'gzip', when the browser accepts it (Accept-Encoding parsed); None for neither."""
    return next((name for name in ("br", "gzip") if accepted[name]), None)


@dataclass
class Asset:
    body: bytes
    mimetype: str
    etag: str
    encoded: dict[str, bytes] = field(default_factory=dict)  # made on first request, then kept

    def encoding_for(self, accepted) -> str | None:
        """'br', 'gzip' or None: the best the browser accepts, when compressing helps at all."""
        if not self.mimetype.startswith(COMPRESSIBLE) or len(self.body) < 256:
            return None
        return preferred_encoding(accepted)

    def body_for(self, encoding: str | None) -> bytes:
        if encoding is None:
            return self.body
        if encoding not in self.encoded:
            if encoding == "br":
                self.encoded[encoding] = brotli.compress(self.body, quality=11)
            else:
                self.encoded[encoding] = gzip.compress(self.body, 9, mtime=0)
        return self.encoded[encoding]


@dataclass(frozen=True)
class Manifest:
    names: dict[str, str]  # "css/portal.css" → "css/portal.1a2b3c4d5e.css"
    assets: dict[str, Asset]  # hashed name → the file


def hashed_name(name: str, digest: str) -> str:
    stem, dot, ext = name.rpartition(".")
    return f"{stem}.{digest}.{ext}" if dot and "/" not in ext else f"{name}.{digest}"


@cache
def manifest_of(folder: str) -> Manifest:
    """Every file of the static folder, read once per process."""
    names, assets = {}, {}
    root = Path(folder)
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        name = path.relative_to(root).as_posix()
        body = path.read_bytes()
        digest = hashlib.sha256(body).hexdigest()[:10]
        hashed = hashed_name(name, digest)
        mimetype = mimetypes.guess_type(name)[0] or "application/octet-stream"
        names[name] = hashed
        assets[hashed] = Asset(body, mimetype, digest)
    return Manifest(names, assets)


class AssetMiddleware:
    """Answers /assets/<hashed name> before Flask (no session, no hooks); the rest goes on to the app."""

    def __init__(self, app, manifest: Manifest, prefix: str = PREFIX):
        self.app = app
        self.manifest = manifest
        self.prefix = prefix

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if not path.startswith(self.prefix) or environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return self.app(environ, start_response)
        request = Request(environ)
        found = self.manifest.assets.get(path[len(self.prefix) :])
        if found is None:
            return self.app(environ, start_response)  # the app's own 404 page
        encoding = found.encoding_for(request.accept_encodings)
        etag = f'"{found.etag}-{encoding or "identity"}"'
        if request.if_none_match.contains(etag.strip('"')):
            response = Response(status=304)
        else:
            response = Response(found.body_for(encoding), mimetype=found.mimetype)
            if encoding:
                response.headers["Content-Encoding"] = encoding
        response.headers["ETag"] = etag
        response.headers["Cache-Control"] = IMMUTABLE
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.vary.add("Accept-Encoding")
        return response(environ, start_response)


def init_app(app: Flask) -> None:
    """Serve the hashed names in front of the app; `asset(name)` in templates gives a file's URL."""
    manifest = manifest_of(str(app.static_folder))
    app.wsgi_app = AssetMiddleware(app.wsgi_app, manifest)

    def asset(name: str) -> str:
        return f"{flask_request.script_root}{PREFIX}{manifest.names[name]}"

    def inline_asset(name: str) -> str:
        """A small file as a data: URL (the favicon), so that no page spends a request on it."""
        found = manifest.assets[manifest.names[name]]
        return f"data:{found.mimetype};base64,{base64.b64encode(found.body).decode()}"

    app.jinja_env.globals.update(asset=asset, inline_asset=inline_asset)
