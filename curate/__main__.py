"""``python -m curate`` runs the CLI."""

from curate.cli.main import main

main()
