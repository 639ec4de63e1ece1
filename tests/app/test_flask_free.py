"""The domain modules import no Flask: they return codes and take the language, and pages translate.

Each module below says of itself that it is plain Python (rules, arithmetic, states). Importing Flask or
one of its extensions (Flask-Babel above all) would tie it to a request or an app context again; labels
belong in the package's `labels.py`, which the views and templates use.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FLASK_FREE = (
    "portal/cases/deadlines.py",
    "portal/cases/risk.py",
    "portal/cases/states.py",
    "portal/embed/bridge.py",
    "portal/orders/ledger.py",
    "portal/payouts/receiving.py",
    "portal/payouts/states.py",
    "portal/policy/engine.py",
    "portal/policy/rules.py",
    "portal/staff/review.py",
    "portal/workdays/services.py",
)
FLASK = ("flask", "flask_babel", "flask_login", "flask_wtf", "flask_sqlalchemy", "werkzeug")


def flask_imports(source: str) -> list[str]:
    """The Flask (or Flask extension) modules a module imports, anywhere in it."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module or ""]
        else:
            continue
        found += [name for name in names if name.split(".")[0] in FLASK]
    return found


@pytest.mark.parametrize("path", FLASK_FREE)
def test_domain_module_imports_no_flask(path):
    assert flask_imports((ROOT / path).read_text(encoding="utf-8")) == []


def test_the_check_sees_an_import_of_flask_babel():
    assert flask_imports("from flask_babel import lazy_gettext as _l") == ["flask_babel"]
    assert flask_imports("def f():\n    import flask\n") == ["flask"]
