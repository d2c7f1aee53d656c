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
