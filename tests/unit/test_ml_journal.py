"""Journal effects on a sandbox member whose behaviours are known to move next-day recovery."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from infra.local.sandbox.config import SandboxConfig
from infra.local.sandbox.members import generate_member
from snowpark_procs.ml import journal


def _member_frames(name: str = "ann") -> tuple[pd.DataFrame, pd.DataFrame]:
    member = generate_member(SandboxConfig(seed=7, members=[name], days=365, today=date(2026, 11, 20)), name)
    day_of = {c["id"]: pd.Timestamp(c["start"][:10]) + pd.Timedelta(hours=12) for c in member.cycles}
    strain = {c["id"]: (c["score"] or {}).get("strain") for c in member.cycles}
    recovery = {
        day_of[r["cycle_id"]].normalize(): r["score"]["recovery_score"] for r in member.recoveries if r["score"]
    }
    days = pd.DataFrame(
        [
            {
                "DATE_KEY": int(day_of[cid].strftime("%Y%m%d")),
                "DAY_STRAIN_SCORE": strain[cid],
                "NEXT_DAY_OF_WEEK": (day_of[cid] + pd.Timedelta(days=1)).isoweekday(),
                "TARGET_RECOVERY": recovery.get((day_of[cid] + pd.Timedelta(days=1)).normalize()),
            }
            for cid in day_of
        ]
    )
    answers = pd.DataFrame(
        [
            {
                "DATE_KEY": int(day_of[j["cycle_id"]].strftime("%Y%m%d")),
                "QUESTION_TEXT": j["question"].strip(),
                "ANSWERED_YES": j["answered_yes"],
            }
            for j in member.journal
            if j["cycle_id"] in day_of
        ]
    )
    return days, answers


def test_alcohol_lowers_next_day_recovery_after_adjustment():
    days, answers = _member_frames()
    out = journal.effects(days, answers).set_index("QUESTION_TEXT")
    alcohol = out.loc["Have any alcoholic drinks?"]
    assert alcohol["CI_HIGH"] < 0 and alcohol["SIGNIFICANT"], out
    out = out[out["STATUS"] == journal.ESTIMATED]
    assert (out["N_YES"] >= 3).all() and (out["N_NO"] >= 3).all()
    assert (out["Q_VALUE"] >= out["P_VALUE"]).all()


def test_questions_with_too_few_answers_are_listed_without_an_effect():
    """A question answered yes twice is a row saying so (its counts, no effect, no test), and the FDR control
    of the other questions is the same as without it."""
    days, answers = _member_frames()
    scored = days.loc[days["TARGET_RECOVERY"].notna(), "DATE_KEY"]  # days whose next day has a recovery
    alcohol = answers[(answers["QUESTION_TEXT"] == "Have any alcoholic drinks?") & answers["DATE_KEY"].isin(scored)]
    rare = alcohol.head(20).copy()
    rare["QUESTION_TEXT"], rare["ANSWERED_YES"] = "Rare?", [True, True] + [False] * 18
    alone = journal.effects(days, answers).set_index("QUESTION_TEXT")
    out = journal.effects(days, pd.concat([answers, rare])).set_index("QUESTION_TEXT")
    row = out.loc["Rare?"]
    assert row["STATUS"] == journal.TOO_FEW_ANSWERS
    assert (int(row["N_YES"]), int(row["N_NO"])) == (2, 18)
    assert row[["EFFECT", "CI_LOW", "CI_HIGH", "P_VALUE", "Q_VALUE"]].isna().all() and row["SIGNIFICANT"] is None
    estimated = out.drop(index="Rare?")
    assert (estimated["STATUS"] == journal.ESTIMATED).all()
    pd.testing.assert_series_equal(estimated["Q_VALUE"], alone["Q_VALUE"])
    assert estimated["SIGNIFICANT"].map(type).eq(bool).all()


def test_a_journal_of_only_rare_questions_has_rows_and_no_significant_one():
    days, answers = _member_frames()
    rare = answers[answers["QUESTION_TEXT"] == "Have any alcoholic drinks?"].head(5).copy()
    rare["ANSWERED_YES"] = [True] * 5
    out = journal.effects(days, rare)
    assert out["STATUS"].tolist() == [journal.TOO_FEW_ANSWERS]
    assert out[["N_YES", "N_NO"]].values.tolist() == [[5, 0]]


def test_benjamini_hochberg():
    # sorted 0.01, 0.03, 0.04, 0.5 -> p * 4 / rank = 0.04, 0.06, 0.0533, 0.5 -> running minimum from the top
    assert journal.benjamini_hochberg([0.01, 0.04, 0.03, 0.5]) == pytest.approx([0.04, 0.16 / 3, 0.16 / 3, 0.5])
    assert journal.benjamini_hochberg([]) == []
