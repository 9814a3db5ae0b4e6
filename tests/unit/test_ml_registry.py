"""The local stand-in for Snowflake's Model Registry (it has no offline mode), and how it is put in place."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from infra.local.ml_registry import LocalRegistry
from snowpark_procs.ml import forecast


def _frame(n: int = 80, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rng.standard_normal((n, len(forecast.INPUTS))), columns=forecast.INPUTS)
    frame[forecast.LABEL] = 5 * frame["HRV_Z"] + rng.standard_normal(n)
    frame["BASE"] = 60.0
    return frame


def test_log_load_and_list(tmp_path):
    registry = LocalRegistry(tmp_path / "registry")
    frame = _frame()
    model = forecast.fit(frame)
    version = registry.log_model(model, model_name="next_day_ann", version_name="V1", metrics={"mae": 1.5})
    assert version.model_name == "NEXT_DAY_ANN" and version.version_name == "V1"
    registry.log_model(forecast.fit(frame.iloc[:60]), model_name="next_day_ann", version_name="V2")
    stored = registry.get_model("NEXT_DAY_ANN")
    assert [v.version_name for v in stored.versions()] == ["V1", "V2"]
    assert stored.default.version_name == "V2"
    assert stored.version("V1").show_metrics() == {"mae": 1.5}
    assert stored.version("v1").get_metric("mae") == 1.5
    np.testing.assert_allclose(forecast.predict(stored.version("V1").load(), frame), forecast.predict(model, frame))
    shown = registry.show_models()
    assert shown["name"].tolist() == ["NEXT_DAY_ANN"] and shown["versions"][0] == ["V1", "V2"]


def test_refuses_overwrite_unknown_and_bad_names(tmp_path):
    registry = LocalRegistry(tmp_path)
    assert registry.show_models().empty
    registry.log_model({"any": "object"}, model_name="M", version_name="V1")
    with pytest.raises(ValueError, match="already has a version"):
        registry.log_model({}, model_name="M", version_name="V1")
    with pytest.raises(KeyError):
        registry.get_model("OTHER")
    with pytest.raises(KeyError):
        registry.get_model("M").version("V9")
    with pytest.raises(ValueError, match="identifier"):
        registry.log_model({}, model_name="../escape", version_name="V1")


def test_installed_in_place_of_snowflake_ml_registry(tmp_path, monkeypatch):
    """The product imports `snowflake.ml.registry.Registry` only; installed, that name is the local one, reading
    its folder from the deployment's CONFIG.SETTINGS through the handler's session."""
    import sys

    from infra.local import ml_registry
    from snowpark_procs.ml.registry import open_registry

    class Session:
        def __init__(self, value: str | None) -> None:
            self.value = value

        def sql(self, text: str):
            assert "ml_registry_path" in text
            return self

        def collect(self):
            return [(self.value,)]

        def get_current_database(self) -> str:
            return '"WHOOP"'

    monkeypatch.delitem(sys.modules, ml_registry.MODULE, raising=False)
    ml_registry.install()
    registry = open_registry(Session(str(tmp_path / "models")))
    assert isinstance(registry, ml_registry.Registry) and registry.schema_name == "ML"
    registry.log_model({"w": 1}, model_name="M", version_name="V1")
    assert registry.get_model("M").version("V1").load() == {"w": 1}
    with pytest.raises(RuntimeError, match="ml_registry_path"):
        open_registry(Session(None))


def test_two_trainings_in_one_second_log_two_versions(tmp_path):
    """The weekly task and `whoop ml train` (or two members trained back to back) can start in the same second;
    the registry refuses a version name twice, so a run's name must tell them apart, and sort as they ran."""
    from datetime import datetime

    from snowpark_procs.ml.procs import version_name

    first, second = datetime(2026, 12, 7, 5, 0, 0, 120), datetime(2026, 12, 7, 5, 0, 0, 981_004)
    assert version_name(first) != version_name(second) and version_name(first) < version_name(second)
    registry = LocalRegistry(tmp_path / "registry")
    for at in (first, second):
        registry.log_model(forecast.fit(_frame()), model_name="next_day_ann", version_name=version_name(at))
    assert len(registry.get_model("NEXT_DAY_ANN").versions()) == 2


def test_a_newcomer_whose_training_fails_does_not_stop_the_others_forecasts(monkeypatch):
    """Scoring trains newcomers first; if that fails, every other member is still scored and written, and then the
    procedure fails with one line naming the newcomer and the cause (the task is not SUCCEEDED)."""
    from snowpark_procs.ml import procs

    written: list[int] = []

    def refuse(session, members):
        raise ValueError("the registry refused the version")

    monkeypatch.setattr(procs, "newcomers", lambda session: {"k" * 32: "zed"})
    monkeypatch.setattr(procs, "train_members", refuse)
    monkeypatch.setattr(procs, "open_registry", lambda session: object())
    monkeypatch.setattr(procs, "_served", lambda session: pd.DataFrame(columns=["MEMBER_KEY", "MODEL_NAME"]))
    monkeypatch.setattr(procs, "_insert", lambda session, table, cols, casts, rows: written.append(len(rows)) or 3)
    with pytest.raises(RuntimeError) as failure:
        procs.score(session=None)  # type: ignore[arg-type]
    assert written == [0]  # the others' forecasts were written before the failure was raised
    assert str(failure.value) == (
        "scored 3 forecast(s), but training the new member(s) zed failed: the registry refused the version"
    )
