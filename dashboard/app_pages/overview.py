"""Overview: every campaign as a row of tiles for the chosen side, share of voice, goals and open alerts."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from campaigns.model import iso_utc, to_datetime
from dashboard import alerts_panel, data, ui
from dashboard.selection import Selection, format_count, next_hour


def campaign_row(chosen: Selection, campaign) -> dict:
    """Draw one campaign's tiles and return its numbers for the CSV."""
    filters = chosen.filters(campaign.id)
    now = data.kpis(chosen.db_path, filters)
    before = data.kpis(chosen.db_path, chosen.previous(campaign.id))
    daily = data.series(chosen.db_path, filters, campaign.timezone, chosen.bucket, ())
    sparkline = daily["mentions"].tolist()
    with st.container(border=True):
        title = campaign.name + (" · demo data" if campaign.is_demo else "")
        st.subheader(title, anchor=False)
        st.caption(f"{campaign.slug} · {campaign.status} · times in {campaign.timezone}")
        columns = st.columns([1, 1, 1.4, 1, 1, 1])  # potential reach runs to eight digits
        columns[0].metric("Mentions", format_count(now.mentions), ui.change(now.mentions, before.mentions),
                          chart_data=sparkline or None, chart_type="bar",
                          help=f"{chosen.side_words}: {now.originals:,} original, {now.reposts:,} reposts; "
                               f"bars: mentions per {chosen.bucket}")
        columns[1].metric("Unique authors", format_count(now.unique_authors),
                          ui.change(now.unique_authors, before.unique_authors))
        columns[2].metric("Potential reach", format_count(now.potential_reach),
                          ui.change(now.potential_reach, before.potential_reach),
                          help="Who could have seen a post, not who did.")
        columns[3].metric("Engagement", format_count(now.engagement), ui.change(now.engagement, before.engagement))
        ui.net_sentiment_tile(columns[4], now, before)
        by_side = ui.share_of_voice_tile(columns[5], chosen, campaign.id)
        st.caption(ui.other_sides(chosen, by_side))
        goals = goal_bars(chosen, campaign)
        alerts = data.open_alerts(chosen.db_path, campaign.id)
        if len(alerts):
            newest = ui.local_times(alerts["at"].iloc[:1], campaign.timezone).iloc[0]
            st.caption(f"{len(alerts)} open alert(s); newest: {alerts.iloc[0]['kind']} at {newest}")
    sides = by_side["now"]
    return {"campaign": campaign.slug, "name": campaign.name, "demo": campaign.is_demo, "side": chosen.side,
            "window_start": filters.start, "window_end": filters.end, "mentions": now.mentions,
            "reposts": now.reposts, "unique_authors": now.unique_authors, "potential_reach": now.potential_reach,
            "engagement": now.engagement, "net_tone": now.net_sentiment,
            "tone_basis": now.sentiment_basis, "previous_mentions": before.mentions,
            **{f"{side}_mentions": sides.get(side, 0) for side in ("ours", "opposing", "monitor", "protect")},
            "open_alerts": len(alerts), **goals}


def goal_bars(chosen: Selection, campaign) -> dict:
    """Our side's progress since the campaign started against its goals, as bars."""
    if not (campaign.goal_mentions or campaign.goal_reach):
        return {}
    start = to_datetime(campaign.starts_at, campaign.timezone).replace(minute=0, second=0)
    # To the end of the current hour: a whole-hour window is summed from the roll-up and stays
    # one cache entry for the hour, where 'now' to the second would be neither.
    since = chosen.filters(campaign.id, sides=("ours",)).shifted(iso_utc(start), iso_utc(next_hour(chosen.now)))
    totals = data.kpis(chosen.db_path, since)
    shown = {}
    columns = st.columns(2)
    for column, label, value, goal in ((columns[0], "mentions", totals.mentions, campaign.goal_mentions),
                                       (columns[1], "potential reach", totals.potential_reach, campaign.goal_reach)):
        if goal:
            column.progress(min((value or 0) / goal, 1.0),
                            text=f"Goal, our {label} to date: {format_count(value)} of {goal:,}")
            shown[f"goal_{label.replace(' ', '_')}"] = goal
            shown[f"our_{label.replace(' ', '_')}_to_date"] = value
    return shown


@st.fragment(run_every=ui.REFRESH_EVERY)
def tiles(chosen: Selection) -> None:
    rows = [campaign_row(chosen, campaign) for campaign in chosen.campaigns if campaign.status != "archived"]
    ui.csv_download(pd.DataFrame(rows), "overview", "overview", "Download these numbers as CSV")


def main() -> None:
    chosen = ui.selection()
    if chosen is None:
        return
    ui.page_header("Overview", chosen, campaign_wide=True)
    tiles(chosen)
    alerts_panel.open_alerts(chosen)


main()
