"""Where the shop's data lives: the platform's user data directory unless told otherwise."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ENV_VAR = "JEWELERDESK_DATA_DIR"


@dataclass(frozen=True)
class DataPaths:
    root: Path

    @property
    def database(self) -> Path:
        return self.root / "jewelerdesk.db"

    @property
    def documents(self) -> Path:
        return self.root / "documents"

    @property
    def backups(self) -> Path:
        return self.root / "backups"

    @property
    def keys(self) -> Path:
        """The shop's signing keys (private keys readable by the owner only)."""
        return self.root / "keys"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def log_file(self) -> Path:
        return self.logs / "jewelerdesk.log"

    def ensure(self) -> DataPaths:
        for p in (self.root, self.documents, self.backups, self.logs):
            p.mkdir(parents=True, exist_ok=True)
        return self


def resolve_data_dir(cli_value: str | os.PathLike[str] | None = None) -> DataPaths:
    """--data-dir wins, then JEWELERDESK_DATA_DIR, then the platform's user data directory."""
    if cli_value:
        return DataPaths(Path(cli_value).expanduser().resolve())
    env = os.environ.get(ENV_VAR)
    if env:
        return DataPaths(Path(env).expanduser().resolve())
    import platformdirs  # only when no folder was given: it costs ~20 ms at start-up

    return DataPaths(Path(platformdirs.user_data_dir("JewelerDesk", appauthor=False)))
