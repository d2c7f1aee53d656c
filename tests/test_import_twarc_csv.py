"""twarc-csv's CSV of X pages imports as the pages themselves do, figure by figure."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner

from campaigns import metrics
from campaigns.model import Campaign, Tracker
from campaigns.settings import Settings
from campaigns.store import Store
from collectors.importers import import_file
from groundswell.cli import cli

ROW_FIELDS = ("created_at", "text", "url", "author_key", "author_followers", "lang", "is_repost", "reposted_uid",
              "reply_to_uid", "likes", "reposts", "replies", "quotes", "impressions", "engagement")
FIGURES = ("posts", "originals", "reposts", "unique authors", "engagement", "potential reach",
           "authors with followers", "hashtags recorded")


def imported(folder: Path, path: Path, tag: str) -> tuple[dict, dict, object]:
    """Import one file into a fresh database with a campaign on `tag`: its figures, its rows."""
    db = folder / f"{path.name}.db"
    with Store.open(db) as store:
        campaign = store.save_campaign(Campaign(slug="c", name="c", starts_at="2021-09-01",
                                                trackers=[Tracker("hashtag", tag, "ours")]))
        result = import_file(store, path, "x", settings=Settings(db_path=db))
        conn = store.db.conn
        kpis = store.reads.kpis(metrics.Filters(campaign.id, "2021-01-01T00:00:00Z", "2022-01-01T00:00:00Z"))
        figures = {
            "posts": kpis.mentions, "originals": kpis.originals, "reposts": kpis.reposts,
            "unique authors": kpis.unique_authors, "engagement": kpis.engagement,
            "potential reach": kpis.potential_reach,
            "authors with followers": conn.execute(
                "SELECT count(DISTINCT author_key) FROM mentions WHERE author_followers IS NOT NULL").fetchone()[0],
            "hashtags recorded": conn.execute("SELECT count(*) FROM mention_hashtags").fetchone()[0],
        }
        names = [d[0] for d in conn.execute("SELECT * FROM mentions LIMIT 0").description]
        rows = {row[0]: dict(zip(names, row, strict=True)) for row in conn.execute("SELECT * FROM mentions")}
    return figures, rows, result.report


def followers_in_rows(path: Path) -> dict[str, int]:
    """The follower counts twarc-csv's CSV holds: one per author of a row."""
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["author.username"].lower(): int(row["author.public_metrics.followers_count"])
                for row in csv.DictReader(handle)}


@pytest.mark.realworld
@pytest.mark.parametrize("name", ["brexit", "kpop"])
def test_twarc_csv_and_its_json_give_the_same_posts_reposts_authors_and_engagement(realworld, tmp_path, name):
    folder = realworld / "twarc-csv"
    from_json, json_rows, _ = imported(tmp_path, folder / f"{name}.jsonl", name)
    from_csv, csv_rows, report = imported(tmp_path, folder / f"{name}.csv", name)
    assert set(csv_rows) == set(json_rows)
    assert report.skipped == 0 and report.unknown_columns == []
    for figure in ("posts", "originals", "reposts", "unique authors", "engagement", "hashtags recorded"):
        assert from_csv[figure] == from_json[figure], figure
    assert from_json["reposts"] == {"brexit": 67, "kpop": 78}[name]
    # Row by row: the CSV's text (literal \n, HTML entities) reads as the JSON's, a retweet's
    # original is stored from its row, with the time its id holds.
    known = followers_in_rows(folder / f"{name}.csv")
    with (folder / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        row_uids = {f"x:{row['id']}" for row in csv.DictReader(handle)}
    for uid, row in json_rows.items():
        for column in ROW_FIELDS:
            expected = row[column]
            if column == "author_followers" and row["author_key"] not in known:
                expected = None  # twarc-csv writes followers only for the authors of its rows
            if column == "reply_to_uid" and uid not in row_uids:
                expected = None  # a retweeted original's own reply is not in its retweet's row
            assert csv_rows[uid][column] == expected, (uid, column)
    # Reach differs by exactly the audiences twarc-csv leaves out.
    left_out = {row["author_key"]: row["author_followers"] for row in json_rows.values()
                if row["author_key"] not in known}
    assert from_json["potential reach"] - from_csv["potential reach"] == sum(left_out.values())
    assert any("potential reach leaves them out" in note for note in report.notes) == bool(left_out)


@pytest.mark.realworld
def test_the_import_summary_says_what_twarc_csv_leaves_out(realworld, store, db_path):
    result = CliRunner().invoke(cli, ["import", str(realworld / "twarc-csv" / "brexit.csv"), "--format", "twarc"])
    assert result.exit_code == 0, result.output
    assert "imported 135 post(s)" in result.output
    assert "note: 34 of the 39 retweeted original(s) are by authors who wrote no row" in result.output


def test_a_twarc_csv_row_reads_dotted_columns_breaks_and_entities(tmp_path, db_path):
    path = tmp_path / "tweets.csv"
    columns = ["id", "created_at", "text", "lang", "author_id", "author.username",
               "author.public_metrics.followers_count", "referenced_tweets.retweeted.id", "retweeted_user_id",
               "retweeted_username", "referenced_tweets.replied_to.id", "public_metrics.like_count",
               "public_metrics.retweet_count", "public_metrics.reply_count", "public_metrics.quote_count",
               "public_metrics.impression_count", "entities.hashtags", "entities.mentions", "__twarc.version"]
    rows = [
        ["1440716848299872269", "2021-09-22T16:37:18.000Z", "Billions in Debt &amp; AT&amp;T\\nOh #Brexit", "en",
         "4872115930", "didithitthespot", "347", "", "", "", "1440621713281093641", "3", "1", "0", "0", "",
         '["#Brexit"]', '["@ana"]', "2.5.0"],
        ["1440716856763977732", "2021-09-22T16:37:20.000Z", "The original's full text #Brexit #BorisTheLiar", "en",
         "4100727022", "jacquip537", "2485", "1440713161355583489", "711945679", "carolJhedges", "", "20", "22",
         "1", "0", "", '["#Brexit", "#BorisTheLiar"]', "", "2.5.0"],
    ]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns + ["my_own_column"])
        writer.writerows(row + ["x"] for row in rows)
    with Store.open(db_path) as store:
        result = import_file(store, path, "twarc", settings=Settings(db_path=db_path))
        post = store.mention("x:1440716848299872269")
        retweet = store.mention("x:1440716856763977732")
        original = store.mention("x:1440713161355583489")
    assert result.report.unknown_columns == ["my_own_column"]
    assert post["text"] == "Billions in Debt & AT&T\nOh #Brexit"
    assert (post["author_key"], post["author_followers"], post["reply_to_uid"]) == (
        "didithitthespot", 347, "x:1440621713281093641")
    assert (post["likes"], post["reposts"], post["replies"], post["quotes"], post["impressions"]) == (3, 1, 0, 0, None)
    assert post["url"] == "https://x.com/didithitthespot/status/1440716848299872269"
    assert (retweet["is_repost"], retweet["reposted_uid"], retweet["engagement"]) == (1, "x:1440713161355583489", 0)
    assert retweet["text"] == "RT @carolJhedges: The original's full text #Brexit #BorisTheLiar"
    # The original, from the retweet's row: its time is the one its id holds (X's page says 16:22:39).
    assert (original["created_at"], original["author_key"], original["likes"], original["engagement"]) == (
        "2021-09-22T16:22:39Z", "caroljhedges", 20, 20 + 22 + 1 + 0)
    assert original["author_followers"] is None


def test_a_csv_that_is_not_twarc_csv_is_refused_in_one_line(tmp_path, store, db_path):
    path = tmp_path / "other.csv"
    path.write_text("tweet_id,when,words\n1,2021-09-22,hello\n")
    result = CliRunner().invoke(cli, ["import", str(path), "--format", "twarc"])
    assert result.exit_code == 1
    assert "neither X API pages nor twarc-csv's CSV (the header lacks id, created_at, text)" in result.output


def figures_table(realworld: Path, folder: Path) -> str:
    """The comparison as a Markdown table, for the report: `python tests/test_import_twarc_csv.py`."""
    lines = ["| figure | " + " | ".join(f"{n}.jsonl | {n}.csv" for n in ("brexit", "kpop")) + " |",
             "|---|" + "---:|" * 4]
    results = {}
    for name in ("brexit", "kpop"):
        for suffix in ("jsonl", "csv"):
            results[name, suffix] = imported(folder, realworld / "twarc-csv" / f"{name}.{suffix}", name)[0]
    for figure in FIGURES:
        cells = [f"{results[n, s][figure]:,}" for n in ("brexit", "kpop") for s in ("jsonl", "csv")]
        lines.append(f"| {figure} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    import tempfile

    from conftest import REALWORLD

    print(figures_table(REALWORLD, Path(tempfile.mkdtemp())))
