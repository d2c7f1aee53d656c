"""Post-action reports on databases built so the answer is known: uplift and its chance, the weekly
pattern, collection caveats, overlaps, recovery, the plan beside the outcome, notes and drafts."""

from __future__ import annotations

import shutil
from datetime import timedelta

import numpy as np
import pytest
from report_builders import add_action, add_posts, add_runs, make_campaign, utc
from scipy import stats

from campaigns import planner, reports
from campaigns.errors import ValidationError
from campaigns.store import Store

NOW = utc(2026, 3, 10)
DATA_FROM, DATA_TO = utc(2026, 1, 26), utc(2026, 3, 8)


@pytest.fixture(scope="module")
def uplift_db(tmp_path_factory):
    """10 posts an hour on our side, 2 on theirs, for six weeks; 30 an hour during Friday 6 March 12:00-14:00.

    The burst action is on that Friday; the flat action on Tuesday 3 March 12:00-14:00 has nothing but
    the usual 10 an hour.
    """
    path = tmp_path_factory.mktemp("uplift") / "uplift.db"
    burst = (utc(2026, 3, 6, 12), utc(2026, 3, 6, 14))
    with Store.open(path) as store:
        campaign = make_campaign(store)
        add_posts(store, campaign, DATA_FROM, DATA_TO, lambda hour: 30 if burst[0] <= hour < burst[1] else 10)
        add_posts(store, campaign, DATA_FROM, DATA_TO, 2, side="opposing", prefix="o", sentiment=-0.5)
        add_action(store, campaign, "Friday burst", *burst, goal_count=50,
                   variants=["Thank you to everyone who keeps this going"])
        add_action(store, campaign, "Tuesday flat", utc(2026, 3, 3, 12), utc(2026, 3, 3, 14))
    return path


def report_of(path, title: str, now=NOW) -> reports.Report:
    with Store.open(path) as store:
        return store.reports.report(store.reports.find(title), now)


def test_a_tripled_rate_is_an_uplift_of_200_percent_that_is_not_chance(uplift_db):
    report = report_of(uplift_db, "Friday burst")
    mentions = report.comparison("mentions", "ours")
    # Baseline: 20 posts in the two hours before and 20 in the same hours a week earlier; 60 during.
    assert (mentions.baseline_count, mentions.baseline_hours) == (40, 4)
    assert (mentions.during_count, mentions.during_hours) == (60, 2)
    assert mentions.baseline == 10 and mentions.during == 30
    assert mentions.change == pytest.approx(2.0)
    assert mentions.p_value < 0.001
    assert mentions.p_value == pytest.approx(stats.binomtest(60, 100, 2 / 6).pvalue)
    # The four Fridays before brought 20 each in those hours: 60 is far above that range.
    assert mentions.weeks_used == 4 and mentions.expected == 20
    assert mentions.expected_high < 60
    assert mentions.verdict == "credited" and mentions.credited
    assert "+200%" in mentions.statement and "Very unlikely to be chance (p < 0.001)" in mentions.statement
    # The opposing side did not move.
    assert report.comparison("mentions", "opposing").verdict == "chance"
    # The rate is back at 10 an hour straight after.
    assert report.recoveries["ours"].hours == 0
    assert report.windows["during"].figures["ours"].mentions == 60


def test_a_flat_series_is_indistinguishable_from_chance(uplift_db):
    report = report_of(uplift_db, "Tuesday flat")
    mentions = report.comparison("mentions", "ours")
    assert mentions.change == 0 and mentions.p_value == pytest.approx(1.0)
    assert mentions.verdict == "chance" and not mentions.credited
    assert mentions.statement.endswith("stayed at 10.0 an hour: no change.")
    assert all(not c.credited for c in report.comparisons)
    assert "nothing to recover from" in report.recoveries["ours"].statement


def test_the_rate_test_is_wrong_about_one_time_in_twenty_on_equal_rates():
    """Calibration: with equal true rates, the test says 'not chance' about 5% of the time, not more."""
    rng = np.random.default_rng(12)
    wrong = sum(reports.poisson_rate_test(int(rng.poisson(20)), 2, int(rng.poisson(40)), 4) < reports.SIGNIFICANCE
                for _ in range(2000))
    assert wrong / 2000 < 0.06


def test_a_spike_that_recurs_every_friday_is_not_credited_to_a_friday_action(tmp_path):
    path = tmp_path / "fridays.db"
    with Store.open(path) as store:
        campaign = make_campaign(store, "fridays")
        # Every Friday 18:00-20:00 brings 60 an hour; the rest of the week 10.
        add_posts(store, campaign, DATA_FROM, DATA_TO,
                  lambda hour: 60 if hour.weekday() == 4 and 18 <= hour.hour < 20 else 10)
        add_action(store, campaign, "Friday evening push", utc(2026, 3, 6, 18), utc(2026, 3, 6, 20))
        report = store.reports.report(store.reports.find("Friday evening push"), NOW)
    mentions = report.comparison("mentions", "ours")
    # Against the two hours before (10 an hour) and last Friday (60), the push looks like a rise...
    assert mentions.during == 60 and mentions.baseline == 35
    assert mentions.p_value < 0.001
    # ...but the same hours of the four Fridays before brought 120 each, and so did this one.
    assert mentions.weeks_used == 4 and mentions.expected == 120
    assert mentions.expected_low <= 120 <= mentions.expected_high
    assert mentions.verdict == "pattern" and not mentions.credited
    assert "weekly pattern explains it" in mentions.statement


def test_a_failed_collection_run_marks_the_window_and_a_window_without_collection_is_no_data(tmp_path):
    path = tmp_path / "collected.db"
    action = (utc(2026, 3, 6, 12), utc(2026, 3, 6, 14))
    gap = (utc(2026, 3, 6, 14), utc(2026, 3, 6, 17))  # no source ran: the after-window was not collected
    with Store.open(path) as store:
        campaign = make_campaign(store, "collected")
        add_posts(store, campaign, utc(2026, 2, 1), DATA_TO, 10)
        add_runs(store, campaign, "x", utc(2026, 2, 1), DATA_TO,
                 status_at=lambda at: None if gap[0] <= at < gap[1] else "ok")
        add_runs(store, campaign, "mastodon", utc(2026, 2, 1), DATA_TO,
                 status_at=lambda at: None if gap[0] <= at < gap[1] else "error" if action[0] <= at < action[1] else "ok")
        add_action(store, campaign, "Collected action", *action)
        report = store.reports.report(store.reports.find("Collected action"), NOW)
    during = report.windows["during"]
    assert during.state == "complete" and during.has_data  # x collected it
    failed = [c for c in during.caveats if c.source == "mastodon"]
    assert len(failed) == 1 and failed[0].problem == "failed" and failed[0].hours == 2
    assert "HTTP 503" in failed[0].text() and "mastodon" in failed[0].touches
    assert report.comparison("mentions", "ours").marked
    assert "Collection was incomplete" in report.comparison("mentions", "ours").statement
    after = report.windows["after"]
    assert after.state == "no data" and after.figures is None
    assert any(c.source == "all sources" and "no data, not zero" in c.problem for c in after.caveats)
    assert report.recoveries["ours"].hours is None and "no data" in report.recoveries["ours"].statement
    from campaigns import report_files

    text = report_files.markdown(report)
    assert "During †" in text and "mastodon failed (HTTP 503 Service Unavailable from the instance)" in text
    # The after column says "no data" where a figure would be, never 0.
    mentions_row = next(line for line in text.splitlines() if line.startswith("| Mentions (original"))
    assert mentions_row.rstrip(" |").endswith("no data")
    assert report.data_note is None
    # The series (CSV and chart) leaves the hours nothing collected empty, not 0.
    series = report.series[report.series["side"] == "ours"].set_index("hour")["mentions"]
    assert series.loc["2026-03-06T13:00:00Z"] == 10 and series.loc["2026-03-06T14:00:00Z":].isna().all()
    assert ",after,ours,,,," in report_files.csv_report(report)


def test_imported_and_demo_data_count_as_collected_and_say_so(uplift_db):
    report = report_of(uplift_db, "Friday burst")
    assert report.caveats == [] and report.data_note == reports.IMPORTED_NOTE
    coverage = reports.Coverage(report.series.iloc[:0], is_demo=True, ever_collected=False,
                                first_data_hour="2026-01-26T00:00:00Z")
    assert coverage.note == reports.DEMO_NOTE
    window = reports.Window("before", utc(2026, 1, 25), utc(2026, 1, 25, 2))
    assert coverage.check(window) == (False, [])  # before the first stored post: no data, not zero


def test_overlapping_actions_are_flagged_and_neither_is_credited_alone(tmp_path):
    path = tmp_path / "overlap.db"
    with Store.open(path) as store:
        campaign = make_campaign(store, "overlap")
        add_posts(store, campaign, DATA_FROM, DATA_TO,
                  lambda hour: 30 if utc(2026, 3, 6, 12) <= hour < utc(2026, 3, 6, 18) else 10)
        add_action(store, campaign, "Morning wave", utc(2026, 3, 6, 12), utc(2026, 3, 6, 16))
        add_action(store, campaign, "Afternoon wave", utc(2026, 3, 6, 14), utc(2026, 3, 6, 18))
        event = store.plan.save_event(planner.Event(campaign.id, "Stall", iso(2026, 3, 4, 12), iso(2026, 3, 4, 15),
                                                        capacity=20, status="scheduled"))
        add_action(store, campaign, "Come to the stall", utc(2026, 3, 4, 12), utc(2026, 3, 4, 15), kind="attend",
                   event_id=event.id)
        morning = store.reports.report(store.reports.find("Morning wave"), NOW)
        afternoon = store.reports.report(store.reports.find("Afternoon wave"), NOW)
        stall = store.reports.report(store.reports.find("event:1"), NOW)
    assert [o.title for o in morning.overlaps] == ["Afternoon wave"]
    assert [o.title for o in afternoon.overlaps] == ["Morning wave"]
    for report, other in ((morning, "Afternoon wave"), (afternoon, "Morning wave")):
        mentions = report.comparison("mentions", "ours")
        assert mentions.p_value < 0.001 and mentions.verdict == "overlap" and not mentions.credited
        assert f"'{other}' ran at the same time" in mentions.statement
        assert any("Overlapping work" in line for line in report.headline())
    # The morning wave is in the afternoon's baseline too; it is named once, as overlapping.
    assert afternoon.in_baseline == []
    # An event and its own call to attend are one piece of work.
    assert stall.overlaps == []
    # The morning wave's after-window is the afternoon's burst: back to 10 an hour at 18:00, 2 hours on.
    assert morning.recoveries["ours"].hours == 2


def iso(*parts) -> str:
    return utc(*parts).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_the_plan_beside_the_outcome(tmp_path):
    path = tmp_path / "plan.db"
    start, end = utc(2026, 3, 6, 12), utc(2026, 3, 6, 14)
    wordings = {0: "Libraries are warm, free and open to everyone", 1: "Keep every branch open"}
    with Store.open(path) as store:
        campaign = make_campaign(store, "plan")
        add_posts(store, campaign, utc(2026, 3, 5), utc(2026, 3, 7), 3)
        add_posts(store, campaign, start, end, 6, prefix="v",
                  text=lambda n: f"{wordings[n % 3]}! #Ours" if n % 3 in wordings else f"Something else {n} #Ours")
        action = add_action(store, campaign, "Wordings", start, end, message=wordings[0], variants=[wordings[1]],
                            goal_count=10)
        people = [store.plan.save_volunteer(planner.Volunteer(name)) for name in ("Ana", "Ben", "Cy")]
        ids = [store.plan.assign(p.id, action_id=action.id, status="accepted").id for p in people]
        store.plan.set_assignment_status(ids[0], "done")
        store.plan.set_assignment_status(ids[1], "no_show")
        event = store.plan.save_event(planner.Event(
            campaign.id, "Read-in", iso(2026, 3, 6, 15), iso(2026, 3, 6, 17), capacity=40, status="scheduled",
            needs=[planner.parse_need("bring water: 50/30/20")]))
        store.plan.assign(people[2].id, event_id=event.id, role="steward", status="accepted")
        demand = store.plan.save_demand(planner.Demand(campaign.id, "Keep all branches open", "Council"),
                                     raised_at=iso(2026, 2, 1))
        store.plan.add_demand_update(demand.id, status="promised", note="Promised at the read-in",
                                  at=iso(2026, 3, 6, 13))
        action_report = store.reports.report(store.reports.find("Wordings"), NOW)
        event_report = store.reports.report(store.reports.find(f"event:{event.id}"), NOW)
    plan = action_report.plan
    # 12 posts in the window carry #Ours: 6 of the burst and 3 an hour besides.
    assert plan.goal_count == 10 and plan.completion == 18
    assert plan.assignments == {"accepted": 1, "done": 1, "no_show": 1}
    assert dict(action_report.variants) == {wordings[0]: 4, wordings[1]: 4}
    assert action_report.unmatched_posts == 10
    updates = action_report.demand_updates
    assert list(updates["status"]) == ["promised"] and list(updates["window"]) == ["during"]
    assert event_report.plan.capacity == 40 and event_report.plan.signed_up == 1
    assert event_report.plan.needs == (reports.Need("bring water", 50, 30, 20),)


def test_new_amplifiers_are_authors_first_seen_in_the_window(tmp_path):
    path = tmp_path / "amplifiers.db"
    with Store.open(path) as store:
        campaign = make_campaign(store, "amplifiers")
        add_posts(store, campaign, utc(2026, 3, 1), utc(2026, 3, 8), 2, authors=5)
        add_posts(store, campaign, utc(2026, 3, 6, 12), utc(2026, 3, 6, 14), 3, prefix="n",
                  author=lambda n: f"newcomer_{n}", followers=5000)
        add_action(store, campaign, "Newcomers", utc(2026, 3, 6, 12), utc(2026, 3, 6, 14))
        report = store.reports.report(store.reports.find("Newcomers"), NOW)
    assert report.new_authors["during:ours"] == 6
    assert report.new_authors["before:ours"] == 0 and report.new_authors["after:ours"] == 0
    top = report.new_amplifiers["during:ours"]
    assert len(top) == reports.NEW_AMPLIFIERS and set(top["followers"]) == {5000}
    assert all(a.startswith("newcomer_") for a in top["author_key"])


def test_an_action_still_under_way_is_reported_to_now_and_one_not_begun_is_refused(uplift_db):
    during = utc(2026, 3, 6, 13)
    report = report_of(uplift_db, "Friday burst", now=during)
    assert report.windows["during"].state == "in progress"
    assert report.windows["during"].shown.hours == 1 and report.windows["after"].state == "not yet"
    assert report.comparison("mentions").during == 30 and not report.ready
    with Store.open(uplift_db) as store, pytest.raises(ValidationError, match="no windows to report on yet"):
        store.reports.report(store.reports.find("Friday burst"), utc(2026, 3, 6, 11))


def test_a_week_earlier_is_the_same_local_hours_across_a_clock_change():
    # London moves to summer time on 29 March 2026: 18:00 local is 17:00 UTC after, 18:00 UTC before.
    assert reports.weeks_before(utc(2026, 3, 31, 17), 1, "Europe/London") == utc(2026, 3, 24, 18)
    subject = reports.Subject("action", 1, 1, "x", "2026-03-31T17:00:00Z", "2026-03-31T19:00:00Z")
    windows = subject.windows("Europe/London")
    assert windows["week_before"].start == utc(2026, 3, 24, 18) and windows["week_before"].hours == 2


def test_expected_range_spreads_at_least_as_much_as_poisson():
    expected, low, high = reports.expected_range([20, 20, 20, 20])
    assert expected == 20
    assert (low, high) == pytest.approx((20 - 1.96 * (20 * 1.25) ** 0.5, 20 + 1.96 * (20 * 1.25) ** 0.5), abs=0.01)
    _, wide_low, wide_high = reports.expected_range([5, 35, 10, 30])
    assert wide_high - wide_low > high - low
    assert reports.expected_range([]) is None


def test_notes_are_saved_with_the_report_and_drafts_follow_the_after_window(uplift_db, tmp_path):
    path = tmp_path / "copy.db"
    shutil.copy(uplift_db, path)
    from collectors.report_job import draft_due

    with Store.open(path) as store:
        subject = store.reports.find("Friday burst")
        assert store.reports.notes(subject) is None
        status = store.reports.status(subject.campaign_id, NOW).set_index("key")
        assert status.loc["action:1", "state"] == "ready" and not status.loc["action:1", "has_notes"]
        # Before the Friday's after-window closes nothing is due; then both actions are.
        assert [s.key for s in store.reports.due(utc(2026, 3, 6, 15))] == ["action:2"]
        lines = draft_due(store, NOW)
        assert len(lines) == 2 and all("drafted" in line for line in lines)
        assert draft_due(store, NOW) == []  # drafted once
        draft = store.reports.draft(subject)
        assert draft["comparisons"][0]["metric"] == "mentions" and draft["comparisons"][0]["verdict"] == "credited"
        saved = store.reports.save_notes(subject, reports.Notes(planned="Triple the posts", happened="Tripled",
                                                                keep="The Friday slot"))
        assert saved.planned == "Triple the posts" and saved.updated_at
        assert store.reports.draft(subject) == draft  # notes do not touch the figures
        assert store.reports.report(subject, NOW).notes.keep == "The Friday slot"
        assert store.reports.status(subject.campaign_id, NOW).set_index("key").loc["action:1", "has_notes"]
        store.reports.save_notes(subject, reports.Notes(planned="Triple the posts, twice"))
        assert store.reports.notes(subject).happened == "" and store.count("reports") == 2


def test_the_scheduler_drafts_reports_under_a_stable_id(settings, store):
    from apscheduler.schedulers.background import BackgroundScheduler

    from collectors import report_job, scheduler

    built, _, _ = scheduler.build(settings, store, BackgroundScheduler)
    job = built.get_job(report_job.JOB_ID)
    assert job is not None and job.func_ref == "collectors.report_job:run_job"
    assert job.trigger.interval == timedelta(seconds=report_job.INTERVAL_SECONDS)


def test_finding_a_subject_by_what_a_user_types(uplift_db):
    with Store.open(uplift_db) as store:
        assert store.reports.find("action:2").title == "Tuesday flat"
        assert store.reports.find("friday BURST").key == "action:1"
        assert store.reports.find("1").key == "action:1"
        with pytest.raises(ValidationError, match="no call to action or event 'Nothing'"):
            store.reports.find("Nothing")
        with pytest.raises(ValidationError, match="no event with id 7"):
            store.reports.find("event:7")


def test_an_earlier_actions_burst_is_not_taken_for_the_usual_weekly_pattern(tmp_path):
    path = tmp_path / "earlier.db"
    earlier, now = (utc(2026, 2, 20, 12), utc(2026, 2, 20, 14)), (utc(2026, 3, 6, 12), utc(2026, 3, 6, 14))
    with Store.open(path) as store:
        campaign = make_campaign(store, "earlier")
        add_posts(store, campaign, DATA_FROM, DATA_TO, lambda hour: 60 if earlier[0] <= hour < earlier[1]
                  else 30 if now[0] <= hour < now[1] else 10)
        add_action(store, campaign, "Two Fridays ago", *earlier)
        add_action(store, campaign, "This Friday", *now)
        report = store.reports.report(store.reports.find("This Friday"), NOW)
    mentions = report.comparison("mentions", "ours")
    # The Friday two weeks before held another action's burst: left out, the other three weeks say 20.
    assert mentions.weeks_used == 3 and mentions.expected == 20
    assert mentions.verdict == "credited"
    assert "in 3 of the previous 4 weeks (the others had no data or other work)" in mentions.statement
