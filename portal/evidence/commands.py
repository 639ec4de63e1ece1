"""`flask evidence migrate-storage`: copy every stored file to the other store, verified by SHA-256."""

import hashlib

import click
from flask import current_app
from flask.cli import AppGroup

from portal.evidence.storage import AREAS, Storage, build_storage

evidence_cli = AppGroup("evidence", help="Evidence files and transfer proofs.")


@evidence_cli.command("migrate-storage")
@click.option("--from", "source", type=click.Choice(["local", "s3"]), required=True)
@click.option("--to", "target", type=click.Choice(["local", "s3"]), required=True)
@click.option(
    "--delete-source", is_flag=True, help="Delete each file from the source once its copy is verified."
)
def migrate_storage_command(source: str, target: str, delete_source: bool) -> None:
    """Copy evidence and transfer proofs between stores, keeping their keys (the database needs no change).

    Each copy is read back and its SHA-256 compared with the source's; a key already in the target is
    left alone when its bytes match and reported when they differ. Safe to run again after a break.
    Exit status 1 when any file failed. Switch EVIDENCE_STORAGE afterwards (run once more after the switch
    to catch files uploaded meanwhile).
    """
    if source == target:
        raise click.UsageError("--from and --to must differ")
    failed = 0
    for area in AREAS:
        copied, present, bad = migrate_area(
            build_storage(current_app.config, area, source),
            build_storage(current_app.config, area, target),
            delete_source,
        )
        failed += len(bad)
        click.echo(f"{area}: {copied} copied, {present} already there, {len(bad)} failed")
        for key, reason in bad:
            click.echo(f"  {key}: {reason}", err=True)
    if failed:
        raise SystemExit(1)


def migrate_area(
    source: Storage, target: Storage, delete_source: bool
) -> tuple[int, int, list[tuple[str, str]]]:
    """Copy one area; returns (copied, already there, [(key, reason) for each failure])."""
    copied = present = 0
    bad: list[tuple[str, str]] = []
    for key in list(source.keys()):
        data = source.open(key)
        digest = hashlib.sha256(data).hexdigest()
        if target.exists(key):
            if hashlib.sha256(target.open(key)).hexdigest() != digest:
                bad.append((key, "the target holds different bytes under this key"))
                continue
            present += 1
        else:
            target.put(key, data)
            if hashlib.sha256(target.open(key)).hexdigest() != digest:
                bad.append((key, "the copy read back does not match (SHA-256)"))
                continue
            copied += 1
        if delete_source:
            source.delete(key)
    return copied, present, bad
