"""Reports: what each call to action and event changed, the review notes beside it, and the report to download."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import partial

import pandas as pd
import streamlit as st

from campaigns import report_files
from campaigns.model import iso_utc
from campaigns.reports import (
    NOTE_QUESTIONS,
    SIDE_LABELS,
    SIDES,
    UPLIFT_DEFINITION,
    WINDOWS,
    Notes,
    Report,
)
from dashboard import data, ui

STATE_WORDS = {"ready": "ready", "after-window open": "after-window still open", "under way": "under way",
               "not started": "not started", "cancelled": "cancelled"}
MIME = {"html": "text/html", "md": "text/markdown", "csv": "text/csv"}


def table(rows: list[list[str]], key: str, link_column: int | None = None) -> None:
    """Rows of text as a plain-text table: nothing in it is rendered as Markdown or HTML."""
    if not rows:
        return
    frame = pd.DataFrame(rows[1:], columns=rows[0])
    config = {rows[0][link_column]: st.column_config.LinkColumn(rows[0][link_column], display_text="open")} \
        if link_column is not None else None
    if link_column is not None:
        column = rows[0][link_column]
        frame[column] = [report_files.safe_url(url) for url in frame[column]]
    # Every row in view: a report's tables are short, and a scrolled one hides a verdict.
    st.dataframe(frame, hide_index=True, column_config=config, key=f"reports_table_{key}",
                 height=35 * (len(frame) + 1) + 3)


def bullets(lines: list[str]) -> None:
    st.markdown("\n".join(f"- {report_files.md(line)}" for line in lines))


def status_table(status: pd.DataFrame, tz: str) -> None:
    ready = status[status["state"] == "ready"]
    lacking = ready[~ready["has_notes"]]
    st.caption(f"{len(ready)} report(s) ready (the after-window has closed), {len(lacking)} of them still without "
               "notes. The scheduler drafts each report when its after-window closes.")
    shown = pd.DataFrame({
        "what": status["kind"], "title": status["title"],
        "window": [f"{report_files.local(s, tz)} – {report_files.local(e, tz)}"
                   for s, e in zip(status["start"], status["end"], strict=True)],
        "ready from": [report_files.local(r, tz) for r in status["ready_at"]],
        "report": [STATE_WORDS.get(s, s) for s in status["state"]],
        "drafted": [report_files.local(d, tz) if isinstance(d, str) else "" for d in status["drafted_at"]],
        "notes": ["saved" if n else ("missing" if s == "ready" else "") for n, s
                  in zip(status["has_notes"], status["state"], strict=True)]})
    st.dataframe(shown, hide_index=True, key="reports_status")


def downloads(render: Callable[[str], str], name: str, key: str) -> None:
    """The report as HTML, Markdown and CSV, each written when its button is pressed: rendering all
    three on every visit cost the page a tenth of its time, for files most visits never take."""
    formats = ("html", "md", "csv")
    columns = st.columns(len(formats))
    for column, fmt in zip(columns, formats, strict=True):
        column.download_button(f"Download {fmt.upper() if fmt != 'md' else 'Markdown'}",
                               partial(_encoded, render, fmt),
                               file_name=f"{ui.slug_for_file(name)}.{fmt}", mime=MIME[fmt], on_click="ignore",
                               key=f"reports_download_{key}_{fmt}", icon=":material/download:")


def _encoded(render: Callable[[str], str], fmt: str) -> bytes:
    return render(fmt).encode("utf-8")


def notes_form(path: str, report: Report) -> None:
    """The after-action review's five questions, saved with the report."""
    subject = report.subject
    saved = report.notes or Notes()
    with st.form(key=f"reports_notes_{subject.key}"):
        st.markdown("**Review notes** (saved with the report, and in every download)")
        answers = {name: st.text_area(question, value=getattr(saved, name), key=f"reports_note_{name}_{subject.key}",
                                      height=80) for name, question in NOTE_QUESTIONS}
        if st.form_submit_button("Save notes", icon=":material/save:"):
            stored = data.write(path, "reports.save_notes", subject, Notes(**answers))
            st.success(report_files.md(f"Notes saved for '{subject.title}' at "
                                       f"{report_files.local(stored.updated_at, report.tz)}."))
    if saved.updated_at:
        st.caption(f"Last saved {report_files.local(saved.updated_at, report.tz)}.")


def show_report(path: str, report: Report) -> None:
    tz = report.tz
    # Titles and names are people's own words: shown as typed, never as Markdown.
    st.subheader(report_files.md(report_files.title_of(report)))
    st.caption(report_files.md(" ".join(report_files.intro_lines(report))))
    if report.data_note:
        st.info(report.data_note, icon=":material/info:")
    st.markdown("**In short**")
    bullets(report.headline())
    table(report_files.windows_rows(report), "windows")
    st.image(report_files.hourly_chart(report), width="stretch")
    st.image(report_files.windows_chart(report), width="stretch")
    for side in SIDES:
        st.markdown(f"**Figures: {SIDE_LABELS[side]}**")
        table(report_files.figures_rows(report, side), f"figures_{side}")
    table(report_files.both_sides_rows(report), "both")
    st.markdown("**During against the baseline**")
    table(report_files.comparison_rows(report), "comparisons")
    bullets([c.statement for c in report.comparisons if c.metric in ("mentions", "unique_authors")
             or c.verdict not in ("chance", "no data", "untested")] + [r.statement for r in report.recoveries.values()])
    st.caption(UPLIFT_DEFINITION)
    st.markdown("**The plan beside the outcome**")
    bullets(report_files.plan_lines(report))
    table(report_files.variant_rows(report), "variants")
    table(report_files.needs_rows(report), "needs")
    if not report.demand_updates.empty:
        st.markdown("**Demands updated in the windows**")
        table(report_files.demand_rows(report), "demands")
    st.markdown("**Top posts** (original posts by engagement; posts scored as offensive language, or not scored, "
                "are left out; text shown as plain text)")
    for name in WINDOWS:
        for side in SIDES:
            rows = report_files.post_rows(report, f"{name}:{side}")
            if rows:
                st.caption(f"{report.windows[name].window.label}, {SIDE_LABELS[side]}")
                table(rows, f"posts_{name}_{side}", link_column=5)
    st.markdown("**New amplifiers** (authors whose first post in the campaign falls in the window)")
    for name in WINDOWS:
        for side in SIDES:
            rows = report_files.amplifier_rows(report, f"{name}:{side}")
            if rows:
                st.caption(f"{report.windows[name].window.label}, {SIDE_LABELS[side]}")
                table(rows, f"amplifiers_{name}_{side}")
    st.markdown("**Data caveats**")
    if report.caveats:
        for caveat in report.caveats:
            st.warning(report_files.md(caveat.text()), icon=":material/warning:")
    else:
        st.caption(report.data_note or "None: every source collected in every window.")
    notes_form(path, report)
    downloads(partial(report_files.render, report),
              f"{report.campaign.slug} {report.subject.title}", report.subject.key.replace(":", "_"))
    st.caption(f"Times in {tz}; in the CSV, UTC.")


def show_campaign(path: str, campaign_id: int) -> None:
    report = data.campaign_report(path, campaign_id)
    st.subheader(report_files.md(f"Campaign to date: {report.campaign.name}"))
    bullets(report_files.goal_lines(report))
    table(report_files.campaign_rows(report), "campaign")
    if report.not_begun:
        st.caption("Still to come: " + "; ".join(report_files.md(f"{s.title} ({report_files.local(s.starts, report.tz)})")
                                                 for s in report.not_begun))
    st.markdown("**Demands**")
    table(report_files.ledger_rows(report), "ledger")
    table(report_files.update_rows(report), "ledger_updates", link_column=4)
    downloads(partial(report_files.render_campaign, report),
              f"{report.campaign.slug} to date", "campaign")


def main() -> None:
    chosen = ui.selection()
    if chosen is None:
        return
    path, campaign = chosen.db_path, chosen.campaign
    st.title("Reports")
    st.caption(f"{report_files.md(campaign.name)} · times in {campaign.timezone} · each report compares a call to action or event "
               "with the same length of time before it and the same hours a week earlier; the sidebar's time range "
               "does not apply here.")
    status = data.report_status(path, campaign.id, iso_utc(chosen.now.replace(second=0, microsecond=0)))
    if status.empty:
        st.info("No calls to action or events yet: add them on the Planner page, or with `groundswell action add`.")
        return
    status_table(status, campaign.timezone)
    scope = st.radio("Report on", ["a call to action or event", "the campaign to date"], horizontal=True,
                     key="reports_scope")
    if scope == "the campaign to date":
        show_campaign(path, campaign.id)
        return
    begun = status[~status["state"].isin(("not started",))]
    if begun.empty:
        st.info("Nothing has started yet: a report needs its call to action or event to have begun.")
        return
    keys = list(begun["key"])
    waiting = begun[(begun["state"] == "ready") & ~begun["has_notes"]]
    if st.session_state.get("reports_subject") not in keys:
        st.session_state["reports_subject"] = waiting["key"].iloc[0] if len(waiting) else keys[-1]
    labels = {row.key: f"{row.title} ({row.kind}, {report_files.local(row.start, campaign.timezone)})"
              for row in begun.itertuples()}
    key = st.selectbox("Call to action or event", keys, format_func=labels.get, key="reports_subject")
    kind, _, subject_id = key.partition(":")
    report = data.report(path, kind, int(subject_id))
    # Notes are read fresh, so what was saved a moment ago shows without waiting for the cache.
    report = replace(report, notes=data.call(path, "reports.notes", report.subject))
    show_report(path, report)


main()
