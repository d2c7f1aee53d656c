"""enrich_stream: batches scored ahead in worker processes come back in order, scored as enrich scores them."""

from __future__ import annotations

from campaigns.model import Mention
from campaigns.settings import Settings
from collectors.enrich import enrich, enrich_stream


def _batches(count: int, size: int) -> list[list[Mention]]:
    texts = ["What a wonderful, kind crowd today", "This is awful and I hate it", "The meeting is at 6",
             "You are an idiot", "Proud of everyone who came along!"]
    made = [Mention(platform="x", native_id=str(n), created_at="2026-11-01T10:00:00Z",
                    text=f"{texts[n % len(texts)]} #{n}", lang="en") for n in range(count)]
    return [made[i:i + size] for i in range(0, count, size)]


def test_stream_over_two_workers_matches_enrich_in_order(tmp_path):
    settings = Settings(db_path=tmp_path / "x.db")
    expected = [m for batch in _batches(60, 7) for m in enrich(batch, settings, workers=1)]
    streamed = [m for batch in enrich_stream(_batches(60, 7), settings, workers=2) for m in batch]
    assert [m.native_id for m in streamed] == [str(n) for n in range(60)]
    assert [(m.sentiment, m.abuse) for m in streamed] == [(m.sentiment, m.abuse) for m in expected]
    assert streamed[1].sentiment < 0 < streamed[0].sentiment


def test_stream_keeps_scores_a_mention_already_has_and_pseudonymises(tmp_path, monkeypatch):
    monkeypatch.setenv("GROUNDSWELL_PSEUDONYM_KEY", "k")
    settings = Settings(db_path=tmp_path / "x.db", pseudonymize=True)
    batch = _batches(3, 3)[0]
    batch[0].sentiment, batch[0].abuse = 0.5, 0.25
    batch[1].author_key = "someone"
    for workers in (1, 2):
        copy = [Mention(**{**m.__dict__}) for m in batch]
        (done,) = list(enrich_stream([copy], settings, workers=workers))
        assert (done[0].sentiment, done[0].abuse) == (0.5, 0.25)
        assert done[1].author_key.startswith("anon-") and done[1].author_handle == "someone"
        assert done[2].sentiment is not None


def test_enrich_splits_a_batch_over_workers_with_the_same_scores(tmp_path):
    from collectors.enrich import POOL_MIN_TEXTS

    settings = Settings(db_path=tmp_path / "x.db")
    (batch,) = _batches(POOL_MIN_TEXTS + 1, POOL_MIN_TEXTS + 1)
    alone = [(m.sentiment, m.abuse) for m in enrich([Mention(**m.__dict__) for m in batch], settings, workers=1)]
    split = [(m.sentiment, m.abuse) for m in enrich(batch, settings, workers=2)]
    assert split == alone and len(split) == POOL_MIN_TEXTS + 1


def _x_file(path, count: int, cut: bool = False):
    from datetime import UTC, datetime

    from bench.texts import write_jsonl, x_pages

    texts = [f"Online abuse is never ok, post {n} #AntiSocialMedia" for n in range(count)]
    write_jsonl(x_pages(texts, first_id=10**18, until=datetime(2026, 11, 20, tzinfo=UTC), per_page=10), path)
    if cut:
        lines = path.read_text().splitlines()
        path.write_text("\n".join(lines[:-1]) + "\n" + lines[-1][:40])
    return path


def _stored(db):
    from campaigns.store import Store

    with Store.open(db) as store:
        return store.db.conn.execute(
            "SELECT uid, sentiment, abuse FROM mentions ORDER BY uid").fetchall(), store.db.conn.execute(
            "SELECT sum(mentions), sum(pos), sum(neg), sum(abusive) FROM hourly").fetchone()


def test_import_with_two_scoring_workers_stores_what_one_process_stores(tmp_path):
    from campaigns.model import Campaign, Tracker
    from campaigns.store import Store
    from collectors.importers import import_file

    source = _x_file(tmp_path / "pages.jsonl", 95)
    results = []
    for workers in (1, 2):
        db = tmp_path / f"w{workers}.db"
        with Store.open(db) as store:
            store.save_campaign(Campaign(slug="antisocial", name="#AntiSocialMedia", starts_at="2026-01-01",
                                         trackers=[Tracker("hashtag", "AntiSocialMedia", "ours")]))
            done = import_file(store, source, "x", settings=Settings(db_path=db), batch_size=20,
                               workers=workers)
        assert (done.batches, done.totals.new, done.totals.matched) == (5, 95, 95)
        results.append(_stored(db))
    assert results[0] == results[1]
    assert results[0][1][0] == 95 and all(s is not None for _, s, _ in results[0][0])


def test_a_cut_file_with_scoring_workers_keeps_every_whole_batch_before_the_break(tmp_path):
    import pytest

    from campaigns.errors import ImportFormatError
    from campaigns.store import Store
    from collectors.importers import import_file

    source = _x_file(tmp_path / "cut.jsonl", 100, cut=True)  # 9 whole pages of 10, then a broken line
    db = tmp_path / "cut.db"
    with Store.open(db) as store, pytest.raises(ImportFormatError, match="line 10"):
        import_file(store, source, "x", settings=Settings(db_path=db), batch_size=20, workers=2)
    # Batches of 20: four whole ones (80 posts); the 10 read after them are not a whole batch.
    assert len(_stored(db)[0]) == 80
