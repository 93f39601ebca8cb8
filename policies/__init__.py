"""The policies shipped with callqa, installed as package data so `callqa demo` finds them."""

from importlib.resources import files
from pathlib import Path


def shipped_policies() -> list[Path]:
    """Paths of the shipped `.policy` files, in name order."""
    folder = files(__name__)
    return sorted(Path(str(p)) for p in folder.iterdir() if p.name.endswith(".policy"))
