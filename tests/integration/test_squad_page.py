"""The Squad page and REPORTING.SQUAD_READINESS on five sandbox members through the pipeline.

The expected numbers are computed here, in Python, from the Gold and ML rows themselves (not from the page's
statement): every member is listed with today's recovery in the right WHOOP zone and colour, the 28-day baseline,
last night's sleep vs need, yesterday's strain and open anomaly flags; a member whose WHOOP link was refused is
flagged; the table sorts; "Open" lands on that athlete's pages; the Power BI view returns the same rows.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta

import pytest

from infra.local import migrations, pipeline
from infra.local.settings import Settings
from tests.integration.conftest import local_stack, query
from tests.integration.dashboard_support import MAIN, revoke_and_run, seed_ml, texts

MEMBERS = ["ann", "ben", "cat", "dan", "eve"]
REVOKED = "dan"  # its refresh token is replaced by one the sandbox refuses, then the pipeline runs again
FLAGGED = "ben"  # seed_ml flags the member's newest night
SQUAD = "pages/0_Squad.py"
ZONE_COLOURS = {"green": "#16EC06", "yellow": "#FFDE00", "red": "#FF0026"}
CONTRACT = [
    "MEMBER_KEY",
    "MEMBER_NAME",
    "DATE_KEY",
    "RECOVERY_SCORE",
    "RECOVERY_ZONE",
    "RECOVERY_BASELINE_28D",
    "RECOVERY_VS_BASELINE",
    "SLEEP_HOURS",
    "SLEEP_NEED_HOURS",
    "STRAIN_YESTERDAY",
    "OPEN_ANOMALIES",
    "LAST_DATA_AT",
    "NEEDS_REAUTHORIZATION",
]


@pytest.fixture(scope="module")
def squad(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    # seed 11: the newest mornings of the five athletes fall in all three WHOOP zones (the zone test needs each)
    with local_stack(tmp_path_factory.mktemp("squad_home"), MEMBERS, days=90, seed=11) as settings:
        pipeline.run_once(settings)
        seed_ml(settings, FLAGGED)
        revoke_and_run(settings, REVOKED)
        yield settings


def _key(k: int) -> date:
    return date(k // 10000, k // 100 % 100, k % 100)


def _zone(score: float) -> str:
    return "green" if score >= 67 else "yellow" if score >= 34 else "red"


def expected(settings: Settings) -> dict[str, dict]:
    """Per member name, what the squad row must say, from the Gold and ML rows."""
    members = {
        k: (n, s) for k, n, s in query(settings, "SELECT MEMBER_KEY, MEMBER_NAME, MEMBER_STATUS FROM GOLD.DIM_MEMBER")
    }
    recovery: dict[str, dict[date, float]] = {}
    for k, d, score in query(settings, "SELECT MEMBER_KEY, DATE_KEY, RECOVERY_SCORE FROM GOLD.FACT_DAILY_RECOVERY"):
        recovery.setdefault(k, {})[_key(d)] = float(score)
    strain: dict[str, dict[date, float]] = {}
    for k, d, score in query(settings, "SELECT MEMBER_KEY, DATE_KEY, DAY_STRAIN_SCORE FROM GOLD.FACT_STRAIN"):
        strain.setdefault(k, {})[_key(d)] = float(score)
    sleep: dict[str, dict[date, tuple[float, float]]] = {}
    nights = "SELECT MEMBER_KEY, DATE_KEY, TOTAL_SLEEP_MINUTES, SLEEP_NEEDED_MINUTES FROM GOLD.FACT_SLEEP"
    for k, d, total, need in query(settings, f"{nights} WHERE IS_MAIN_SLEEP"):
        sleep.setdefault(k, {})[_key(d)] = (float(total), float(need))
    flagged: dict[str, list[date]] = {}
    for k, d in query(settings, "SELECT MEMBER_KEY, DATE_KEY FROM ML.FACT_ANOMALIES"):
        flagged.setdefault(k, []).append(_key(d))
    out = {}
    for key, (name, status) in members.items():
        days = {*recovery.get(key, {}), *strain.get(key, {}), *sleep.get(key, {})}
        newest = max(days)
        earlier = sorted((d for d in recovery.get(key, {}) if d < newest), reverse=True)[:28]
        baseline = sum(recovery[key][d] for d in earlier) / len(earlier)
        score = recovery[key][newest]
        total, need = sleep[key][newest]
        out[name] = {
            "key": key,
            "day": newest,
            "recovery": score,
            "zone": _zone(score),
            "baseline": baseline,
            "sleep_hours": total / 60,
            "need_hours": need / 60,
            "strain_yesterday": strain[key][newest - timedelta(days=1)],
            "open_anomalies": sum(1 for d in flagged.get(key, []) if newest - timedelta(days=7) < d <= newest),
            "reauth": status == "NEEDS_REAUTHORIZATION",
        }
    return out


def squad_page(settings: Settings, monkeypatch):
    """The Squad page in AppTest, reached from the main script as in the app (so st.switch_page can resolve)."""
    from streamlit.testing.v1 import AppTest

    from infra.local import dashboard_session

    dashboard_session.install()
    monkeypatch.setenv("WHOOP_DASHBOARD_WAREHOUSE", settings.warehouse_url)
    monkeypatch.setenv("WHOOP_DASHBOARD_ROLE", "app_admin")
    from streamlit.runtime.pages_manager import PagesManager

    # Streamlit decides once per process, from the first script run, whether a pages/ folder holds the pages; an
    # earlier AppTest of a page file (no pages/ beside it) leaves that False and switch_page then finds no page
    PagesManager.uses_pages_directory = None
    at = AppTest.from_file(str(MAIN), default_timeout=120)
    at.switch_page(SQUAD).run()
    _ok(at)
    return at


def _ok(at) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, texts(at.error)


def cell_colours(element, column: int) -> dict[int, str]:
    """Row -> background colour of one column, from the table's pandas Styler CSS as the page sent it."""
    out = {}
    for selectors, body in re.findall(r"([^{}]+)\{([^}]*)\}", element.proto.styler.styles):
        colour = re.search(r"background-color:\s*(#[0-9A-Fa-f]{6})", body)
        for row, col in re.findall(r"_row(\d+)_col(\d+)", selectors):
            if colour and int(col) == column:
                out[int(row)] = colour.group(1).upper()
    return out


def test_every_member_listed_in_the_right_zone_and_colour(squad, monkeypatch):
    want = expected(squad)
    assert {w["zone"] for w in want.values()} == {"green", "yellow", "red"}, "the seed covers every zone"
    at = squad_page(squad, monkeypatch)
    table = at.dataframe[0].value
    assert sorted(table["Athlete"]) == MEMBERS
    colours = cell_colours(at.dataframe[0], list(table.columns).index("Recovery %"))
    for i, row in table.iterrows():
        w = want[row["Athlete"]]
        assert row["Day"] == w["day"], row["Athlete"]
        assert row["Recovery %"] == pytest.approx(w["recovery"]), row["Athlete"]
        assert row["Zone"] == w["zone"], row["Athlete"]
        assert colours[i] == ZONE_COLOURS[w["zone"]], row["Athlete"]
        assert row["28-day baseline"] == pytest.approx(w["baseline"], abs=0.05), row["Athlete"]
        assert row["vs baseline"] == pytest.approx(w["recovery"] - w["baseline"], abs=0.06), row["Athlete"]
        assert row["Sleep (h)"] == pytest.approx(w["sleep_hours"], abs=0.005), row["Athlete"]
        assert row["Need (h)"] == pytest.approx(w["need_hours"], abs=0.005), row["Athlete"]
        assert row["Strain yesterday"] == pytest.approx(w["strain_yesterday"]), row["Athlete"]
        assert row["Open anomalies"] == w["open_anomalies"], row["Athlete"]
        assert 0 <= row["Data age (h)"] < 1, row["Athlete"]  # loaded by this test's runs
    assert want[FLAGGED]["open_anomalies"] == 1 and sum(w["open_anomalies"] for w in want.values()) == 1
    metrics = {m.label: m.value for m in at.metric}
    zones = [w["zone"] for w in want.values()]
    assert metrics == {
        "Athletes": "5",
        "Green": str(zones.count("green")),
        "Yellow": str(zones.count("yellow")),
        "Red": str(zones.count("red")),
        "Open anomaly flags": "1",
    }


def test_a_member_needing_reauthorization_is_flagged(squad, monkeypatch):
    status = dict(query(squad, "SELECT MEMBER_NAME, STATUS FROM CONFIG.MEMBERS"))
    assert status[REVOKED] == "NEEDS_REAUTHORIZATION"
    assert {s for m, s in status.items() if m != REVOKED} == {"ACTIVE"}
    at = squad_page(squad, monkeypatch)
    table = at.dataframe[0].value
    assert dict(zip(table["Athlete"], table["Re-authorize"], strict=True)) == {m: m == REVOKED for m in MEMBERS}
    assert f"Needs to re-authorize WHOOP (data stops at the last successful ingest): {REVOKED}" in texts(at.warning)


def test_the_table_sorts(squad, monkeypatch):
    at = squad_page(squad, monkeypatch)
    table = at.dataframe[0].value
    assert list(table["Recovery %"]) == sorted(table["Recovery %"]), "default: lowest recovery first"
    at.selectbox(key="squad_sort").select("Athlete").run()
    _ok(at)
    assert list(at.dataframe[0].value["Athlete"]) == MEMBERS
    at.selectbox(key="squad_sort").select("Strain yesterday, highest first").run()
    _ok(at)
    strain = list(at.dataframe[0].value["Strain yesterday"])
    assert strain == sorted(strain, reverse=True)
    at.selectbox(key="squad_sort").select("Open anomalies, most first").run()
    _ok(at)
    assert at.dataframe[0].value["Athlete"].iloc[0] == FLAGGED
    assert at.selectbox(key="squad_athlete").options[0] == FLAGGED, "the athlete choice follows the table's order"


def test_open_leads_to_that_athletes_pages(squad, monkeypatch):
    want = expected(squad)
    at = squad_page(squad, monkeypatch)
    at.selectbox(key="squad_athlete").select("eve").run()
    at.button(key="squad_open").click().run()
    _ok(at)
    assert [t.value for t in at.title] == ["Recovery Overview"]
    assert at.sidebar.selectbox[0].value == "eve"
    assert at.metric[0].value == f"{want['eve']['recovery']:.0f} %"
    # and the member stays chosen on the other athlete pages
    at.switch_page("pages/2_Sleep_Analysis.py").run()
    _ok(at)
    assert at.sidebar.selectbox[0].value == "eve"


def test_reporting_view_is_the_contract_with_the_pages_rows(squad):
    """REPORTING.SQUAD_READINESS (Power BI's squad page): exactly the shared contract's columns, and the rows of
    the statement the Squad page runs."""
    import sys

    from tests.integration.dashboard_support import APP_DIR

    if str(APP_DIR) not in sys.path:
        sys.path.insert(0, str(APP_DIR))
    import queries

    view = f"{migrations.REPORTING_DATABASE}.REPORTING.SQUAD_READINESS"
    conn = pipeline.connect(squad)
    try:
        cur = conn.cursor()
        cur.execute(f"SELECT {', '.join(CONTRACT)} FROM {view} ORDER BY MEMBER_NAME")
        rows = cur.fetchall()
        cur.execute(
            f"SELECT COLUMN_NAME FROM {migrations.REPORTING_DATABASE}.INFORMATION_SCHEMA.COLUMNS "
            "WHERE TABLE_SCHEMA = 'REPORTING' AND TABLE_NAME = 'SQUAD_READINESS' ORDER BY ORDINAL_POSITION"
        )
        columns = [r[0] for r in cur.fetchall()]
        cur.execute(queries.squad()["squad"])
        page = cur.fetchall()
    finally:
        conn.close()
    assert columns == CONTRACT
    assert rows == page
    want = expected(squad)
    by_name = {r[1]: dict(zip(CONTRACT, r, strict=True)) for r in rows}
    assert sorted(by_name) == MEMBERS
    for name, w in want.items():
        got = by_name[name]
        assert (got["MEMBER_KEY"], got["DATE_KEY"], got["RECOVERY_ZONE"]) == (
            w["key"],
            int(w["day"].strftime("%Y%m%d")),
            w["zone"],
        )
        assert got["NEEDS_REAUTHORIZATION"] is w["reauth"], name
        assert got["OPEN_ANOMALIES"] == w["open_anomalies"], name
