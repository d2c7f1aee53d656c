"""Sentiment: net sentiment over time with its basis, the distribution, by platform and side, extremes, offensive language."""

from __future__ import annotations

import streamlit as st

from campaigns import safety
from campaigns.metrics import net_sentiment, pct_change
from dashboard import charts, data, ui
from dashboard.selection import Selection, format_change, format_count, format_share

COUNTS = ["mentions", "pos", "neu", "neg", "abusive", "scored"]


def abuse_share(abusive: int, mentions: int) -> float | None:
    """Mentions scored offensive / mentions; None when there were none."""
    return abusive / mentions if mentions else None


@st.fragment(run_every=ui.REFRESH_EVERY)
def kpi_tiles(chosen: Selection) -> None:
    now = data.kpis(chosen.db_path, chosen.filters())
    before = data.kpis(chosen.db_path, chosen.previous())
    columns = st.columns(5)
    ui.net_sentiment_tile(columns[0], now, before)
    columns[1].metric("Positive", format_count(now.positive),
                      format_change(pct_change(now.positive, before.positive)))
    columns[2].metric("Neutral", format_count(now.neutral))
    columns[3].metric("Negative", format_count(now.negative),
                      format_change(pct_change(now.negative, before.negative)),
                      delta_color="inverse")
    columns[4].metric("Offensive language", format_share(abuse_share(now.abusive, now.mentions)),
                      help=f"{now.abusive:,} of {now.mentions:,} mentions with an offensive-language score of "
                           f"{safety.threshold_of(chosen.campaign):g} or more (or judged offensive by a reviewer)")


def by_group(chosen: Selection, group: str):
    """Sentiment counts per platform or side over the whole range (counts add across hours)."""
    sides = () if group == "side" else None
    frame = data.series(chosen.db_path, chosen.filters(sides=sides), chosen.tz, chosen.bucket, (group,))
    totals = frame.groupby(group, as_index=False)[COUNTS].sum()
    totals["net_sentiment"] = [net_sentiment(p, n) for p, n in zip(totals["pos"], totals["neg"], strict=True)]
    return totals


def main() -> None:
    chosen = ui.selection()
    if chosen is None:
        return
    ui.page_header("Sentiment", chosen)
    path, filters, tz, bucket = chosen.db_path, chosen.filters(), chosen.tz, chosen.bucket
    name = chosen.campaign.slug
    kpi_tiles(chosen)

    overall = data.series(path, filters, tz, bucket, ())
    ui.chart(charts.net_sentiment_over_time(overall, tz, bucket),
             overall[["bucket", "net_sentiment", "pos", "neg", "neu", "scored"]], f"{name} net sentiment", "net")

    left, right = st.columns(2)
    with left:
        histogram = data.sentiment_histogram(path, filters)
        ui.chart(charts.sentiment_distribution(histogram, chosen.label()), histogram,
                 f"{name} sentiment distribution", "distribution")
    with right:
        ui.chart(charts.abuse_share_over_time(overall, tz, bucket), overall[["bucket", "mentions", "abusive"]],
                 f"{name} offensive-language share", "abuse")

    left, right = st.columns(2)
    with left:
        platforms = by_group(chosen, "platform")
        ui.chart(charts.sentiment_by_group(platforms, "platform", chosen.label()), platforms,
                 f"{name} sentiment by platform", "by_platform")
    with right:
        sides = by_group(chosen, "side")
        ui.chart(charts.sentiment_by_group(sides, "side", chosen.label()), sides, f"{name} sentiment by side",
                 "by_side")
        st.caption("By side counts every side whatever side is chosen in the sidebar.")

    st.subheader("Most negative posts")
    st.caption("Original posts with the lowest VADER score in the range. Times in UTC.")
    most_negative = data.extreme_posts(path, filters, "negative")
    ui.posts_table(most_negative, f"{name} most negative posts", "negative")
    ui.post_actions(most_negative, "negative")
    st.subheader("Most positive posts")
    most_positive = data.extreme_posts(path, filters, "positive")
    ui.posts_table(most_positive, f"{name} most positive posts", "positive")
    ui.post_actions(most_positive, "positive")


main()
