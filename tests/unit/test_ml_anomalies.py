"""Anomaly detection on sandbox members against the sandbox's injected illness episodes (its truth)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from infra.local.sandbox.config import SandboxConfig
from infra.local.sandbox.members import generate_member
from snowpark_procs.ml import anomalies
from tests.unit.ml_sandbox import daily_frame

MEMBERS = ["ann", "ben", "cara", "dev", "eli", "fay", "gus", "hal"]


@pytest.fixture(scope="module")
def scored() -> dict[str, dict[str, int]]:
    config = SandboxConfig(seed=7, members=MEMBERS, days=365, today=date(2026, 11, 20))
    out = {}
    for name in MEMBERS:
        member = generate_member(config, name)
        out[name] = anomalies.score_alerts(anomalies.detect(daily_frame(member)), member.illness)
    return out


def test_recall_on_illness_episodes(scored):
    episodes = sum(r["episodes"] for r in scored.values())
    detected = sum(r["detected"] for r in scored.values())
    assert episodes >= 8, "too few scorable episodes to judge recall"
    assert detected / episodes >= 0.8, scored


def test_at_most_one_false_alert_per_member_per_30_clean_days(scored):
    for name, r in scored.items():
        assert 30 * r["false"] / r["clean_days"] <= 1.0, (name, r)


def _frame(values: dict[str, list[float]]) -> pd.DataFrame:
    n = len(next(iter(values.values())))
    days = pd.date_range("2026-01-01", periods=n, freq="D")
    frame = pd.DataFrame({"MEMBER_KEY": "m", "DATE_KEY": [int(d.strftime("%Y%m%d")) for d in days]})
    for col, v in values.items():
        frame[col] = v
    return frame


def _quiet(n: int, seed: int = 1) -> dict[str, list[float]]:
    rng = np.random.default_rng(seed)
    return {
        "HRV_RMSSD_MS": list(np.exp(4.2 + 0.2 * rng.standard_normal(n))),
        "RESTING_HEART_RATE_BPM": list(52 + 3 * rng.standard_normal(n)),
        "RESPIRATORY_RATE": list(15 + 0.3 * rng.standard_normal(n)),
        "SKIN_TEMP_CELSIUS": list(33.5 + 0.3 * rng.standard_normal(n)),
    }


def test_single_signal_single_night_is_not_flagged():
    values = _quiet(90)
    values["RESPIRATORY_RATE"][80] = 25.0  # one wild night on one signal
    out = anomalies.detect(_frame(values))
    assert out.loc[80, "Z_RESP_UP"] > 10
    assert not out.loc[80, "FLAGGED"]


def test_two_signals_or_two_nights_are_flagged():
    values = _quiet(90)
    values["RESPIRATORY_RATE"][70] = 25.0
    values["SKIN_TEMP_CELSIUS"][70] = 36.0
    values["RESTING_HEART_RATE_BPM"][80] = values["RESTING_HEART_RATE_BPM"][81] = 80.0
    out = anomalies.detect(_frame(values))
    assert out.loc[70, "FLAGGED"] and "2 signals agree" in out.loc[70, "REASON"]
    assert not out.loc[80, "FLAGGED"] and out.loc[81, "FLAGGED"]
    assert "rhr_up elevated 2 nights running" in out.loc[81, "REASON"]
    assert out.loc[70, "IF_SCORE"] > out["IF_SCORE"].median()


def test_baseline_never_includes_the_night_judged():
    values = _quiet(90)
    before = anomalies.robust_z(_frame(values))
    values["HRV_RMSSD_MS"][60] = 5.0
    after = anomalies.robust_z(_frame(values))
    assert after.loc[60, "Z_HRV_DOWN"] > 5
    pd.testing.assert_frame_equal(before.iloc[:60], after.iloc[:60])
