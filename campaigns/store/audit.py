"""The audit log: who did which sensitive act, and when."""

from __future__ import annotations

from campaigns.clock import now_iso


class AuditVerbs:
    """Verbs on audit_log (mixed into Store)."""

    def audit(self, who: str, what: str, detail: str = "", campaign_id: int | None = None) -> None:
        """Record a sensitive act (an export, a reveal of hidden text, a purge), of one campaign or all."""
        with self.conn:
            self.conn.execute(
                "INSERT INTO audit_log (at, who, what, detail, campaign_id) VALUES (?, ?, ?, ?, ?)",
                [now_iso(), who, what, detail, campaign_id],
            )
