"""The version of annotate (one place; the package, models and exports quote it)."""

__version__ = "0.1.0"
