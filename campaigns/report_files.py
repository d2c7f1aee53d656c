"""A post-action report as a file: self-contained HTML with inline SVG charts, Markdown for chat and wikis, CSV of the series.

Every piece of text that came from a post, an author or a person is escaped for the format it
goes into, so a post cannot inject markup, links or script; offensive posts never reach here.
"""

from __future__ import annotations

import html
import math
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pandas as pd

from campaigns.model import STORED_TIME_FORMAT, to_datetime
from campaigns.planner import DEMAND_LABELS
from campaigns.reports import (
    NOTE_QUESTIONS,
    SIDE_LABELS,
    SIDES,
    UNTESTED,
    UPLIFT_DEFINITION,
    VERDICT_WORDS,
    WINDOWS,
    CampaignReport,
    Comparison,
    Report,
    WindowView,
    format_p,
)

FORMATS = ("html", "md", "csv")
# Okabe and Ito's palette, as the dashboard's charts use it.
COLOURS = {"ours": "#0072B2", "opposing": "#D55E00", "expected": "#555555", "before": "#E8E8E8",
           "during": "#CFE6F5", "after": "#FBEFD0", "week_before": "#F2F2F2"}
MARK = "†"


# -- small formats -----------------------------------------------------------------------------

def local(moment: datetime | str, tz: str) -> str:
    moment = to_datetime(moment) if isinstance(moment, str) else moment
    return moment.astimezone(ZoneInfo(tz)).strftime("%a %d %b %Y %H:%M")


def count(value) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:,.0f}"


def rate(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.1f}"


def change_text(comparison: Comparison) -> str:
    if comparison.change is None:
        if comparison.baseline is None:
            return "n/a"
        return "none either time" if not comparison.during else "from none"
    if comparison.metric == "net_tone":
        return f"{comparison.change:+.2f} pts"
    if comparison.metric == "share_of_voice":
        return f"{comparison.change * 100:+.0f} pts"
    return f"{comparison.change:+.0%}"


def value_text(comparison: Comparison, value: float | None) -> str:
    if value is None:
        return "n/a"
    if comparison.metric == "net_tone":
        return f"{value:+.2f}"
    if comparison.metric == "share_of_voice":
        return f"{value:.0%}"
    if comparison.metric in UNTESTED:
        return count(value)
    return rate(value)


def pattern_text(comparison: Comparison) -> str:
    """What the same hours of earlier weeks bring, per hour like the rates beside it."""
    if comparison.expected is None or not comparison.during_hours:
        return "n/a"
    hours = comparison.during_hours
    return (f"{comparison.expected / hours:,.1f} ({comparison.expected_low / hours:,.1f}–"
            f"{comparison.expected_high / hours:,.1f})")


def comparison_label(comparison: Comparison) -> str:
    if comparison.metric in UNTESTED:
        return comparison.label + " (a window)"
    if comparison.metric in ("net_tone", "share_of_voice"):
        return comparison.label
    return comparison.label + " an hour"


def net_text(kpis) -> str:
    return "n/a" if kpis.net_sentiment is None else f"{kpis.net_sentiment:+.2f} ({kpis.sentiment_basis:,} posts)"


def window_span(view: WindowView, tz: str) -> str:
    shown = view.shown or view.window
    return f"{local(shown.start, tz)} – {local(shown.end, tz)}"


def md(text) -> str:
    """Text as Markdown shows it literally: markup characters escaped, one line."""
    flat = re.sub(r"\s+", " ", str(text if text is not None else "")).strip()
    return re.sub(r"([\\`*_\[\]<>|~#&!])", r"\\\1", flat)


def h(text) -> str:
    return html.escape(str(text if text is not None else ""), quote=True)


def safe_url(url) -> str | None:
    """Only web links are linked; anything else (javascript:, data:) is left as text."""
    return url if isinstance(url, str) and re.match(r"^https?://[^\s\"'<>|`]+$", url) else None


def csv_text(frame: pd.DataFrame) -> str:
    data = frame.copy()
    for column in data.columns:
        if isinstance(data[column].dtype, pd.DatetimeTZDtype):
            data[column] = data[column].dt.tz_convert("UTC").dt.strftime(STORED_TIME_FORMAT)
    return data.to_csv(index=False, lineterminator="\n")


# -- the tables a report is made of (rows of plain text, escaped by each format) ----------------

def windows_rows(report: Report) -> list[list[str]]:
    rows = [["window", "from", "to", "hours", "state"]]
    for name in WINDOWS:
        view = report.windows[name]
        shown = view.shown or view.window
        mark = f" {MARK}" if view.caveats else ""
        rows.append([view.window.label + mark, local(shown.start, report.tz), local(shown.end, report.tz),
                     f"{shown.hours:,.0f}", view.state])
    return rows


def figures_rows(report: Report, side: str) -> list[list[str]]:
    views = [report.windows[name] for name in WINDOWS]
    header = ["figure"] + [v.window.label + (f" {MARK}" if v.caveats else "") for v in views]

    def cells(value_of) -> list[str]:
        out = []
        for view in views:
            if view.state in ("not yet", "no data") or view.figures is None:
                out.append(view.state)
            else:
                out.append(value_of(view))
        return out

    def kpis(view):
        return view.figures[side]

    rows = [header,
            ["Mentions (original / reposts)"] + cells(
                lambda v: f"{kpis(v).mentions:,} ({kpis(v).originals:,} / {kpis(v).reposts:,})"),
            ["Mentions an hour"] + cells(lambda v: rate(kpis(v).mentions / v.shown.hours)),
            ["Unique authors"] + cells(lambda v: count(kpis(v).unique_authors)),
            ["New amplifiers (first seen)"] + cells(lambda v: count(report.new_authors.get(f"{v.name}:{side}"))),
            ["Potential reach"] + cells(lambda v: count(kpis(v).potential_reach)),
            ["Engagement"] + cells(lambda v: count(kpis(v).engagement)),
            ["Net tone (posts it rests on)"] + cells(lambda v: net_text(kpis(v)))]
    return rows


def both_sides_rows(report: Report) -> list[list[str]]:
    views = [report.windows[name] for name in WINDOWS]
    header = ["figure"] + [v.window.label + (f" {MARK}" if v.caveats else "") for v in views]

    def cells(value_of) -> list[str]:
        return [value_of(v) if v.figures is not None else v.state for v in views]

    def voice(view):
        share = view.figures["all"].share_of_voice
        return "n/a" if share is None else f"{share:.0%}"

    return [header, ["Share of voice (ours / ours + opposing)"] + cells(voice),
            ["Offensive-language mentions aimed at protected accounts (count only)"]
            + cells(lambda v: count(report.protected_abuse.get(v.name)))]


def comparison_rows(report: Report) -> list[list[str]]:
    rows = [["figure", "side", "baseline", "during", "change", "chance", "expected from the 4 weeks before (95% range)",
             "verdict"]]
    for c in report.comparisons:
        side = "both" if c.metric == "share_of_voice" else c.side
        rows.append([comparison_label(c), side,
                     value_text(c, c.baseline), value_text(c, c.during), change_text(c),
                     format_p(c.p_value) if c.p_value is not None else "no test", pattern_text(c),
                     VERDICT_WORDS[c.verdict] + (f" {MARK}" if c.marked else "")])
    return rows


def plan_lines(report: Report) -> list[str]:
    plan = report.plan
    lines = []
    tags = " ".join("#" + t for t in plan.hashtags)
    if report.subject.kind == "action":
        lines.append(f"Kind: {plan.kind}.")
        if plan.goal_count:
            done = plan.completion or 0
            lines.append(f"Goal: {plan.goal_count:,} posts carrying {tags or 'its hashtags'}; "
                         f"{done:,} did ({done / plan.goal_count:.0%}).")
        elif plan.completion is not None:
            lines.append(f"No goal set; {plan.completion:,} posts carried {tags}.")
        else:
            lines.append("No goal set and no hashtags to count its posts by.")
    else:
        lines.append(f"Capacity: {count(plan.capacity)}; signed up: {count(plan.signed_up)}.")
        for title, goal, completion in plan.linked:
            goal_text = f"goal {goal:,}, " if goal else ""
            lines.append(f"Call to action '{title}': {goal_text}{count(completion)} posts carrying {tags}.")
    if plan.assignments:
        lines.append("Assignments: " + ", ".join(f"{n} {status.replace('_', '-')}" for status, n in plan.assignments.items())
                     + ".")
    else:
        lines.append("No volunteers were assigned.")
    return lines


def variant_rows(report: Report) -> list[list[str]]:
    if not report.variants:
        return []
    rows = [["wording", "original posts carrying it"]]
    rows += [[message, f"{n:,}"] for message, n in report.variants]
    rows.append(["(none of these wordings)", f"{report.unmatched_posts:,}"])
    return rows


def needs_rows(report: Report) -> list[list[str]]:
    if not report.plan.needs:
        return []
    return [["need", "asked", "pledged", "delivered"]] + [
        [n.item, f"{n.quantity:,}", f"{n.pledged:,}", f"{n.delivered:,}"] for n in report.plan.needs]


def demand_rows(report: Report) -> list[list[str]]:
    frame = report.demand_updates
    if frame is None or frame.empty:
        return []
    rows = [["window", "demand", "when", "status", "note"]]
    for row in frame.itertuples():
        rows.append([report.windows[row.window].window.label, row.demand, local(row.at, report.tz),
                     DEMAND_LABELS.get(row.status, row.status), row.note])
    return rows


def post_rows(report: Report, key: str) -> list[list[str]]:
    frame = report.top_posts.get(key)
    if frame is None or frame.empty:
        return []
    rows = [["posted", "platform", "author", "engagement", "text", "link"]]
    for post in frame.itertuples():
        rows.append([local(post.created_at, report.tz), post.platform, post.author_key or "", count(post.engagement),
                     post.text or "", safe_url(post.url) or ""])
    return rows


def amplifier_rows(report: Report, key: str) -> list[list[str]]:
    frame = report.new_amplifiers.get(key)
    if frame is None or frame.empty:
        return []
    rows = [["author", "platform", "followers", "posts"]]
    rows += [[a.author_key, a.platform, count(a.followers), count(a.posts)] for a in frame.itertuples()]
    return rows


def title_of(report: Report) -> str:
    return f"Report: {report.subject.title} ({report.subject.noun})"


def intro_lines(report: Report) -> list[str]:
    subject = report.subject
    hours = (subject.ends - subject.starts).total_seconds() / 3600
    lines = [f"Campaign: {report.campaign.name}. Times in {report.tz}.",
             f"Window: {local(subject.starts, report.tz)} – {local(subject.ends, report.tz)} ({hours:,.0f} hours)"
             + (f"; it was {subject.status}" if subject.status in ("draft", "cancelled") else "") + ".",
             f"Generated {local(report.generated_at, report.tz)}"
             + ("." if report.ready else f"; the after-window closes {local(subject.ready_at, report.tz)}, "
                                         "so these figures are not final.")]
    return lines


# -- Markdown --------------------------------------------------------------------------------

def _md_table(rows: list[list[str]], link_column: int | None = None) -> str:
    if not rows:
        return ""
    out = ["| " + " | ".join(md(c) for c in rows[0]) + " |", "|" + "---|" * len(rows[0])]
    for row in rows[1:]:
        cells = []
        for i, cell in enumerate(row):
            url = safe_url(cell) if i == link_column else None
            cells.append(f"<{url}>" if url else md(cell))
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def markdown(report: Report) -> str:
    """The report as Markdown: headings, lists and pipe tables, every outside text escaped."""
    parts = [f"# {md(title_of(report))}", "", *[md(line) + "  " for line in intro_lines(report)], ""]
    if report.data_note:
        parts += [f"> {md(report.data_note)}", ""]
    parts += ["## In short", ""] + [f"- {md(line)}" for line in report.headline()] + [""]
    parts += ["## Windows", "", _md_table(windows_rows(report))]
    for side in SIDES:
        parts += [f"## Figures: {SIDE_LABELS[side]}", "", _md_table(figures_rows(report, side))]
    parts += ["## Both sides", "", _md_table(both_sides_rows(report))]
    parts += ["## During against the baseline", "", _md_table(comparison_rows(report))]
    parts += [f"- {md(c.statement)}" for c in report.comparisons if c.metric in ("mentions", "unique_authors")
              or c.verdict not in ("chance", "no data", "untested")] + [""]
    parts += [f"- {md(r.statement)}" for r in report.recoveries.values()] + [""]
    parts += [md(UPLIFT_DEFINITION), ""]
    parts += ["## The plan beside the outcome", ""] + [f"- {md(line)}" for line in plan_lines(report)] + [""]
    for heading, rows in (("Wordings used", variant_rows(report)), ("Needs", needs_rows(report)),
                          ("Demands updated in the windows", demand_rows(report))):
        if rows:
            parts += [f"### {heading}", "", _md_table(rows)]
    parts += ["## Top posts", "", md("Original posts by engagement; text as posted. Posts scored as offensive "
                                     "language, or not scored, are left out."), ""]
    for name in WINDOWS:
        for side in SIDES:
            rows = post_rows(report, f"{name}:{side}")
            if rows:
                parts += [f"### {md(report.windows[name].window.label)}, {SIDE_LABELS[side]}", "",
                          _md_table(rows, link_column=5)]
    parts += ["## New amplifiers", "", md("Authors whose first post in the campaign falls in the window, "
                                          "largest audience first."), ""]
    for name in WINDOWS:
        for side in SIDES:
            rows = amplifier_rows(report, f"{name}:{side}")
            if rows:
                parts += [f"### {md(report.windows[name].window.label)}, {SIDE_LABELS[side]}", "", _md_table(rows)]
    parts += ["## Data caveats", ""]
    if report.caveats:
        parts += [f"- {MARK} {md(c.text())}" for c in report.caveats] + [""]
    else:
        parts += ["- " + md("None: every source collected in every window." if not report.data_note
                            else report.data_note), ""]
    parts += ["## Notes", ""]
    if report.notes and not report.notes.empty:
        for name, question in NOTE_QUESTIONS:
            parts += [f"**{md(question)}** {md(getattr(report.notes, name)) or '—'}", ""]
    else:
        parts += ["No notes yet: add them on the dashboard's Reports page.", ""]
    return "\n".join(parts).rstrip() + "\n"


# -- SVG charts ------------------------------------------------------------------------------

def _ticks(top: float) -> list[float]:
    if top <= 0:
        return [0.0]
    raw = top / 4
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    return [step * i for i in range(int(top // step) + 2) if step * i <= top * 1.0001 + step]


def hourly_chart(report: Report, width: int = 720, height: int = 280) -> str:
    """Mentions per hour on each side across the windows, with what the weekly pattern expects: inline SVG."""
    series = report.series
    left, right, top, bottom = 52, 16, 34, 46
    plot_w, plot_h = width - left - right, height - top - bottom
    title = "Mentions per hour, before, during and after"
    parts = [f'<svg class="chart" data-chart="hourly" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
             f'role="img" aria-label="{h(title)}"><title>{h(title)}</title>']
    if series.empty:
        parts.append(f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle">No hours to show yet.</text></svg>')
        return "".join(parts)
    first = series["hour"].min()
    last = series["hour"].max() + pd.Timedelta(hours=1)
    span = (last - first).total_seconds() or 3600
    observed, expected = series["mentions"].dropna(), series["expected_mentions"].dropna()
    peak = max(observed.max() if len(observed) else 0, expected.max() if len(expected) else 0, 1)
    ticks = _ticks(peak)
    ceiling = max(ticks[-1], peak)

    def x(moment) -> float:
        return left + plot_w * (pd.Timestamp(moment) - first).total_seconds() / span

    def y(value) -> float:
        return top + plot_h * (1 - value / ceiling)

    for name in ("before", "during", "after"):
        view = report.windows[name]
        shown = view.shown
        if shown is None:
            continue
        x0, x1 = max(x(shown.start), left), min(x(shown.end), left + plot_w)
        if x1 <= x0:
            continue
        parts.append(f'<rect class="window {name}" x="{x0:.1f}" y="{top}" width="{x1 - x0:.1f}" height="{plot_h}" '
                     f'fill="{COLOURS[name]}"/>')
        parts.append(f'<text x="{(x0 + x1) / 2:.1f}" y="{top - 6}" text-anchor="middle" font-size="11">'
                     f'{h(view.window.label.replace("Baseline: ", "baseline, "))}</text>')
    for tick in ticks:
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="#ccc" '
                     'stroke-width="0.5"/>')
        parts.append(f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" font-size="10">{tick:,.0f}</text>')
    labels = 6
    for i in range(labels + 1):
        moment = first + (last - first) * i / labels
        anchor = "start" if i == 0 else "end" if i == labels else "middle"
        parts.append(f'<text x="{x(moment):.1f}" y="{top + plot_h + 16}" text-anchor="{anchor}" font-size="10">'
                     f'{h(moment.tz_convert(report.tz).strftime("%d %b %H:%M"))}</text>')
    parts.append(f'<text x="{left + plot_w / 2}" y="{height - 6}" text-anchor="middle" font-size="11">'
                 f'time ({h(report.tz)})</text>')
    parts.append(f'<text x="12" y="{top + plot_h / 2}" text-anchor="middle" font-size="11" '
                 f'transform="rotate(-90 12 {top + plot_h / 2})">mentions per hour</text>')

    def path(hours, values) -> str:
        """A line through the hours' middles, broken where a value is unknown (nothing collected)."""
        drawn, pen = [], "M"
        for hour, value in zip(hours, values, strict=True):
            if pd.isna(value):
                pen = "M"
                continue
            drawn.append(f"{pen}{x(hour + pd.Timedelta(minutes=30)):.1f},{y(float(value)):.1f}")
            pen = "L"
        return " ".join(drawn)

    for side in SIDES:
        own = series[series["side"] == side]
        line = path(own["hour"], own["mentions"])
        if line:
            parts.append(f'<path class="series {side}" d="{line}" fill="none" stroke="{COLOURS[side]}" '
                         'stroke-width="2"/>')
    ours = series[series["side"] == "ours"]
    expected_line = path(ours["hour"], ours["expected_mentions"])
    if expected_line:
        parts.append(f'<path class="series expected" d="{expected_line}" fill="none" stroke="{COLOURS["expected"]}" '
                     'stroke-width="1.5" stroke-dasharray="5 4"/>')
    legend = [("ours", "our side", ""), ("opposing", "opposing side", "")]
    if expected_line:
        legend.append(("expected", "our side expected (same hours, 4 weeks before)", ' stroke-dasharray="5 4"'))
    offset = left
    for key, text, dash in legend:
        parts.append(f'<line x1="{offset}" x2="{offset + 18}" y1="12" y2="12" stroke="{COLOURS[key]}" '
                     f'stroke-width="2"{dash}/><text x="{offset + 22}" y="16" font-size="11">{h(text)}</text>')
        offset += 30 + 6.2 * len(text)
    parts.append("</svg>")
    return "".join(parts)


def windows_chart(report: Report, width: int = 720, height: int = 220) -> str:
    """Mentions an hour in each window, our side beside the opposing side: inline SVG bars."""
    left, right, top, bottom = 52, 16, 26, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    title = "Mentions an hour in each window"
    values = {}
    for name in WINDOWS:
        view = report.windows[name]
        values[name] = {side: (view.figures[side].mentions / view.shown.hours if view.figures else None)
                        for side in SIDES}
    peak = max([v for sides in values.values() for v in sides.values() if v is not None] + [1])
    ticks = _ticks(peak)
    ceiling = max(ticks[-1], peak)
    parts = [f'<svg class="chart" data-chart="windows" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
             f'role="img" aria-label="{h(title)}"><title>{h(title)}</title>']
    for tick in ticks:
        ty = top + plot_h * (1 - tick / ceiling)
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{ty:.1f}" y2="{ty:.1f}" stroke="#ccc" stroke-width="0.5"/>'
                     f'<text x="{left - 6}" y="{ty + 4:.1f}" text-anchor="end" font-size="10">{tick:,.1f}</text>')
    group = plot_w / len(WINDOWS)
    bar = group * 0.32
    for i, name in enumerate(WINDOWS):
        gx = left + group * i
        for j, side in enumerate(SIDES):
            value = values[name][side]
            bx = gx + group * 0.16 + j * bar
            if value is None:
                parts.append(f'<text x="{bx + bar / 2:.1f}" y="{top + plot_h - 4}" text-anchor="middle" font-size="9">'
                             f'{h(report.windows[name].state)}</text>')
                continue
            bh = plot_h * value / ceiling
            parts.append(f'<rect class="bar {side}" x="{bx:.1f}" y="{top + plot_h - bh:.1f}" width="{bar - 2:.1f}" '
                         f'height="{bh:.1f}" fill="{COLOURS[side]}"><title>{h(SIDE_LABELS[side])}: {value:,.1f} an hour'
                         f'</title></rect>')
        parts.append(f'<text x="{gx + group / 2:.1f}" y="{top + plot_h + 16}" text-anchor="middle" font-size="11">'
                     f'{h(report.windows[name].window.label)}</text>')
    parts.append(f'<rect x="{left}" y="6" width="12" height="10" fill="{COLOURS["ours"]}"/>'
                 f'<text x="{left + 16}" y="15" font-size="11">our side</text>'
                 f'<rect x="{left + 90}" y="6" width="12" height="10" fill="{COLOURS["opposing"]}"/>'
                 f'<text x="{left + 106}" y="15" font-size="11">opposing side</text>')
    parts.append(f'<text x="12" y="{top + plot_h / 2}" text-anchor="middle" font-size="11" '
                 f'transform="rotate(-90 12 {top + plot_h / 2})">mentions an hour</text></svg>')
    return "".join(parts)


# -- HTML ------------------------------------------------------------------------------------

STYLE = """
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1a1a1a; margin: 0; }
main { max-width: 178mm; margin: 0 auto; padding: 12px; font-size: 14px; line-height: 1.4; }
h1 { font-size: 22px; margin: 8px 0; } h2 { font-size: 17px; margin: 22px 0 8px; border-bottom: 1px solid #ddd; }
h3 { font-size: 14px; margin: 14px 0 6px; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; font-size: 12px; }
th, td { border: 1px solid #d0d0d0; padding: 3px 5px; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
th { background: #f3f3f3; }
.note { background: #fff7e0; border-left: 4px solid #e6a700; padding: 6px 10px; }
.caveat { color: #8a3b00; }
svg.chart { width: 100%; height: auto; display: block; margin: 6px 0 12px; font-family: inherit; }
a { color: #0b5cad; }
dl dt { font-weight: 600; margin-top: 6px; } dl dd { margin: 2px 0 0 0; white-space: pre-wrap; }
@page { margin: 14mm; }
@media print {
  main { max-width: none; padding: 0; font-size: 10pt; }
  h2 { break-after: avoid; } table, svg.chart, .keep { break-inside: avoid; }
  thead { display: table-header-group; } tr { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
"""
# No script may run and nothing may be fetched: the file is read offline and shown to others.
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def _html_table(rows: list[list[str]], link_column: int | None = None) -> str:
    if not rows:
        return ""
    head = "".join(f"<th>{h(c)}</th>" for c in rows[0])
    body = []
    for row in rows[1:]:
        cells = []
        for i, cell in enumerate(row):
            url = safe_url(cell) if i == link_column else None
            cells.append(f'<td><a href="{h(url)}" rel="noopener noreferrer">open</a></td>' if url
                         else f"<td>{h(cell)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _page(title: str, body: list[str]) -> str:
    return ("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{h(title)}</title><style>{STYLE}</style></head><body><main>\n"
            + "\n".join(body) + "\n</main></body></html>\n")


def html_report(report: Report) -> str:
    """The report as one self-contained HTML file: inline CSS and SVG, no script, prints on A4 and Letter."""
    body = [f"<h1>{h(title_of(report))}</h1>", "<p>" + "<br>".join(h(line) for line in intro_lines(report)) + "</p>"]
    if report.data_note:
        body.append(f'<p class="note">{h(report.data_note)}</p>')
    body += ["<h2>In short</h2>", "<ul>" + "".join(f"<li>{h(line)}</li>" for line in report.headline()) + "</ul>"]
    body += ["<h2>Windows</h2>", _html_table(windows_rows(report)), hourly_chart(report), windows_chart(report)]
    for side in SIDES:
        body += [f"<h2>Figures: {h(SIDE_LABELS[side])}</h2>", _html_table(figures_rows(report, side))]
    body += ["<h2>Both sides</h2>", _html_table(both_sides_rows(report))]
    body += ["<h2>During against the baseline</h2>", _html_table(comparison_rows(report)), "<ul>"
             + "".join(f"<li>{h(c.statement)}</li>" for c in report.comparisons
                       if c.metric in ("mentions", "unique_authors") or c.verdict not in ("chance", "no data", "untested"))
             + "".join(f"<li>{h(r.statement)}</li>" for r in report.recoveries.values()) + "</ul>",
             f"<p>{h(UPLIFT_DEFINITION)}</p>"]
    body += ["<h2>The plan beside the outcome</h2>",
             "<ul>" + "".join(f"<li>{h(line)}</li>" for line in plan_lines(report)) + "</ul>"]
    for heading, rows in (("Wordings used", variant_rows(report)), ("Needs", needs_rows(report)),
                          ("Demands updated in the windows", demand_rows(report))):
        if rows:
            body += [f"<h3>{h(heading)}</h3>", _html_table(rows)]
    body += ["<h2>Top posts</h2>", "<p>Original posts by engagement; text as posted. Posts scored as offensive "
             "language, or not scored, are left out.</p>"]
    for name in WINDOWS:
        for side in SIDES:
            rows = post_rows(report, f"{name}:{side}")
            if rows:
                body += [f"<h3>{h(report.windows[name].window.label)}, {h(SIDE_LABELS[side])}</h3>",
                         _html_table(rows, link_column=5)]
    body += ["<h2>New amplifiers</h2>", "<p>Authors whose first post in the campaign falls in the window, "
             "largest audience first.</p>"]
    for name in WINDOWS:
        for side in SIDES:
            rows = amplifier_rows(report, f"{name}:{side}")
            if rows:
                body += [f"<h3>{h(report.windows[name].window.label)}, {h(SIDE_LABELS[side])}</h3>", _html_table(rows)]
    body.append("<h2>Data caveats</h2>")
    if report.caveats:
        body.append("<ul>" + "".join(f'<li class="caveat">{MARK} {h(c.text())}</li>' for c in report.caveats) + "</ul>")
    else:
        body.append(f"<p>{h(report.data_note or 'None: every source collected in every window.')}</p>")
    body.append("<h2>Notes</h2>")
    if report.notes and not report.notes.empty:
        body.append('<dl class="keep">' + "".join(
            f"<dt>{h(question)}</dt><dd>{h(getattr(report.notes, name)) or '—'}</dd>"
            for name, question in NOTE_QUESTIONS) + "</dl>")
    else:
        body.append("<p>No notes yet: add them on the dashboard's Reports page.</p>")
    return _page(title_of(report), body)


def csv_report(report: Report) -> str:
    """The hourly series behind the report: one row per hour and side, times in UTC."""
    return csv_text(report.series)


def render(report: Report, fmt: str) -> str:
    if fmt == "html":
        return html_report(report)
    if fmt == "md":
        return markdown(report)
    if fmt == "csv":
        return csv_report(report)
    raise ValueError(f"unknown report format '{fmt}' (one of: {', '.join(FORMATS)})")


# -- the campaign to date --------------------------------------------------------------------

def campaign_rows(report: CampaignReport) -> list[list[str]]:
    rows = [["kind", "title", "window", "our mentions an hour, baseline → during", "change", "chance",
             "expected an hour from the 4 weeks before (95% range)", "verdict", "goal / done"]]
    for one in report.reports:
        c = one.comparison("mentions", "ours")
        if one.subject.kind == "event":
            goal = f"{count(one.plan.signed_up)} signed up of {count(one.plan.capacity)}"
        elif one.plan.goal_count:
            goal = f"{count(one.plan.goal_count)} / {count(one.plan.completion)}"
        else:
            goal = count(one.plan.completion)
        rows.append([one.subject.noun, one.subject.title,
                     f"{local(one.subject.starts, report.tz)} – {local(one.subject.ends, report.tz)}",
                     f"{rate(c.baseline)} → {rate(c.during)}", change_text(c),
                     format_p(c.p_value), pattern_text(c),
                     VERDICT_WORDS[c.verdict] + (f" {MARK}" if one.caveats else ""), goal])
    return rows


def goal_lines(report: CampaignReport) -> list[str]:
    campaign, totals = report.campaign, report.totals
    if totals is None:
        return ["The campaign has not started yet."]
    lines = []
    for label, value, goal in (("Our mentions", totals.mentions, campaign.goal_mentions),
                               ("Our potential reach", totals.potential_reach, campaign.goal_reach)):
        if goal:
            lines.append(f"{label} since the campaign started: {count(value)} of {goal:,} ({(value or 0) / goal:.0%}).")
        else:
            lines.append(f"{label} since the campaign started: {count(value)} (no goal set).")
    return lines


def ledger_rows(report: CampaignReport) -> list[list[str]]:
    if report.demands.empty:
        return []
    rows = [["demand", "decision maker", "status", "due", "last update", "updates"]]
    for d in report.demands.itertuples():
        rows.append([d.text, d.decision_maker or "", DEMAND_LABELS.get(d.status, d.status),
                     local(d.due_at, report.tz) if isinstance(d.due_at, str) and d.due_at else "",
                     local(d.last_update, report.tz) if isinstance(d.last_update, str) else "", count(d.updates)])
    return rows


def update_rows(report: CampaignReport) -> list[list[str]]:
    if report.demand_updates.empty:
        return []
    texts = dict(zip(report.demands["id"], report.demands["text"], strict=True))
    rows = [["when", "demand", "status", "note", "source"]]
    for u in report.demand_updates.sort_values("at").itertuples():
        rows.append([local(u.at, report.tz), texts.get(u.demand_id, ""), DEMAND_LABELS.get(u.status, u.status),
                     u.note or "", u.source_url or ""])
    return rows


def campaign_markdown(report: CampaignReport) -> str:
    parts = [f"# {md('Campaign to date: ' + report.campaign.name)}", "",
             md(f"Times in {report.tz}. Generated {local(report.generated_at, report.tz)}."), ""]
    if report.campaign.is_demo:
        parts += [f"> {md('Demo data: generated by groundswell demo load, not collected.')}", ""]
    parts += ["## Goals", ""] + [f"- {md(line)}" for line in goal_lines(report)] + [""]
    parts += ["## Calls to action and events", ""]
    parts += [_md_table(campaign_rows(report)) if report.reports else "None has begun yet.\n"]
    if report.not_begun:
        parts += ["Still to come: " + "; ".join(md(f"{s.title} ({local(s.starts, report.tz)})")
                                                 for s in report.not_begun), ""]
    parts += [md(UPLIFT_DEFINITION), ""]
    parts += ["## Demands", "", _md_table(ledger_rows(report)) or "No demands recorded.\n"]
    if not report.demand_updates.empty:
        parts += ["### Updates", "", _md_table(update_rows(report), link_column=4)]
    return "\n".join(parts).rstrip() + "\n"


def campaign_html(report: CampaignReport) -> str:
    title = f"Campaign to date: {report.campaign.name}"
    body = [f"<h1>{h(title)}</h1>", f"<p>Times in {h(report.tz)}. Generated {h(local(report.generated_at, report.tz))}.</p>"]
    if report.campaign.is_demo:
        body.append('<p class="note">Demo data: generated by groundswell demo load, not collected.</p>')
    body += ["<h2>Goals</h2>", "<ul>" + "".join(f"<li>{h(line)}</li>" for line in goal_lines(report)) + "</ul>"]
    body += ["<h2>Calls to action and events</h2>",
             _html_table(campaign_rows(report)) if report.reports else "<p>None has begun yet.</p>"]
    if report.not_begun:
        body.append("<p>Still to come: " + "; ".join(h(f"{s.title} ({local(s.starts, report.tz)})")
                                                      for s in report.not_begun) + "</p>")
    body += [f"<p>{h(UPLIFT_DEFINITION)}</p>", "<h2>Demands</h2>",
             _html_table(ledger_rows(report)) or "<p>No demands recorded.</p>"]
    if not report.demand_updates.empty:
        body += ["<h3>Updates</h3>", _html_table(update_rows(report), link_column=4)]
    return _page(title, body)


def campaign_csv(report: CampaignReport) -> str:
    """One row per call to action or event with its uplift on our side, times in UTC."""
    return csv_text(report.rows())


def render_campaign(report: CampaignReport, fmt: str) -> str:
    if fmt == "html":
        return campaign_html(report)
    if fmt == "md":
        return campaign_markdown(report)
    if fmt == "csv":
        return campaign_csv(report)
    raise ValueError(f"unknown report format '{fmt}' (one of: {', '.join(FORMATS)})")
