"""Settings from the environment (and a .env file): where the database is, privacy options, keys."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from campaigns.store import resolve_db_path


def env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int | None) -> int | None:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return int(value)


def load_dotenv_file(path: str | os.PathLike = ".env") -> None:
    """Read KEY=value lines from .env into the environment; variables already set win."""
    from dotenv import load_dotenv

    load_dotenv(path, override=False)


@dataclass
class Settings:
    """Everything configurable; each field has its environment variable."""

    db_path: Path
    pseudonymize: bool = False                  # GROUNDSWELL_PSEUDONYMIZE=1
    pseudonym_key_file: Path | None = None      # GROUNDSWELL_PSEUDONYM_KEY_FILE
    detect_language: bool = True                # GROUNDSWELL_DETECT_LANGUAGE=0 to skip

    @classmethod
    def from_env(cls, db: str | os.PathLike | None = None) -> Settings:
        key_file = os.environ.get("GROUNDSWELL_PSEUDONYM_KEY_FILE")
        return cls(
            db_path=resolve_db_path(db),
            pseudonymize=env_flag("GROUNDSWELL_PSEUDONYMIZE"),
            pseudonym_key_file=Path(key_file) if key_file else None,
            detect_language=env_flag("GROUNDSWELL_DETECT_LANGUAGE", True),
        )

    def pseudonym_key(self) -> bytes:
        """The HMAC key for pseudonyms, kept outside the database so a copied database cannot
        be reversed by hashing known handles. GROUNDSWELL_PSEUDONYM_KEY, else a key file,
        created (mode 0600) on first use.
        """
        direct = os.environ.get("GROUNDSWELL_PSEUDONYM_KEY")
        if direct:
            return direct.encode()
        path = self.pseudonym_key_file or Path.home() / ".config" / "groundswell" / "pseudonym.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
        return path.read_text().strip().encode()
