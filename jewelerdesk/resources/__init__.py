"""Icons and other files the app ships, found through importlib.resources so that a
PyInstaller bundle finds them too. No Qt here: the UI turns paths into icons."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def icon_path(name: str) -> Path:
    path = Path(str(files(__package__).joinpath("icons", name)))
    if not path.is_file():
        raise FileNotFoundError(name)
    return path
