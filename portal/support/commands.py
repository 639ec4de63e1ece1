"""`flask audit verify-dossier FILE`: check an arbitration dossier offline and say what is wrong with it."""

from pathlib import Path

import click

from portal.cases.commands import audit_cli
from portal.support import dossier


@audit_cli.command("verify-dossier")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def verify_dossier_command(file: Path) -> None:
    """Check the manifest, each part's SHA-256 and the case log's hashes; exit status 1 if not intact."""
    data = file.read_bytes()
    problems = dossier.verify(data)
    if problems:
        click.echo(f"Dossier {file.name} is NOT intact:", err=True)
        for problem in problems:
            click.echo(f"  - {problem}", err=True)
        raise SystemExit(1)
    click.echo(f"Dossier {file.name} OK (SHA-256 {dossier.sha256(data)}).")
