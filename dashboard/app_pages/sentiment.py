"""Tone: how posts read (not whether they support the campaign), per side, over time, its spread, extremes, offensive language."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from campaigns import safety
from campaigns.metrics import net_sentiment
from dashboard import charts, data, ui
from dashboard.selection import Selection, format_count, format_share

COUNTS = ["mentions", "pos", "neu", "neg", "abusive", "scored"]
# Drawn side by side on the tone chart whatever side is chosen, each its own line.
COMPARED_SIDES = ("ours", "opposing")
TONE_NOT_STANCE = (
    "**Tone, not stance.** These numbers score how the text of a post reads (VADER), not whether it "
    "supports the campaign: a post against abuse that quotes the abuse reads negative, a sarcastic "
    "attack can read positive. Each side's tone is shown on its own, never mixed into one figure "
    "unless *all* is chosen under **Side**.")


def abuse_share(abusive: int, mentions: int) -> float | None:
    """Mentions scored offensive / mentions; None when there were none."""
    return abusive / mentions if mentions else None


@st.fragment(run_every=ui.REFRESH_EVERY)
def kpi_tiles(chosen: Selection) -> None:
    """Net tone of our side and of the opposing side (and of the chosen side, if another), then the
    chosen side's counts; they refresh on their own."""
    sides, before = by_group(chosen, "side"), by_group(chosen, "side", previous=True)
    shown = [*COMPARED_SIDES] + ([chosen.side] if chosen.side not in COMPARED_SIDES else [])
    for column, side in zip(st.columns(len(shown)), shown, strict=True):
        pick = (lambda frame: frame) if side == "all" else (lambda frame, side=side: frame[frame["side"] == side])
        now_rows, before_rows = pick(sides), pick(before)
        ui.tone_tile(column, f"Net tone, {side}", tuple(int(now_rows[c].sum()) for c in ("pos", "neg", "neu")),
                     tuple(int(before_rows[c].sum()) for c in ("pos", "neg")))
    now = data.kpis(chosen.db_path, chosen.filters())
    previous = data.kpis(chosen.db_path, chosen.previous())
    st.caption(f"Counts for {chosen.side_words}:")
    columns = st.columns(4)
    columns[0].metric("Positive", format_count(now.positive), ui.change(now.positive, previous.positive))
    columns[1].metric("Neutral", format_count(now.neutral))
    columns[2].metric("Negative", format_count(now.negative), ui.change(now.negative, previous.negative),
                      delta_color="inverse")
    columns[3].metric("Offensive language", format_share(abuse_share(now.abusive, now.mentions)),
                      help=f"{now.abusive:,} of {now.mentions:,} mentions with an offensive-language score of "
                           f"{safety.threshold_of(chosen.campaign):g} or more (or judged offensive by a reviewer)")


def by_group(chosen: Selection, group: str, previous: bool = False) -> pd.DataFrame:
    """Tone counts per platform or side over the whole range (counts add across hours)."""
    sides = () if group == "side" else None
    filters = chosen.filters(sides=sides)
    if previous:
        filters = filters.shifted(chosen.previous().start, chosen.previous().end)
    frame = data.series(chosen.db_path, filters, chosen.tz, chosen.bucket, (group,))
    totals = frame.groupby(group, as_index=False)[COUNTS].sum()
    totals["net_sentiment"] = [net_sentiment(p, n) for p, n in zip(totals["pos"], totals["neg"], strict=True)]
    return totals


def main() -> None:
    chosen = ui.selection()
    if chosen is None:
        return
    ui.page_header("Tone", chosen)
    st.info(TONE_NOT_STANCE, icon=":material/info:")
    path, filters, tz, bucket = chosen.db_path, chosen.filters(), chosen.tz, chosen.bucket
    name = chosen.campaign.slug
    kpi_tiles(chosen)
    sides = by_group(chosen, "side")

    shown_sides = tuple(dict.fromkeys((*COMPARED_SIDES, *chosen.sides))) if chosen.sides else ()
    per_side = data.series(path, chosen.filters(sides=shown_sides), tz, bucket, ("side",))
    per_side = charts.on_grid(per_side, chosen.buckets(), "side") if len(per_side) else per_side
    ui.chart(charts.show_window(charts.net_sentiment_over_time(per_side, tz, bucket), chosen.start, chosen.end, tz,
                                bucket),
             per_side[["bucket", "side", "net_sentiment", "pos", "neg", "neu", "scored"]], f"{name} net tone by side",
             "net", drill_down=True)
    st.caption("One line per side: our side's tone and the opposing side's are never averaged together.")

    overall = data.series(path, filters, tz, bucket, ())
    overall = charts.on_grid(overall, chosen.buckets()) if len(overall) else overall
    left, right = st.columns(2)
    with left:
        histogram = data.sentiment_histogram(path, filters)
        ui.chart(charts.sentiment_distribution(histogram, chosen.label()), histogram,
                 f"{name} tone distribution", "distribution", drill_down=True)
    with right:
        ui.chart(charts.show_window(charts.abuse_share_over_time(overall, tz, bucket), chosen.start, chosen.end, tz,
                                    bucket),
                 overall[["bucket", "mentions", "abusive"]], f"{name} offensive-language share", "abuse", drill_down=True)

    left, right = st.columns(2)
    with left:
        platforms = by_group(chosen, "platform")
        ui.chart(charts.sentiment_by_group(platforms, "platform", chosen.label()), platforms,
                 f"{name} tone by platform", "by_platform", drill_down=True)
    with right:
        ui.chart(charts.sentiment_by_group(sides, "side", chosen.label()), sides, f"{name} tone by side", "by_side", drill_down=True)
        st.caption("By side counts every side whatever side is chosen in the sidebar.")

    st.subheader(f"Most negative posts, {chosen.side_words}")
    st.caption("Original posts with the lowest tone score in the range: the most negative text, "
               "which on our side is often a post naming what it is against.")
    most_negative = data.extreme_posts(path, filters, "negative")
    ui.posts_table(most_negative, f"{name} most negative posts", "negative", tz)
    ui.post_actions(most_negative, "negative")
    st.subheader(f"Most positive posts, {chosen.side_words}")
    most_positive = data.extreme_posts(path, filters, "positive")
    ui.posts_table(most_positive, f"{name} most positive posts", "positive", tz)
    ui.post_actions(most_positive, "positive")


main()
