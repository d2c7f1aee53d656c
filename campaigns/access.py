"""Who may see what: the roles, the dashboard sections each may open, passwords, and the login limits."""

from __future__ import annotations

import re
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from campaigns.errors import ValidationError

# coordinator: everything, users included; organiser: listening, planner, reports;
# safety: the Safety desk, its reveals and verdicts, and the posts stream to review from; volunteer: their own assignments and the public text
# of calls to action and events, never collected mentions or another volunteer's details.
ROLES = ("coordinator", "organiser", "safety", "volunteer")
SECTIONS = {
    "coordinator": None,   # every section
    "organiser": ("Listen", "Posts", "Plan", "Volunteer", "Reports", "Sources"),
    "safety": ("Safety", "Posts"),
    "volunteer": ("Volunteer",),
}
# What each role may correct on a post (campaigns.corrections.FIELDS): organisers what a post says
# and whose it is (its tone, its side); the offensive-language verdict is a review, the safety
# desk's; a coordinator may do both.
CORRECTIONS = {
    "coordinator": ("tone", "side", "verdict"),
    "organiser": ("tone", "side"),
    "safety": ("verdict",),
    "volunteer": (),
}
# A name is what people type at the login box: letters, digits, dot, dash, underscore, @.
NAME_RE = re.compile(r"^[A-Za-z0-9._@-]{2,64}$")
MIN_PASSWORD = 10
# Failed logins: after this many within the window, for one account or one address, every
# attempt is refused (the right password too) until the window has passed since the last one.
MAX_FAILURES = 5
FAILURE_WINDOW_MINUTES = 15
SESSION_HOURS = 12

_hasher = PasswordHasher()


@dataclass(frozen=True)
class User:
    id: int
    name: str
    role: str
    volunteer_id: int | None = None

    def may_open(self, section: str) -> bool:
        allowed = SECTIONS[self.role]
        return allowed is None or section in allowed

    def may_correct(self, field: str) -> bool:
        return field in CORRECTIONS[self.role]

    @property
    def sees_mentions(self) -> bool:
        return self.role != "volunteer"


def check_name(name: str) -> str:
    name = (name or "").strip()
    if not NAME_RE.fullmatch(name):
        raise ValidationError(f"bad user name '{name}' (2-64 letters, digits, . _ - @)")
    return name


def check_role(role: str) -> str:
    if role not in ROLES:
        raise ValidationError(f"unknown role '{role}' (one of: {', '.join(ROLES)})")
    return role


def hash_password(password: str) -> str:
    """An argon2id hash of a password of at least MIN_PASSWORD characters."""
    if len(password or "") < MIN_PASSWORD:
        raise ValidationError(f"a password needs at least {MIN_PASSWORD} characters")
    return _hasher.hash(password)


def password_matches(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# Verifying against this when the account does not exist takes as long as a real check, so the
# time taken does not say which names exist.
DUMMY_HASH = _hasher.hash("not a real password, never matches")
