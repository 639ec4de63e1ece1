"""Static files under content-hashed names, cached for a year and compressed; pages compressed too."""

import gzip
import re
from pathlib import Path

import brotli

from portal.assets import IMMUTABLE


def asset_urls(client) -> list[str]:
    html = client.get("/login").get_data(as_text=True)
    return re.findall(r'(?:href|src)="(/assets/[^"]+)"', html)


def test_pages_name_static_files_by_their_content(app, client):
    urls = asset_urls(client)
    assert any(re.fullmatch(r"/assets/css/portal\.[0-9a-f]{10}\.css", u) for u in urls)
    assert any(re.fullmatch(r"/assets/js/portal\.[0-9a-f]{10}\.js", u) for u in urls)
    body = client.get(next(u for u in urls if u.endswith(".css"))).data
    assert body == (Path(app.static_folder) / "css" / "portal.css").read_bytes()


def test_hashed_files_are_immutable_compressed_and_never_vary_by_cookie(client):
    for url in asset_urls(client):
        plain = client.get(url)
        assert plain.status_code == 200 and plain.headers["Cache-Control"] == IMMUTABLE, url
        assert "Cookie" not in plain.headers.get("Vary", "") and "Set-Cookie" not in plain.headers
        assert plain.headers["X-Content-Type-Options"] == "nosniff"
        if url.endswith((".css", ".js")):
            br = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
            assert br.headers["Content-Encoding"] == "br" and brotli.decompress(br.data) == plain.data
            gz = client.get(url, headers={"Accept-Encoding": "gzip"})
            assert gz.headers["Content-Encoding"] == "gzip" and gzip.decompress(gz.data) == plain.data
            assert len(br.data) < len(plain.data) / 2
        again = client.get(url, headers={"If-None-Match": plain.headers["ETag"]})
        assert again.status_code == 304


def test_an_unknown_or_stale_name_is_the_ordinary_404(client):
    response = client.get("/assets/css/portal.0000000000.css")
    assert response.status_code == 404 and "<html" in response.get_data(as_text=True)


def test_pages_are_compressed_when_the_browser_asks(client):
    response = client.get("/login", headers={"Accept-Encoding": "br"})
    assert response.headers["Content-Encoding"] == "br" and "Accept-Encoding" in response.headers["Vary"]
    assert "<html" in brotli.decompress(response.data).decode()
