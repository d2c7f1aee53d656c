"""Safety: mentions aimed at the protected accounts, offensive text hidden until revealed, pile-ons, reviews, evidence."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from campaigns import clock, safety
from campaigns.errors import GroundswellError
from campaigns.model import iso_utc
from dashboard import data, safety_charts, ui
from dashboard.selection import Selection, format_count, format_share

TABLE_ROWS = 200
TABLE_CONFIG = {
    "posted": st.column_config.TextColumn("posted"),
    "accounts": st.column_config.TextColumn("aimed at"),
    "via": st.column_config.TextColumn("how"),
    "author_key": st.column_config.TextColumn("author"),
    "text": st.column_config.TextColumn("text", width="large"),
    "model_score": st.column_config.NumberColumn("offensive language (model)", format="%.2f",
                                                 help="alt-profanity-check's probability, 0..1"),
    "score": st.column_config.NumberColumn("in context", format="%.2f",
                                           help="The score this campaign counts: targeted rules and counter-speech "
                                                "applied, a reviewer's verdict over both"),
    "verdict": st.column_config.TextColumn("verdict"),
    "url": st.column_config.LinkColumn("link", display_text="open"),
}
REVIEWED_CHOICES = {"all": None, "not reviewed yet": False, "reviewed": True}


def signposting(campaign) -> None:
    if campaign.safety.signposting:
        st.info(campaign.safety.signposting, icon=":material/support_agent:")
    else:
        st.caption(f"No signposting text yet (where to report, who to call): set it with "
                   f"`groundswell safety settings {campaign.slug} --signposting \"...\"` or under `safety:` in the "
                   "campaigns file.")


def pile_ons(chosen: Selection, who: str) -> None:
    alerts = data.pile_on_alerts(chosen.db_path, chosen.campaign.id)
    authors, minutes = safety.pile_on_rule(chosen.campaign)
    st.subheader("Pile-on alerts")
    st.caption(f"At least {authors} distinct authors sending offensive mentions to one protected account within "
               f"{minutes} minutes; one alert per episode, shown here and on the Overview until acknowledged.")
    if alerts.empty:
        st.caption("No open pile-on alerts.")
        return
    shown = alerts.assign(first=_local(alerts["first"], chosen.tz), last=_local(alerts["last"], chosen.tz))
    st.dataframe(shown.drop(columns=["acknowledged_at"]), hide_index=True, key="table_pile_ons")
    ui.csv_download(alerts, f"{chosen.campaign.slug} pile-on alerts", "pile_ons")
    left, right = st.columns([3, 1])
    alert_id = left.selectbox("Alert", alerts["id"].tolist(), key="safety_alert",
                              format_func=lambda i: alerts.set_index("id").loc[i, "summary"])
    if right.button("Acknowledge (recorded)", key="safety_acknowledge", disabled=not who):
        _write(chosen, "safety.acknowledge", int(alert_id), who)


def _local(values: pd.Series, tz: str) -> pd.Series:
    return pd.to_datetime(values, utc=True).dt.tz_convert(tz).dt.strftime("%Y-%m-%d %H:%M")


def _write(chosen: Selection, verb: str, *args) -> None:
    try:
        data.write(chosen.db_path, verb, *args)
    except GroundswellError as error:
        st.error(str(error))
        return
    data.changed()
    st.rerun()


def tiles(chosen: Selection, accounts: dict[int, str], threshold: float) -> None:
    filters = chosen.filters()
    totals = data.aimed_totals(chosen.db_path, chosen.campaign.id, filters.start, filters.end, threshold)
    by_tracker = {int(row.tracker_id): row for row in totals.itertuples()}
    columns = st.columns(max(len(accounts), 1))
    for column, (tracker_id, account) in zip(columns, accounts.items(), strict=False):
        row = by_tracker.get(tracker_id)
        mentions, offensive = (row.mentions, row.offensive) if row is not None else (0, 0)
        column.metric(f"Aimed at {account}", format_count(mentions),
                      help="Replies to the account, @-mentions of it and quotes of its posts in the range")
        column.caption(f"{format_count(offensive)} offensive · {format_count(row.authors if row is not None else 0)}"
                       f" authors · {format_count(row.reviewed if row is not None else 0)} reviewed")


def support(chosen: Selection, accounts: dict[int, str], threshold: float) -> None:
    filters = chosen.filters()
    frame = data.support_series(chosen.db_path, chosen.campaign.id, filters.start, filters.end, chosen.tz, threshold)
    named = frame.assign(account=frame["tracker_id"].map(accounts))
    ui.chart(safety_charts.support_against_abuse(frame, accounts, chosen.tz),
             named[["day", "account", "supportive", "offensive", "mentions"]],
             f"{chosen.campaign.slug} support against abuse", "support")


def mentions(chosen: Selection, accounts: dict[int, str], threshold: float, who: str) -> pd.DataFrame:
    """The filters, the table of mentions aimed at the accounts (offensive text hidden), reveal and review."""
    st.subheader("Mentions aimed at the protected accounts")
    with st.form("safety_filters"):
        left, middle, right = st.columns(3)
        picked = left.multiselect("Accounts", list(accounts), format_func=accounts.get, key="safety_accounts",
                                  placeholder="All protected accounts")
        low, high = middle.slider("Score in context", 0.0, 1.0, (0.0, 1.0), step=0.05, key="safety_scores")
        reviewed = right.radio("Reviewed", list(REVIEWED_CHOICES), horizontal=True, key="safety_reviewed")
        st.form_submit_button("Apply")
    filters = chosen.filters()
    frame = data.aimed_mentions(chosen.db_path, chosen.campaign.id, filters.start, filters.end, tuple(picked),
                                low if low > 0 else None, high if high < 1 else None, REVIEWED_CHOICES[reviewed],
                                TABLE_ROWS)
    shown = ui.hide_offensive(frame, chosen.campaign, score_column="score")
    st.caption(f"Newest first, in {chosen.tz}; {len(frame):,} shown (at most {TABLE_ROWS}). Offensive at "
               f"{threshold:g} or more: {shown.attrs.get('hidden', 0):,} hidden until revealed.")
    table = shown.assign(
        posted=_local(shown["created_at"], chosen.tz) if len(shown) else shown["created_at"],
        accounts=[", ".join(accounts.get(int(t), "?") for t in str(a).split(",")) for a in shown["accounts"]],
        verdict=[_verdict(v, s, threshold) for v, s in zip(shown["verdict"], shown["score"], strict=True)])
    columns = ["posted", "accounts", "via", "platform", "author_key", "text", "model_score", "score", "verdict", "url"]
    st.dataframe(table[columns], hide_index=True, column_config=TABLE_CONFIG, key="table_aimed")
    ui.csv_download(table[[*columns, "uid"]], f"{chosen.campaign.slug} mentions aimed at protected accounts", "aimed")
    if frame.empty:
        return frame
    labels = {row["uid"]: ui.post_label(row) for _, row in table.assign(created_at=table["posted"]).iterrows()}
    hidden_uids = [u for u, text in zip(shown["uid"], shown["text"], strict=True) if str(text).startswith("[hidden")]
    left, right = st.columns(2)
    with left:
        st.markdown("**Reveal hidden text**")
        chosen_uids = st.multiselect("Hidden posts", hidden_uids, format_func=labels.get, key="safety_reveal_uids",
                                     placeholder="Choose posts to reveal")
        if st.button("Reveal (recorded)", key="safety_reveal", disabled=not (who and chosen_uids)):
            ui.reveal(chosen, who, chosen_uids)
            st.rerun()
    with right:
        st.markdown("**Review: is it abusive?**")
        uid = st.selectbox("Post", list(labels), format_func=labels.get, key="safety_review_uid")
        verdict = st.radio("Verdict", ("abusive", "not abusive"), horizontal=True, key="safety_verdict")
        if st.button("Save verdict (recorded)", key="safety_save_verdict", disabled=not who):
            _write(chosen, "correct", uid, chosen.campaign.id, "verdict", verdict, who)
    shown_now = [(row["posted"], row["accounts"], row["text"]) for _, row in table.iterrows()
                 if (chosen.campaign.id, row["uid"]) in ui.revealed() and safety.hidden(row["score"], threshold)]
    if shown_now:
        st.markdown("**Revealed in this session**")
        for posted, aimed, text in shown_now:
            st.text(f"{posted} to {aimed}: {text}")
    return frame


def _verdict(verdict, score, threshold: float) -> str:
    if isinstance(verdict, str):  # pandas reads a missing verdict as NaN
        return f"reviewer: {verdict.replace('_', ' ')}"
    return "scorer: offensive" if safety.hidden(score, threshold) else "scorer: not offensive"


def measured(chosen: Selection, threshold: float) -> None:
    st.subheader("The scorer, measured on this campaign's reviews")
    results = safety.measure(data.reviews(chosen.db_path, chosen.campaign.id), threshold)
    columns = st.columns(len(results) * 2)
    for index, (name, result) in enumerate(results.items()):
        columns[2 * index].metric(f"Precision, {name}", format_share(result.precision),
                                  help=f"{result.agreed} of {result.flagged} reviewed posts it flagged were judged "
                                       "abusive")
        columns[2 * index + 1].metric(f"Recall, {name}", format_share(result.recall),
                                      help=f"{result.agreed} of {result.abusive} posts judged abusive it flagged")
    basis = next(iter(results.values())).reviewed
    st.caption(f"Rests on {basis:,} reviewed post{'' if basis == 1 else 's'} at the threshold {threshold:g}. "
               "Reviewers see flagged posts first, so recall is measured where someone looked: review some "
               "unflagged posts too (\"Score in context\" below the threshold).")
    overruled = data.overruled(chosen.db_path, chosen.campaign.id)
    st.caption("Scorer overruled by people (corrections in force): " + ", ".join(
        f"{row.field} {row.overruled:,} of {row.corrected:,}" for row in overruled.itertuples()))


def evidence(chosen: Selection, frame: pd.DataFrame, threshold: float, who: str) -> None:
    st.subheader("Evidence export")
    st.caption("The chosen mentions with URL, time in UTC and local, platform, author as stored, text, scores, "
               "verdict and who exported them: CSV and JSON with a manifest of SHA-256 digests. Each export is "
               "recorded in the audit log; `groundswell evidence verify FOLDER` checks the files.")
    if frame.empty:
        st.caption("No mentions in the table above to export.")
        return
    offensive = [uid for uid, score in zip(frame["uid"], frame["score"], strict=True) if safety.hidden(score, threshold)]
    labels = {row["uid"]: f"{row['created_at']} · {row['platform']} · {row['author_key']}" for _, row in frame.iterrows()}
    uids = st.multiselect("Mentions", frame["uid"].tolist(), default=offensive, format_func=labels.get,
                          key="safety_evidence_uids")
    if st.button("Prepare evidence (recorded)", key="safety_evidence", disabled=not (who and uids)):
        exported_at = clock.now_iso()
        try:
            rows = data.evidence_rows(chosen.db_path, chosen.campaign.id, uids)
            records = safety.evidence_records(rows, chosen.campaign, who, exported_at)
            files = safety.evidence_files(records, chosen.campaign, who, exported_at)
            data.write(chosen.db_path, "safety.log_export", chosen.campaign.id, who,
                       {"campaign": chosen.campaign.slug, "records": len(records), "uids": uids,
                        "where": "dashboard download"})
        except GroundswellError as error:
            st.error(str(error))
            return
        data.changed()
        st.session_state["safety_evidence_zip"] = safety.zipped(files)
    if st.session_state.get("safety_evidence_zip"):
        st.download_button("Download evidence (zip)", st.session_state["safety_evidence_zip"],
                           file_name=f"evidence-{chosen.campaign.slug}-{iso_utc(clock.now())[:10]}.zip",
                           mime="application/zip", key="safety_evidence_download", icon=":material/download:")


def audit(chosen: Selection) -> None:
    with st.expander("Audit log: reveals, reviews, exports, acknowledgements"):
        log = data.audit_view(chosen.db_path, chosen.campaign.id)
        if log.empty:
            st.caption("Nothing recorded yet.")
        else:
            st.dataframe(log, hide_index=True, key="table_audit",
                         column_config={"at": st.column_config.TextColumn("at (UTC)"),
                                        "detail": st.column_config.TextColumn("detail")})
            ui.csv_download(log, f"{chosen.campaign.slug} audit log", "audit")


def main() -> None:
    chosen = ui.selection()
    if chosen is None:
        return
    ui.page_header("Safety", chosen)
    campaign = chosen.campaign
    signposting(campaign)
    accounts = safety.protected_trackers(campaign)
    if not accounts:
        st.info(f"{campaign.name} protects no account yet. Add one with "
                f"`groundswell campaign edit {campaign.slug} --protect @name` (or under `track: protect:` in the "
                "campaigns file); mentions aimed at it are then collected, scored and shown here.")
        return
    threshold = safety.threshold_of(campaign)
    who = ui.who_input("safety")
    if not who:
        st.caption("Type your name to reveal text, review posts, acknowledge alerts or export evidence: each is "
                   "recorded in the audit log.")
    pile_ons(chosen, who)
    tiles(chosen, accounts, threshold)
    support(chosen, accounts, threshold)
    frame = mentions(chosen, accounts, threshold, who)
    measured(chosen, threshold)
    evidence(chosen, frame, threshold, who)
    audit(chosen)


main()
