"""Traction: volume, reach, engagement and share of voice over time, goals, hashtags, top posts and amplifiers."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from campaigns.metrics import pct_change, share_of_voice
from campaigns.model import iso_utc, to_datetime
from dashboard import charts, data, ui
from dashboard.selection import Selection, format_change, format_count, format_share

REFRESH = ui.REFRESH_EVERY


@st.fragment(run_every=REFRESH)
def kpi_tiles(chosen: Selection) -> None:
    """The headline numbers for the range, against the range before it; they refresh on their own."""
    now = data.kpis(chosen.db_path, chosen.filters())
    before = data.kpis(chosen.db_path, chosen.previous())
    columns = st.columns(5)
    columns[0].metric("Mentions", format_count(now.mentions), format_change(pct_change(now.mentions, before.mentions)),
                      help=f"{now.originals:,} original, {now.reposts:,} reposts")
    columns[1].metric("Unique authors", format_count(now.unique_authors),
                      format_change(pct_change(now.unique_authors, before.unique_authors)))
    columns[2].metric("Potential reach", format_count(now.potential_reach),
                      format_change(pct_change(now.potential_reach, before.potential_reach)),
                      help="Followers of distinct authors, each once: who could have seen a post, not who did.")
    columns[3].metric("Engagement", format_count(now.engagement),
                      format_change(pct_change(now.engagement, before.engagement)),
                      help="Likes + reposts + replies + quotes of original posts."
                      + (f" Measured impressions: {now.impressions:,}." if now.impressions is not None else ""))
    everyone = data.kpis(chosen.db_path, chosen.filters(sides=()))
    columns[4].metric("Share of voice", format_share(everyone.share_of_voice),
                      help=f"ours {everyone.ours:,} / (ours + opposing {everyone.opposing:,}), whatever side is chosen")


def goal_progress(chosen: Selection) -> None:
    """Our side's mentions and potential reach since the campaign started, against its goals."""
    campaign = chosen.campaign
    if not (campaign.goal_mentions or campaign.goal_reach):
        st.caption("This campaign has no goals set (goals: mentions, reach in the campaign file).")
        return
    start = to_datetime(campaign.starts_at, campaign.timezone).replace(minute=0, second=0)
    since_start = chosen.filters(sides=("ours",)).shifted(iso_utc(start), iso_utc(chosen.end))
    totals = data.kpis(chosen.db_path, since_start)
    for label, value, goal in (("Our mentions", totals.mentions, campaign.goal_mentions),
                               ("Our potential reach", totals.potential_reach, campaign.goal_reach)):
        if goal:
            done = min((value or 0) / goal, 1.0)
            st.progress(done, text=f"{label} since the campaign started: {format_count(value)} of {goal:,} "
                                   f"({(value or 0) / goal:.0%})")


def main() -> None:
    chosen = ui.selection()
    if chosen is None:
        return
    ui.page_header("Traction", chosen)
    path, filters, tz, bucket = chosen.db_path, chosen.filters(), chosen.tz, chosen.bucket
    kpi_tiles(chosen)
    goal_progress(chosen)
    name = chosen.campaign.slug

    by_platform = data.series(path, filters, tz, bucket, ("platform",))
    # Calls to action, events and opposing pushes from the planner, marked where they began.
    planned = data.call(path, "plan.markers", chosen.campaign.id, chosen.start, chosen.end)
    spikes = data.spikes(path, filters)
    figure = charts.mentions_over_time(by_platform, tz, bucket)
    charts.add_markers(figure, charts.spike_markers(spikes), tz)
    charts.add_markers(figure, planned, tz)
    columns = ["bucket", "platform", "mentions", "originals", "reposts", "engagement"]
    ui.chart(figure, by_platform[columns], f"{name} mentions by platform", "mentions")
    if len(spikes):
        st.caption(f"{len(spikes)} spike(s) marked: an hour above the mean + 3 sd of the previous week, "
                   "with at least 10 mentions.")

    left, right = st.columns(2)
    with left:
        reach = data.cumulative_potential_reach(path, filters, tz, "hour" if bucket == "hour" else "day")
        ui.chart(charts.add_markers(charts.reach_over_time(reach, tz, chosen.campaign.goal_reach), planned, tz), reach,
                 f"{name} potential reach cumulative", "reach")
    with right:
        ui.chart(charts.add_markers(charts.engagement_over_time(by_platform, tz, bucket), planned, tz),
                 by_platform[["bucket", "platform", "engagement"]], f"{name} engagement", "engagement")

    by_side = data.series(path, chosen.filters(sides=()), tz, bucket, ("side",))
    voice = by_side.pivot_table(index="bucket", columns="side", values="mentions", aggfunc="sum", fill_value=0)
    voice = voice.reindex(columns=["ours", "opposing"], fill_value=0).reset_index()
    voice["share_of_voice"] = [share_of_voice(o, p) for o, p in zip(voice["ours"], voice["opposing"], strict=True)]
    voice = voice[(voice["ours"] + voice["opposing"]) > 0] if len(voice) else voice
    ui.chart(charts.add_markers(charts.share_of_voice_over_time(voice, tz, bucket), planned, tz), voice,
             f"{name} share of voice", "voice")
    st.caption("Share of voice counts both sides whatever side is chosen in the sidebar.")

    left, right = st.columns(2)
    tracked = tuple(t.value.lower() for t in chosen.campaign.trackers if t.kind == "hashtag")
    with left:
        tags = data.top_hashtags(path, filters, tracked)
        ui.chart(charts.hashtags_bar(tags, chosen.label()), tags, f"{name} hashtags", "hashtags")
    with right:
        amplifiers = data.top_amplifiers(path, filters)
        ui.chart(charts.amplifiers_bar(amplifiers, chosen.label()), amplifiers, f"{name} amplifiers", "amplifiers")

    st.subheader("Top posts by engagement")
    st.caption("Original posts only; a repost's engagement belongs to its original. Times in UTC.")
    ui.posts_table(data.top_posts(path, filters), f"{name} top posts", "top_posts")
    if len(spikes):
        st.subheader("Spikes")
        table = spikes.assign(hour=pd.to_datetime(spikes["hour"], utc=True).dt.tz_convert(tz))
        st.dataframe(table, hide_index=True)
        ui.csv_download(table, f"{name} spikes", "spikes")


main()
