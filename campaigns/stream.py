"""The posts stream's query: which of a campaign's posts to list, and how it reads in a link or a file."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

from campaigns.errors import ValidationError
from campaigns.metrics import Filters
from campaigns.model import PLATFORMS, SIDES

TONES = ("positive", "neutral", "negative")
KINDS = ("original", "repost")
PER_PAGE = 50


@dataclass(frozen=True)
class PostQuery:
    """A campaign's window (Filters) narrowed by tracker, tone, offensive-language score,
    language, original or repost, and a full-text search; one page of it."""

    filters: Filters
    tracker_id: int | None = None
    tone: str | None = None                 # positive / neutral / negative, by the tone cut-offs, or
                                            # several joined by commas ("positive,negative": what a net tone rests on)
    min_offensive: float | None = None      # offensive-language score at least this
    lang: str | None = None
    kind: str | None = None                 # original / repost
    search: str = ""
    page: int = 1
    per_page: int = PER_PAGE
    uids: tuple[str, ...] = field(default=())   # exactly these posts (a drill-down's own list)
    tag: str | None = None                  # carrying this hashtag (lower case, no #), as the hashtag chart counts
    author: str | None = None               # by this author (author_key)
    own_audience: bool = False              # only posts whose known audience is their author's own (the amplifiers')
    tone_slot: int | None = None            # scored in this slice of the tone histogram (store.mentions.TONE_SLOTS)

    @property
    def tones(self) -> tuple[str, ...]:
        """The tone classes asked for; () for any tone, scored or not."""
        return tuple(self.tone.split(",")) if self.tone else ()

    def validate(self) -> PostQuery:
        if self.tone is not None and not set(self.tones) <= set(TONES):
            raise ValidationError(f"unknown tone '{self.tone}' (one of: {', '.join(TONES)}, or several joined by commas)")
        if self.tone_slot is not None and self.tone_slot < 0:
            raise ValidationError("a tone slice is numbered from 0")
        if self.kind is not None and self.kind not in KINDS:
            raise ValidationError(f"unknown kind '{self.kind}' (one of: {', '.join(KINDS)})")
        if self.min_offensive is not None and not 0 <= self.min_offensive <= 1:
            raise ValidationError("the offensive-language score runs from 0 to 1")
        if self.page < 1 or not 1 <= self.per_page <= 1000:
            raise ValidationError("page from 1, and 1 to 1000 posts a page")
        unknown = set(self.filters.platforms) - set(PLATFORMS) | set(self.filters.sides) - set(SIDES)
        if unknown:
            raise ValidationError(f"unknown platform or side: {', '.join(sorted(unknown))}")
        return self

    def with_page(self, page: int) -> PostQuery:
        return replace(self, page=page)

    def describe(self) -> list[tuple[str, str]]:
        """The query in words, one (name, value) a line: written beside every export."""
        f = self.filters
        shown = [("campaign_id", str(f.campaign_id)), ("from (UTC)", f.start), ("to (UTC, exclusive)", f.end),
                 ("platforms", ", ".join(f.platforms) or "all"), ("sides", ", ".join(f.sides) or "all")]
        extra = {k: v for k, v in asdict(self).items()
                 if k not in ("filters", "page", "per_page", "uids") and v not in (None, "", False)}
        shown += [(name.replace("_", " "), str(value)) for name, value in extra.items()]
        if self.uids:
            shown.append(("posts", f"{len(self.uids)} chosen"))
        return shown


def search_expression(text: str) -> str:
    """A user's search as an FTS5 expression: words and "quoted phrases" all required, a trailing
    * for a prefix, -word to leave out; hashtags and @-handles match whole. Every term is
    quoted, so no input is FTS5 syntax of its own (a stray quote or bracket cannot break it)."""
    terms: list[str] = []
    excluded: list[str] = []
    # FTS5 reads a query only up to a NUL, which would leave a quote open; no control character
    # is a word anyway.
    rest = "".join(" " if ord(c) < 32 or 0x7F <= ord(c) < 0xA0 else c for c in text).strip()
    while rest:
        negative = rest.startswith("-") and len(rest) > 1
        if negative:
            rest = rest[1:]
        if rest.startswith('"'):
            close = rest.find('"', 1)
            term, rest = (rest[1:close], rest[close + 1:]) if close > 0 else (rest[1:], "")
            prefix = False
        else:
            term, _, rest = rest.partition(" ")
            prefix = term.endswith("*")
            term = term.rstrip("*")
        rest = rest.strip()
        term = term.replace('"', " ").strip()
        if not term:
            continue
        quoted = '"' + term + '"' + ("*" if prefix else "")
        (excluded if negative else terms).append(quoted)
    if not terms:
        return ""
    return " AND ".join(terms) + "".join(f" NOT {term}" for term in excluded)
