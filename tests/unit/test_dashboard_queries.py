"""The dashboard's query builders and recovery zones, without a warehouse."""

from __future__ import annotations

import sys
from datetime import date

import pytest

from infra.local.settings import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "app" / "streamlit"))
import queries

KEY = "0" * 32


def test_filters_reject_anything_but_a_member_key_and_an_ordered_range():
    with pytest.raises(ValueError):
        queries.Filters("x' OR '1'='1", date(2026, 1, 1), date(2026, 2, 1))
    with pytest.raises(ValueError):
        queries.Filters(KEY, date(2026, 2, 1), date(2026, 1, 1))
    with pytest.raises(ValueError):
        queries.member_span_sql("not-a-key")


def test_every_query_filters_on_member_and_range_in_sql():
    f = queries.Filters(KEY, date(2026, 1, 5), date(2026, 3, 1))
    for page, build in queries.PAGES.items():
        for name, sql in build(f).items():
            if page == "quality" and name in ("latest_checks", "history", "freshness", "quarantine", "ingest_runs"):
                continue  # warehouse-wide monitoring: every member on purpose
            assert f"'{KEY}'" in sql, (page, name)
            # the newest evaluation / forecast, and the habits fitted on the whole journal, whatever the range
            if name not in ("evaluations", "sleep_tonight", "journal", "effects"):
                assert "20260301" in sql or "20260302" in sql, (page, name)
            assert "SELECT *" not in sql.upper(), (page, name)


def test_baseline_window_reaches_back_before_the_range():
    f = queries.Filters(KEY, date(2026, 3, 1), date(2026, 3, 31))
    sql = queries.recovery(f)["recovery"]
    assert "BETWEEN 20260104 AND 20260331" in sql  # 56 days back, so the first day has its 28 recorded days
    assert "ROWS BETWEEN 28 PRECEDING AND 1 PRECEDING" in sql


@pytest.mark.parametrize(
    ("score", "zone"),
    [(100, "green"), (67, "green"), (66.9, "yellow"), (34, "yellow"), (33.9, "red"), (33, "red"), (0, "red")],
)
def test_recovery_zones_follow_whoop(score, zone):
    pytest.importorskip("streamlit")
    import ui

    assert ui.recovery_zone(score)[0] == zone
