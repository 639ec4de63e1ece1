"""The processes start: the web app as gunicorn imports it (wsgi.py) and the worker's app, each in a fresh
interpreter, where nothing has imported the models beforehand as the test session has."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("module", ["wsgi", "worker.runner"])
def test_a_fresh_process_imports_the_app(tmp_path, module):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'boot.db'}",
        "REFUND_DEV_PAGES": "true",
        "REFUND_INSTANCE_PATH": str(tmp_path),
    }
    code = f"import {module}; from portal import create_app; create_app().test_client().get('/nowhere')"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
