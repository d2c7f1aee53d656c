"""Dashboard users and their login attempts: accounts, roles, hashed passwords, the failure limit."""

from __future__ import annotations

from datetime import timedelta

from campaigns import access, clock
from campaigns.access import User
from campaigns.errors import ValidationError
from campaigns.model import iso_utc, to_datetime


class UserVerbs:
    """Verbs on users and login_attempts (mixed into Store)."""

    def add_user(self, name: str, role: str, password: str, *, volunteer_id: int | None = None) -> User:
        name, role = access.check_name(name), access.check_role(role)
        if role == "volunteer" and volunteer_id is None:
            raise ValidationError("a volunteer account needs --volunteer (the volunteer it belongs to)")
        if volunteer_id is not None and self.conn.execute(
                "SELECT 1 FROM volunteers WHERE id = ?", [volunteer_id]).fetchone() is None:
            raise ValidationError(f"no volunteer with id {volunteer_id}")
        if self.conn.execute("SELECT 1 FROM users WHERE lower(name) = lower(?)", [name]).fetchone():
            raise ValidationError(f"user '{name}' exists already (change the password with: groundswell user passwd)")
        password_hash = access.hash_password(password)
        with self.conn:
            cursor = self.conn.execute(
                "INSERT INTO users (name, role, password_hash, volunteer_id, created_at) VALUES (?, ?, ?, ?, ?)",
                [name, role, password_hash, volunteer_id, clock.now_iso()])
            self.conn.execute("INSERT INTO audit_log (at, who, what, detail) VALUES (?, 'cli', 'user add', ?)",
                              [clock.now_iso(), f"{name} as {role}"])
        return User(cursor.lastrowid, name, role, volunteer_id)

    def remove_user(self, name: str) -> None:
        with self.conn:
            if not self.conn.execute("DELETE FROM users WHERE lower(name) = lower(?)", [name]).rowcount:
                raise ValidationError(f"no user '{name}'")
            self.conn.execute("INSERT INTO audit_log (at, who, what, detail) VALUES (?, 'cli', 'user remove', ?)",
                              [clock.now_iso(), name])

    def set_password(self, name: str, password: str) -> None:
        password_hash = access.hash_password(password)
        with self.conn:
            if not self.conn.execute("UPDATE users SET password_hash = ? WHERE lower(name) = lower(?)",
                                     [password_hash, name]).rowcount:
                raise ValidationError(f"no user '{name}'")
            self.conn.execute("INSERT INTO audit_log (at, who, what, detail) VALUES (?, 'cli', 'user passwd', ?)",
                              [clock.now_iso(), name])

    def users(self) -> list[User]:
        return [User(*row) for row in self.conn.execute(
            "SELECT id, name, role, volunteer_id FROM users ORDER BY name")]

    def has_users(self) -> bool:
        return self.conn.execute("SELECT EXISTS (SELECT 1 FROM users)").fetchone()[0] == 1

    def login_blocked_until(self, name: str, address: str) -> str | None:
        """When login attempts for this account or from this address may resume (None: now)."""
        since = iso_utc(clock.now() - timedelta(minutes=access.FAILURE_WINDOW_MINUTES))
        latest = None
        for column, value in (("name", name.lower()), ("address", address)):
            count, last = self.conn.execute(
                f"SELECT count(*), max(at) FROM login_attempts WHERE {column} = ? AND ok = 0 AND at >= ?",
                [value, since]).fetchone()
            if count >= access.MAX_FAILURES:
                until = iso_utc(to_datetime(last) + timedelta(minutes=access.FAILURE_WINDOW_MINUTES))
                latest = max(latest or until, until)
        return latest

    def log_in(self, name: str, password: str, address: str) -> User | None:
        """The user, if the password is right and neither the account nor the address is over its
        failure limit; every attempt is recorded (a refused one too, so a stream of guesses keeps
        the lock shut)."""
        name = (name or "").strip()
        blocked = self.login_blocked_until(name, address)
        row = self.conn.execute(
            "SELECT id, name, role, volunteer_id, password_hash FROM users WHERE lower(name) = lower(?)",
            [name]).fetchone()
        matches = access.password_matches(row[4] if row else access.DUMMY_HASH, password or "")
        ok = bool(row) and matches and blocked is None
        self.record_login(name, address, ok)
        return User(*row[:4]) if ok else None

    def record_login(self, name: str, address: str, ok: bool) -> None:
        with self.conn:
            self.conn.execute("INSERT INTO login_attempts (at, name, address, ok) VALUES (?, ?, ?, ?)",
                              [clock.now_iso(), name.lower(), address, int(ok)])
