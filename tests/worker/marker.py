"""A job for worker tests: leaves a file behind, so a test can see that it ran."""

from pathlib import Path


def touch(path: str) -> None:
    Path(path).write_text("ran")
