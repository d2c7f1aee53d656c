"""A person's corrections of a post's tone, side or offensive-language verdict: what they may say and how they count.

A correction is stored apart from the scores (table `corrections`, with who, when, the value
before and the scorer's own), and what it makes of a post is held on the post's match in the
campaign, so every metric reads it. A tone is a class, not a score: a post corrected to
negative counts as negative, and sits on the score axis at the nearest point of its class
(a positive 0.6 corrected to negative at -0.05), so lists ordered by score still hold it where
a reader expects. A reviewer's verdict is certain: 1 for abusive, 0 for not.
"""

from __future__ import annotations

from campaigns.errors import ValidationError
from campaigns.metrics import NEGATIVE_AT, POSITIVE_AT, sentiment_class
from campaigns.model import SIDES

FIELDS = ("tone", "side", "verdict")
TONES = ("positive", "neutral", "negative")
VERDICTS = ("abusive", "not_abusive")


def check(field: str, value: str) -> str:
    """The value in its stored form ('not abusive' -> 'not_abusive'), or ValidationError."""
    value = (value or "").strip().lower().replace(" ", "_").replace("-", "_")
    allowed = {"tone": TONES, "side": SIDES, "verdict": VERDICTS}.get(field)
    if allowed is None:
        raise ValidationError(f"cannot correct '{field}' (one of: {', '.join(FIELDS)})")
    if value not in allowed:
        shown = ", ".join(a.replace("_", "-") for a in allowed)
        raise ValidationError(f"bad {field} '{value}' (one of: {shown})")
    return value


def effective_sentiment(machine: float | None, tone: str | None) -> float | None:
    """The sentiment a post counts with: the scorer's, or the nearest value of the corrected class."""
    if tone is None:
        return machine
    if tone == "positive":
        return POSITIVE_AT if machine is None else max(machine, POSITIVE_AT)
    if tone == "negative":
        return NEGATIVE_AT if machine is None else min(machine, NEGATIVE_AT)
    if machine is None or sentiment_class(machine) != "neutral":
        return 0.0
    return machine


def effective_abuse(context: float | None, verdict: str | None) -> float | None:
    """The offensive-language score a post counts with: the scorer's in context, or the verdict."""
    if verdict == "abusive":
        return 1.0
    if verdict == "not_abusive":
        return 0.0
    return context


def verdict_of(score: float | None, threshold: float) -> str | None:
    """The scorer's own verdict at a threshold; None for a post never scored."""
    if score is None:
        return None
    return "abusive" if score >= threshold else "not_abusive"
