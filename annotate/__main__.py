"""``python -m annotate`` runs the command line."""

from annotate.cli import app

app(prog_name="annotate")
