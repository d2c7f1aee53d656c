"""Settings from the environment (and a .env file): where the database is, privacy options, keys."""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from campaigns.errors import ValidationError

DEFAULT_DB = "groundswell.db"


def resolve_db_path(path: str | os.PathLike | None = None) -> Path:
    """--db, else GROUNDSWELL_DB, else ./groundswell.db."""
    return Path(path or os.environ.get("GROUNDSWELL_DB") or DEFAULT_DB)


def env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class SettingsError(ValidationError):
    """An environment variable that holds something its setting cannot use; names the variable."""


def env_int(name: str, default: int | None, minimum: int | None = None) -> int | None:
    """A whole number from the environment, at least `minimum`; anything else is a SettingsError
    naming the variable."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    text = value.strip().replace("_", "")
    if not re.fullmatch(r"[+-]?\d{1,18}", text):
        raise SettingsError(f"{name} must be a whole number, not '{value.strip()[:40]}'")
    number = int(text)
    if minimum is not None and number < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, not {number}")
    return number


def env_list(name: str, default: str) -> list[str]:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        value = default
    return [part.strip() for part in value.split(",") if part.strip()]




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
    # Collectors: credentials, where to listen, and how hard.
    x_bearer_token: str | None = field(default=None, repr=False)          # GROUNDSWELL_X_BEARER_TOKEN
    x_monthly_post_budget: int = 10_000         # GROUNDSWELL_X_MONTHLY_POST_BUDGET (posts read)
    x_lang: str | None = None                   # GROUNDSWELL_X_LANG: only posts in this language
    reddit_client_id: str | None = None         # GROUNDSWELL_REDDIT_CLIENT_ID
    reddit_client_secret: str | None = field(default=None, repr=False)    # GROUNDSWELL_REDDIT_CLIENT_SECRET
    reddit_user_agent: str | None = None        # GROUNDSWELL_REDDIT_USER_AGENT
    reddit_subreddits: list[str] = field(default_factory=lambda: ["all"])  # GROUNDSWELL_REDDIT_SUBREDDITS
    bluesky_handle: str | None = None           # GROUNDSWELL_BLUESKY_HANDLE
    bluesky_app_password: str | None = field(default=None, repr=False)    # GROUNDSWELL_BLUESKY_APP_PASSWORD
    bluesky_service: str = "https://bsky.social"  # GROUNDSWELL_BLUESKY_SERVICE
    mastodon_instances: list[str] = field(default_factory=lambda: ["mastodon.social"])  # GROUNDSWELL_MASTODON_INSTANCES
    mastodon_access_token: str | None = field(default=None, repr=False)   # GROUNDSWELL_MASTODON_ACCESS_TOKEN (keyword search)
    intervals: dict[str, int] = field(default_factory=dict)  # GROUNDSWELL_<SOURCE>_INTERVAL (defaults: collectors.registry)
    max_pages: int = 10                         # GROUNDSWELL_MAX_PAGES per query per run
    max_rate_limit_wait: int = 900              # GROUNDSWELL_MAX_RATE_LIMIT_WAIT seconds
    jobs_path: Path | None = None               # GROUNDSWELL_JOBS_DB, default <db>.jobs.sqlite

    @classmethod
    def from_env(cls, db: str | os.PathLike | None = None) -> Settings:
        key_file = os.environ.get("GROUNDSWELL_PSEUDONYM_KEY_FILE")
        return cls(
            db_path=resolve_db_path(db),
            pseudonymize=env_flag("GROUNDSWELL_PSEUDONYMIZE"),
            pseudonym_key_file=Path(key_file) if key_file else None,
            detect_language=env_flag("GROUNDSWELL_DETECT_LANGUAGE", True),
            x_bearer_token=os.environ.get("GROUNDSWELL_X_BEARER_TOKEN") or None,
            x_monthly_post_budget=env_int("GROUNDSWELL_X_MONTHLY_POST_BUDGET", 10_000, minimum=0),
            x_lang=os.environ.get("GROUNDSWELL_X_LANG") or None,
            reddit_client_id=os.environ.get("GROUNDSWELL_REDDIT_CLIENT_ID") or None,
            reddit_client_secret=os.environ.get("GROUNDSWELL_REDDIT_CLIENT_SECRET") or None,
            reddit_user_agent=os.environ.get("GROUNDSWELL_REDDIT_USER_AGENT") or None,
            reddit_subreddits=env_list("GROUNDSWELL_REDDIT_SUBREDDITS", "all"),
            bluesky_handle=os.environ.get("GROUNDSWELL_BLUESKY_HANDLE") or None,
            bluesky_app_password=os.environ.get("GROUNDSWELL_BLUESKY_APP_PASSWORD") or None,
            bluesky_service=os.environ.get("GROUNDSWELL_BLUESKY_SERVICE") or "https://bsky.social",
            mastodon_instances=env_list("GROUNDSWELL_MASTODON_INSTANCES", "mastodon.social"),
            mastodon_access_token=os.environ.get("GROUNDSWELL_MASTODON_ACCESS_TOKEN") or None,
            intervals={name[len("GROUNDSWELL_"):-len("_INTERVAL")].lower(): env_int(name, None, minimum=1)
                       for name in os.environ if name.startswith("GROUNDSWELL_") and name.endswith("_INTERVAL")},
            max_pages=env_int("GROUNDSWELL_MAX_PAGES", 10, minimum=1),
            max_rate_limit_wait=env_int("GROUNDSWELL_MAX_RATE_LIMIT_WAIT", 900, minimum=0),
            jobs_path=Path(os.environ["GROUNDSWELL_JOBS_DB"]) if os.environ.get("GROUNDSWELL_JOBS_DB") else None,
        )

    @property
    def jobs_file(self) -> Path:
        """The scheduler's own job store, beside the database unless GROUNDSWELL_JOBS_DB says."""
        if self.jobs_path:
            return self.jobs_path
        return self.db_path.with_name(self.db_path.name + ".jobs.sqlite")

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
