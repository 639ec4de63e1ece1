"""The shell's small inline icons (24 × 24 SVG, stroked in the text colour): no icon font, no request.

A Python global, not a Jinja macro: a list of orders draws one per row, and a macro call costs more."""

from markupsafe import Markup

_OPEN = (
    '<svg class="{cls}" viewBox="0 0 24 24" width="24" height="24" aria-hidden="true" focusable="false" '
    'fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round">'
)
PATHS = {
    "back": '<path d="M15 5l-7 7 7 7"/>',
    "close": '<path d="M6 6l12 12M18 6L6 18"/>',
    "orders": '<path d="M6 7h12l-1 13H7L6 7z"/><path d="M9 7a3 3 0 0 1 6 0"/>',
    "records": '<path d="M6 3h12v18l-3-2-3 2-3-2-3 2V3z"/><path d="M9 8h6M9 12h6"/>',
    "inbox": '<rect x="3" y="5" width="18" height="14" rx="2"/><path d="M3 7l9 6 9-6"/>',
    "me": '<circle cx="12" cy="8" r="4"/><path d="M4 21c1-4 4-6 8-6s7 2 8 6"/>',
    "camera": '<path d="M4 8h3l2-3h6l2 3h3v11H4z"/><circle cx="12" cy="13" r="3.5"/>',
    "gallery": (
        '<rect x="3" y="4" width="18" height="16" rx="2"/><circle cx="9" cy="10" r="2"/>'
        '<path d="M21 16l-5-5-9 9"/>'
    ),
    "chevron": '<path d="M9 5l7 7-7 7"/>',
    "game": (
        '<rect x="2" y="7" width="20" height="11" rx="5"/><path d="M7 11v3M5.5 12.5h3"/>'
        '<circle cx="16" cy="11.5" r="1"/><circle cx="18" cy="14" r="1"/>'
    ),
    "phone": '<rect x="6" y="2" width="12" height="20" rx="2"/><path d="M11 18h2"/>',
    "card": '<rect x="2" y="5" width="20" height="14" rx="2"/><path d="M2 10h20M6 15h4"/>',
    "software": (
        '<rect x="3" y="4" width="18" height="14" rx="2"/>'
        '<path d="M8 21h8M12 18v3M8 9l-2 2 2 2M16 9l2 2-2 2"/>'
    ),
}
_FALLBACK = '<circle cx="12" cy="12" r="8"/>'


def icon(name: str, cls: str = "icon") -> Markup:
    """The icon's inline SVG, hidden from screen readers (its text sits beside it)."""
    return Markup(_OPEN.format(cls=cls) + PATHS.get(name, _FALLBACK) + "</svg>")  # noqa: S704 - our own constants
