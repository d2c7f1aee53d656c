"""Traction: volume, reach, engagement and share of voice over time, goals, hashtags, top posts and amplifiers."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from campaigns.metrics import share_of_voice, spikes_from
from campaigns.model import iso_utc, to_datetime
from dashboard import charts, data, drill, ui
from dashboard.selection import Selection, format_count

REFRESH = ui.REFRESH_EVERY


@st.fragment(run_every=REFRESH)
def kpi_tiles(chosen: Selection) -> None:
    """The headline numbers for the range, against the range before it; they refresh on their own."""
    now = data.kpis(chosen.db_path, chosen.filters())
    before = data.kpis(chosen.db_path, chosen.previous())
    columns = st.columns(5)
    columns[0].metric("Mentions", format_count(now.mentions), ui.change(now.mentions, before.mentions),
                      help=f"{chosen.side_words}: {now.originals:,} original, {now.reposts:,} reposts")
    columns[1].metric("Unique authors", format_count(now.unique_authors),
                      ui.change(now.unique_authors, before.unique_authors))
    columns[2].metric("Potential reach", format_count(now.potential_reach),
                      ui.change(now.potential_reach, before.potential_reach),
                      help="Followers of distinct authors, each once: who could have seen a post, not who did.")
    columns[3].metric("Engagement", format_count(now.engagement), ui.change(now.engagement, before.engagement),
                      help="Likes + reposts + replies + quotes of original posts."
                      + (f" Measured impressions: {now.impressions:,}." if now.impressions is not None else ""))
    by_side = ui.share_of_voice_tile(columns[4], chosen)
    st.caption(ui.other_sides(chosen, by_side))


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


def episodes_table(episodes: pd.DataFrame, tz: str) -> pd.DataFrame:
    """Spike episodes as the page shows them: times in the campaign's zone, largest first."""
    return pd.DataFrame({
        "from": ui.local_times(episodes["start"], tz), "to": ui.local_times(episodes["end"], tz),
        "hours": episodes["hours"], "mentions": episodes["mentions"],
        "peak hour": ui.local_times(episodes["peak_hour"], tz), "peak mentions": episodes["peak"],
    })


def main() -> None:
    chosen = ui.selection()
    if chosen is None:
        return
    ui.page_header("Traction", chosen)
    path, filters, tz, bucket = chosen.db_path, chosen.filters(), chosen.tz, chosen.bucket
    kpi_tiles(chosen)
    goal_progress(chosen)
    name = chosen.campaign.slug

    def framed(fig):
        return charts.show_window(fig, chosen.start, chosen.end, tz, bucket)

    by_platform = data.series(path, filters, tz, bucket, ("platform",))
    # Calls to action, events and opposing pushes from the planner, marked where they began.
    planned = data.call(path, "plan.markers", chosen.campaign.id, chosen.start, chosen.end)
    episodes = data.spike_episodes(path, filters)
    figure = framed(charts.mentions_over_time(by_platform, tz, bucket))
    charts.baseline_note(figure, spikes_from(data.first_hour(path, filters)), chosen.start, chosen.end, tz)
    charts.add_markers(figure, pd.concat([charts.spike_markers(episodes), planned], ignore_index=True), tz)
    columns = ["bucket", "platform", "mentions", "originals", "reposts", "engagement"]
    ui.chart(figure, by_platform[columns], f"{name} mentions by platform", "mentions", drill_down=True)
    if len(episodes):
        st.caption(f"{len(episodes)} spike episode(s) marked: consecutive hours above the mean + 3 sd of the "
                   "previous week, with at least 10 mentions.")

    left, right = st.columns(2)
    with left:
        reach = data.cumulative_potential_reach(path, filters, tz, "hour" if bucket == "hour" else "day")
        ui.chart(charts.add_markers(framed(charts.reach_over_time(reach, tz, chosen.campaign.goal_reach)), planned, tz),
                 reach, f"{name} potential reach cumulative", "reach", drill_down=True)
    with right:
        ui.chart(charts.add_markers(framed(charts.engagement_over_time(by_platform, tz, bucket)), planned, tz),
                 by_platform[["bucket", "platform", "engagement"]], f"{name} engagement", "engagement", drill_down=True)

    by_side = data.series(path, chosen.filters(sides=()), tz, bucket, ("side",))
    voice = by_side.pivot_table(index="bucket", columns="side", values="mentions", aggfunc="sum", fill_value=0)
    voice = voice.reindex(columns=["ours", "opposing"], fill_value=0).reset_index()
    voice = charts.on_grid(voice, chosen.buckets()) if len(voice) else voice
    voice["share_of_voice"] = [share_of_voice(o, p) for o, p in zip(voice["ours"], voice["opposing"], strict=True)]
    ui.chart(charts.add_markers(framed(charts.share_of_voice_over_time(voice, tz, bucket)), planned, tz), voice,
             f"{name} share of voice", "voice", drill_down=True)
    st.caption("Share of voice counts both sides whatever side is chosen in the sidebar.")

    left, right = st.columns(2)
    tracked = tuple(t.value.lower() for t in chosen.campaign.trackers if t.kind == "hashtag")
    with left:
        tags = data.top_hashtags(path, filters, tracked)
        ui.chart(charts.hashtags_bar(tags, chosen.label()), tags, f"{name} hashtags", "hashtags", drill_down=True)
    with right:
        amplifiers = data.top_amplifiers(path, filters)
        ui.chart(charts.amplifiers_bar(amplifiers, chosen.label()), amplifiers, f"{name} amplifiers", "amplifiers", drill_down=True)

    st.subheader("Top posts by engagement")
    st.caption("Original posts only; a repost's engagement belongs to its original.")
    ui.posts_table(data.top_posts(path, filters), f"{name} top posts", "top_posts", tz)
    if len(episodes):
        st.subheader("Spike episodes, largest first")
        if ui.may_drill():
            st.caption("Select an episode to list its posts.")
            picked = st.dataframe(episodes_table(episodes, tz), hide_index=True, key="spikes_table",
                                  on_select="rerun", selection_mode="single-row")
            rows = [r for r in picked.selection.rows if isinstance(r, int) and 0 <= r < len(episodes)]
            if rows:
                row = episodes.iloc[rows[0]]
                ui.follow(chosen, drill.episode(chosen, row["start"], row["end"], int(row["mentions"])))
        else:
            st.dataframe(episodes_table(episodes, tz), hide_index=True)
        ui.csv_download(episodes, f"{name} spikes", "spikes")


main()
