"""Predictive Insights' habits and what-if sections on the local stack, for a member with a journal and one without.

ann's journal comes the way a member's does: her WHOOP CSV export imported (the API has no journal), with one
behaviour she answered only twice added to it; ben never used the journal. The ML layer then runs for real
(OPS.TRAIN_ML, OPS.SCORE_ML), so the page shows what ML.BEHAVIOUR_EFFECTS and OPS.WHAT_IF_SLEEP give.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator

import pytest

from infra.local import pipeline
from infra.local.sandbox.export import write_export
from infra.local.settings import Settings
from tests.integration.conftest import local_stack, query, truth
from tests.integration.dashboard_support import PAGE, app_test, chart_data, charts, texts

RARE = "Take an ice bath?"  # answered yes twice, never no: too few answers for an effect


@pytest.fixture(scope="module")
def habits_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    with local_stack(tmp_path_factory.mktemp("habits_home"), ["ann", "ben"], days=180) as settings:
        pipeline.run_once(settings)
        export = tmp_path_factory.mktemp("habits_export")
        write_export(truth(settings, "ann"), export)
        journal = export / "journal_entries.csv"
        with journal.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
        # two of her days with a next-day recovery (rows are newest first, one per day and question), with their
        # cycle columns
        days = list(dict.fromkeys(tuple(r[:3]) for r in rows[1:]))
        rare = [[*day, RARE, "true", ""] for day in days[5:7]]
        with journal.open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows([*rows, *rare])
        pipeline.import_export(settings, export, "ann")
        pipeline.run_once(settings)
        query(settings, "CALL OPS.GRANT_MEMBER_ACCESS(%s, %s, %s)", ("ann", "ann_w", "self"))
        conn = pipeline.connect(settings)
        try:
            for statement in ("CALL OPS.TRAIN_ML(NULL)", "CALL OPS.SCORE_ML()"):
                conn.cursor().execute(statement)
        finally:
            conn.close()
        yield settings


def _ok(at) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, texts(at.error)


def _habits_table(at):
    tables = [d.value for d in at.dataframe if "Behaviour" in d.value.columns]
    assert len(tables) == 1, [list(d.value.columns) for d in at.dataframe]
    return tables[0].set_index("Behaviour")


def test_habits_show_effect_ci_days_and_fdr_for_a_member_with_a_journal(habits_stack, monkeypatch):
    effects = query(
        habits_stack,
        "SELECT QUESTION_TEXT, STATUS, EFFECT_POINTS, CI_LOW, CI_HIGH, N_YES, N_NO, Q_VALUE, SIGNIFICANT "
        "FROM ML.BEHAVIOUR_EFFECTS WHERE MEMBER_KEY = MD5('member|ann')",
    )
    by_question = {r[0]: r[1:] for r in effects}
    assert by_question[RARE][:1] == ("TOO_FEW_ANSWERS",) and by_question[RARE][4:6] == (2, 0)
    estimated = {q: r for q, r in by_question.items() if r[0] == "ESTIMATED"}
    assert len(estimated) >= 2 and any(r[7] for r in estimated.values())  # alcohol survives the FDR control

    at = app_test(PAGE["Predictive_Insights"], habits_stack.warehouse_url, monkeypatch)
    _ok(at)
    assert "Habits and next-day recovery" in [s.value for s in at.subheader]
    table = _habits_table(at)
    assert set(table.index) == set(by_question)
    for question, (_, effect, low, high, yes, no, q, significant) in estimated.items():
        row = table.loc[question]
        assert row["Effect on next-day recovery (pts)"] == f"{effect:+.1f}"
        assert row["95 % CI (pts)"] == f"{low:+.1f} to {high:+.1f}"
        assert row["Days yes / no"] == f"{yes} / {no}"
        assert row["Survives FDR 10%"] == f"{'yes' if significant else 'no'} (q = {q:.3f})"
        assert row["Status"] == "estimated"
    rare = table.loc[RARE]
    assert rare["Effect on next-day recovery (pts)"] == "" and rare["95 % CI (pts)"] == ""
    assert rare["Days yes / no"] == "2 / 0" and rare["Survives FDR 10%"] == "not tested"
    assert rare["Status"] == "too few answers (needs 3 yes and 3 no days)"
    assert list(table.index)[-1] == RARE  # estimated behaviours first
    survive = sum(bool(r[7]) for r in estimated.values())
    captions = texts(at.caption)
    assert f"{len(estimated)} behaviour(s) estimated" in captions
    assert f"{survive} survive the false-discovery control" in captions
    assert f"Too few answers yet: {RARE}." in captions
    assert any("CI_LOW" in str(c.proto) and "EFFECT_POINTS" in str(c.proto) for c in charts(at))


def test_habits_for_a_member_without_a_journal_say_how_to_get_them(habits_stack, monkeypatch):
    at = app_test(PAGE["Predictive_Insights"], habits_stack.warehouse_url, monkeypatch)
    at.sidebar.selectbox[0].select("ben").run()
    _ok(at)
    assert "Habits and next-day recovery" in [s.value for s in at.subheader]
    assert "No journal answers yet: answer the WHOOP journal to see which habits move your recovery" in texts(at.info)
    assert not [d for d in at.dataframe if "Behaviour" in d.value.columns]


def _what_if(at, hours: float):
    at.number_input(key="what_if_hours").set_value(hours)
    at.button[0].click()  # the form's submit button
    at.run()
    _ok(at)
    return {m.label.split(" on ")[0]: m for m in at.metric}["Recovery"]


@pytest.mark.parametrize("member", ["ann", "ben"])
def test_what_if_on_planned_sleep_shows_the_procedures_prediction_and_interval(habits_stack, monkeypatch, member):
    at = app_test(PAGE["Predictive_Insights"], habits_stack.warehouse_url, monkeypatch)
    if member != "ann":
        at.sidebar.selectbox[0].select(member).run()
    _ok(at)
    assert "What if: planned sleep tonight" in [s.value for s in at.subheader]
    conn = pipeline.connect(habits_stack)
    try:
        for hours in (5.0, 9.5):
            raw = conn.cursor().execute("CALL OPS.WHAT_IF_SLEEP(%s, %s)", (member, hours)).fetchone()[0]
            expected = json.loads(raw)
            shown = _what_if(at, hours)
            assert shown.label.endswith(f"after {hours:g} h of sleep")
            assert shown.value == f"{expected['prediction']:.0f} %"
            assert shown.delta.startswith(
                f"80 % interval {expected['interval_low']:.0f}–{expected['interval_high']:.0f}; served by "
            )
            assert shown.delta.endswith(f"NEXT_DAY_RECOVERY {expected['model_version']}")
    finally:
        conn.close()


def test_an_athlete_sees_their_own_habits_and_what_if_through_the_viewer_role(habits_stack, monkeypatch):
    """ann as the athlete (app_viewer, mapped to herself): her member only, her habits read through VIEWER, and the
    what-if answers for her (the page calls the procedure with the app's rights, as Streamlit in Snowflake does)."""
    monkeypatch.setenv("WHOOP_DASHBOARD_USER", "ann_w")
    at = app_test(PAGE["Predictive_Insights"], habits_stack.warehouse_url, monkeypatch, role="app_viewer")
    _ok(at)
    assert at.sidebar.selectbox[0].options == ["ann"]
    assert RARE in _habits_table(at).index
    assert _what_if(at, 7.0).value.endswith(" %")


def test_an_install_from_before_status_gets_it_on_upgrade(habits_stack, monkeypatch):
    """Last in the module (it rewrites the table): ML.BEHAVIOUR_EFFECTS as the previous release left it (no STATUS,
    only estimated behaviours), then the upgrade: STATUS is added and says ESTIMATED, and the page shows the rows."""
    query(habits_stack, "DELETE FROM ML.BEHAVIOUR_EFFECTS WHERE STATUS = 'TOO_FEW_ANSWERS'")
    query(habits_stack, "ALTER TABLE ML.BEHAVIOUR_EFFECTS DROP COLUMN STATUS")
    pipeline.deploy_local(habits_stack, start_stack=False)  # ALTER APPLICATION ... UPGRADE
    statuses = query(habits_stack, "SELECT DISTINCT STATUS FROM VIEWER.BEHAVIOUR_EFFECTS")
    assert statuses == [("ESTIMATED",)]
    at = app_test(PAGE["Predictive_Insights"], habits_stack.warehouse_url, monkeypatch)
    _ok(at)
    table = _habits_table(at)
    assert RARE not in table.index and set(table["Status"]) == {"estimated"}


def test_the_forecast_chart_has_the_walk_forward_history_from_the_first_training(habits_stack, monkeypatch):
    """One OPS.TRAIN_ML and one OPS.SCORE_ML: the chart draws every kept walk-forward day (predicted from the days
    before it only) with its actual, and the one scored forecast, not a single dot."""
    kept = query(
        habits_stack,
        "SELECT p.TARGET_DATE_KEY, p.KIND FROM ML.FACT_PREDICTIONS AS p "
        "WHERE p.MEMBER_KEY = MD5('member|ann') AND p.MODEL_NAME = 'NEXT_DAY_RECOVERY'",
    )
    history = {int(r[0]) for r in kept if r[1] == "WALK_FORWARD"}
    assert len(history) >= 40 and sum(r[1] == "FORECAST" for r in kept) == 1

    at = app_test(PAGE["Predictive_Insights"], habits_stack.warehouse_url, monkeypatch)
    _ok(at)
    drawn = [chart_data(c) for c in charts(at)]
    (data,) = [d for d in drawn if {"KIND", "PREDICTION", "ACTUAL_RECOVERY"} <= set(d.columns)]
    rows = data.drop_duplicates(["TARGET_DATE_KEY", "KIND"])
    past = rows[rows["KIND"] == "WALK_FORWARD"]
    drawn_days = set(past["TARGET_DATE_KEY"].astype(int))
    # the default range (the newest 90 days) draws every kept day inside it, and months of them
    assert len(drawn_days) >= 40 and drawn_days <= history
    assert drawn_days == {d for d in history if d >= min(drawn_days)}
    assert past["ACTUAL_RECOVERY"].notna().all()
    assert (rows["KIND"] == "FORECAST").sum() == 1
    assert f"{len(drawn_days)} day(s) in range are walk-forward history" in texts(at.caption)
