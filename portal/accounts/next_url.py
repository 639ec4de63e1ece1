"""The one check for where a sign-in may send the browser next (staff, customer code, APP hand-off).

Only a path on this site. The check reads the value as a browser would: browsers drop tabs and newlines
anywhere in a URL, read a backslash as a slash, and a second leading slash makes the rest a host
("/\\t/evil.com" becomes "//evil.com"). So any control character, any backslash, a scheme or host, and a
path that starts with two slashes are refused, in the value as sent and in each percent-decoded form of it.
"""

from urllib.parse import unquote, urlsplit

MAX_LENGTH = 2000  # platform choice: longer than any address of this portal
DECODE_ROUNDS = 3  # "%252F" and the like: each decoded form is checked too


def safe_next(value: object) -> str | None:
    """The value itself when it is a path on this site, else None."""
    if not isinstance(value, str) or not value or len(value) > MAX_LENGTH:
        return None
    form = value
    for _ in range(DECODE_ROUNDS + 1):
        if not _is_local(form):
            return None
        decoded = unquote(form)
        if decoded == form:
            break
        form = decoded
    return value


def _is_local(path: str) -> bool:
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in path) or "\\" in path:
        return False
    if not path.startswith("/") or path.startswith("//"):
        return False
    parts = urlsplit(path)
    return not parts.scheme and not parts.netloc
