"""Report snapshots live in PostgreSQL, shared by every app server, and age out."""

from app.models import snapshot
from tests.conftest import query_one


def test_a_snapshot_is_reused_until_it_is_too_old(app):
    calls = []

    def compute():
        calls.append(1)
        return [{"answer": len(calls)}]

    with app.app_context():
        assert snapshot.rows("test_report", 300, compute) == [{"answer": 1}]
        assert snapshot.rows("test_report", 300, compute) == [{"answer": 1}]  # reused
        assert len(calls) == 1
        assert snapshot.rows("test_report", 0, compute) == [{"answer": 2}]  # too old: recomputed
    stored = query_one(app, "SELECT payload FROM report_snapshots WHERE name = 'test_report'")
    assert stored["payload"] == [{"answer": 2}]
