"""One home for each number: deadline lengths live in portal/cases/deadlines.py or in the policy data.

An AST scan of the product code (portal/, worker/) finds a deadline length written anywhere else: a
working-day count handed to the deadline arithmetic, a 24-hour promise as a timedelta, a *_WORKING_DAYS
constant, a policy number's fallback in `.get(key, n)`, or a working-days parameter with a literal default.
"""

import ast
import re
from pathlib import Path

import pytest

from portal.policy.defaults import DEFAULT_RULES

ROOT = Path(__file__).resolve().parents[2]
HOMES = {"portal/cases/deadlines.py", "portal/policy/defaults.py"}
SCANNED = ("portal", "worker")
# Deadline arithmetic whose arguments after the start are lengths.
LENGTH_TAKERS = {"add_working_days", "nth_working_day_after", "review_due"}
# Clock-hour thresholds that are not deadlines anyone is promised (module, constant): the reason is given.
NOT_DEADLINES = {
    # A payout submitted to the gateway that has had no answer for a day is shown to staff as troubled.
    ("portal/payouts/manual.py", "STUCK_AFTER"),
}


def _int_keys(node, found: set[str]) -> set[str]:
    """The keys of the policy data whose values are whole numbers (at any depth)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, int) and not isinstance(value, bool):
                found.add(key)
            _int_keys(value, found)
    elif isinstance(node, list):
        for value in node:
            _int_keys(value, found)
    return found


POLICY_NUMBER_KEYS = _int_keys(DEFAULT_RULES, set()) - {"schema", "percent"} | {"trial_days"}


def _is_int(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) is int


def _names_a_length(name: str) -> bool:
    upper = name.upper()
    return "WORKING_DAYS" in upper or ("REVIEW" in upper and "DAYS" in upper)


def _holds_int(node: ast.AST | None) -> bool:
    return node is not None and any(_is_int(n) for n in ast.walk(node))


def _called_name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _assigned_names(tree: ast.AST) -> dict[int, str]:
    """Line of each value assigned to a name, for the NOT_DEADLINES exceptions."""
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    names[node.value.lineno if node.value else node.lineno] = target.id
    return names


def _call_findings(call: ast.Call, path: str, assigned: dict[int, str]) -> list[str]:
    name, where = _called_name(call), f"{path}:{call.lineno}"
    found = []
    lengths = call.args[1:] + [k.value for k in call.keywords]
    if name in LENGTH_TAKERS and any(_is_int(a) for a in lengths):
        found.append(f"{where} {name}() with a literal length")
    hours = [k.value for k in call.keywords if k.arg == "hours" and _is_int(k.value)]
    whole_days = [h.value for h in hours if h.value and h.value % 24 == 0]
    if name == "timedelta" and whole_days and (path, assigned.get(call.lineno)) not in NOT_DEADLINES:
        found.append(f"{where} timedelta(hours={whole_days[0]})")
    if name == "get" and len(call.args) == 2 and _is_int(call.args[1]):
        key = call.args[0]
        if isinstance(key, ast.Constant) and key.value in POLICY_NUMBER_KEYS:
            found.append(f"{where} fallback for {key.value}")
    for keyword in call.keywords:
        if keyword.arg and "working_days" in keyword.arg and _is_int(keyword.value):
            found.append(f"{where} {keyword.arg}={keyword.value.value}")
    return found


def _default_findings(func: ast.FunctionDef, path: str) -> list[str]:
    args = func.args.args + func.args.kwonlyargs
    defaults = [None] * (len(func.args.args) - len(func.args.defaults)) + func.args.defaults
    defaults += func.args.kw_defaults
    return [
        f"{path}:{func.lineno} {func.name}({arg.arg}={default.value})"
        for arg, default in zip(args, defaults, strict=True)
        if default is not None and "days" in arg.arg and _is_int(default)
    ]


def deadline_literals(source: str, path: str) -> list[str]:
    """Every deadline length written as a literal in this module (path:line what)."""
    tree = ast.parse(source)
    assigned = _assigned_names(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            found += _call_findings(node, path, assigned)
        elif isinstance(node, ast.FunctionDef):
            found += _default_findings(node, path)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            found += [
                f"{path}:{node.lineno} constant {t.id}"
                for t in targets
                if isinstance(t, ast.Name) and _names_a_length(t.id) and _holds_int(node.value)
            ]
    return found


def test_deadline_lengths_live_only_in_their_homes():
    found = []
    for folder in SCANNED:
        for file in sorted((ROOT / folder).rglob("*.py")):
            path = file.relative_to(ROOT).as_posix()
            if path in HOMES or "/migrations/" in path:
                continue
            found += deadline_literals(file.read_text(encoding="utf-8"), path)
    assert found == [], "deadline lengths belong in portal/cases/deadlines.py or the policy data"


def test_the_homes_hold_what_the_scan_looks_for():
    # The scan is not vacuous: the homes themselves would be caught by it.
    home = (ROOT / "portal/cases/deadlines.py").read_text(encoding="utf-8")
    assert any("constant ARBITRATION_WORKING_DAYS" in f for f in deadline_literals(home, "home"))
    assert any("timedelta(hours=24)" in f for f in deadline_literals(home, "home"))
    assert {"review_working_days", "green_channel_fen", "unactivated_days"} <= POLICY_NUMBER_KEYS


@pytest.mark.parametrize(
    "line",
    [
        "due = deadlines.add_working_days(now, 3)",
        "due = add_working_days(now, n=1)",
        "due = deadlines.review_due(now, 1)",
        "ANSWER = timedelta(hours=24)",
        "LATE = timedelta(hours=48, minutes=5)",
        "days = rules.get('review_working_days', 3)",
        "fen = rules.get('green_channel_fen', 50000)",
        "RESUMED_REVIEW_WORKING_DAYS = 1",
        "review_days = 1 if green else assessment.review_working_days",
        "x = Numbers(review_working_days=3)",
        "def due(at, working_days=3): pass",
        "def due(at, *, days=7): pass",
    ],
)
def test_the_scan_catches_a_planted_literal(line):
    assert deadline_literals(line, "portal/somewhere.py")


@pytest.mark.parametrize(
    "line",
    [
        "due = deadlines.add_working_days(now, deadlines.ARBITRATION_WORKING_DAYS)",
        "due = deadlines.review_due(now, assessment.review_working_days)",
        "BEIJING = timezone(timedelta(hours=8))",
        "days = rules['review_working_days']",
        "when = now - timedelta(days=1)",
    ],
)
def test_the_scan_lets_other_numbers_be(line):
    assert deadline_literals(line, "portal/somewhere.py") == []


PROMISE = re.compile(r"within (24|48) hours|\b(\d+|one|two|three) working days?\b")
TRANSLATED = {"_", "_l", "gettext", "lazy_gettext", "ngettext"}


def _promises_in_python(source: str, path: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and _called_name(node) in TRANSLATED:
            texts = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            found += [f"{path}:{node.lineno} {text!r}" for text in texts if PROMISE.search(text)]
    return found


def test_pages_name_deadline_lengths_through_parameters():
    # "within %(hours)s hours" with deadlines.PROMISED_HOURS: a changed length changes every page naming it.
    found = []
    for file in sorted((ROOT / "portal/templates").rglob("*.html")):
        text = file.read_text(encoding="utf-8")
        found += [f"{file.relative_to(ROOT)}: {m.group(0)!r}" for m in PROMISE.finditer(text)]
    for folder in SCANNED:
        for file in sorted((ROOT / folder).rglob("*.py")):
            path = file.relative_to(ROOT).as_posix()
            if path not in HOMES and "/migrations/" not in path:
                found += _promises_in_python(file.read_text(encoding="utf-8"), path)
    assert found == []
    assert _promises_in_python('_l("Answered within 24 hours")', "x.py")
