"""Static checks of infra/terraform: the HCL parses (python-hcl2), every reference resolves, inputs and
outputs are documented, the warehouse grants agree with the role matrix, and `terraform fmt -check` passes.
`terraform validate` is not run: it needs `terraform init`, which downloads the provider (SNOWFLAKE.md §10)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import hcl2
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
TF = ROOT / "infra/terraform"
MATRIX = yaml.safe_load((ROOT / "infra/governance/role_matrix.yml").read_text())
# Preview resource types of provider 2.x that must be listed in preview_features_enabled (SNOWFLAKE.md §10).
PREVIEW = {"snowflake_external_access_integration", "snowflake_dynamic_table", "snowflake_table",
           "snowflake_procedure_python", "snowflake_stage", "snowflake_notification_integration",
           "snowflake_network_rule", "snowflake_alert", "snowflake_api_integration"}  # fmt: skip


def _unquote(key: str) -> str:
    return key.strip('"')


def _load() -> dict[str, list[dict]]:
    merged: dict[str, list[dict]] = {}
    for path in sorted(TF.glob("*.tf")):
        with path.open() as f:
            for block, items in hcl2.load(f).items():
                merged.setdefault(block, []).extend(items if isinstance(items, list) else [items])
    return merged


HCL = _load()


def _strings(node: Any) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for v in node.values() for s in _strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return []


def resources() -> dict[tuple[str, str], dict]:
    out = {}
    for item in HCL.get("resource", []):
        for rtype, named in item.items():
            for name, body in named.items():
                out[(_unquote(rtype), _unquote(name))] = body
    return out


def variables() -> dict[str, dict]:
    return {_unquote(k): v for item in HCL.get("variable", []) for k, v in item.items()}


def locals_() -> set[str]:
    return {k for item in HCL.get("locals", []) for k in item if k != "__is_block__"}


EXPRESSIONS = " ".join(_strings({k: v for k, v in HCL.items() if k != "variable"}))


def test_every_file_parses_and_declares_the_foundations():
    types = {t for t, _ in resources()}
    assert {"snowflake_warehouse", "snowflake_resource_monitor", "snowflake_account_role",
            "snowflake_grant_account_role", "snowflake_service_user", "snowflake_grant_privileges_to_account_role",
            "snowflake_tag", "snowflake_tag_association"} <= types  # fmt: skip
    (terraform,) = HCL["terraform"]
    (providers,) = terraform["required_providers"]
    assert _unquote(providers["snowflake"]["source"]) == "snowflakedb/snowflake"


def test_every_variable_reference_is_declared_and_every_variable_used():
    used = set(re.findall(r"\bvar\.(\w+)", EXPRESSIONS + " ".join(_strings(HCL.get("variable", [])))))
    declared = set(variables())
    assert used <= declared, f"undeclared variables: {used - declared}"
    assert declared <= used, f"variables nothing uses: {declared - used}"


def test_every_local_and_resource_reference_exists():
    assert set(re.findall(r"\blocal\.(\w+)", EXPRESSIONS)) <= locals_()
    declared = set(resources())
    refs = set(re.findall(r"(?<![\w.])(snowflake_\w+)\.(\w+)", EXPRESSIONS))
    assert len(refs) >= 9  # the references the configuration makes today (a regex that stops matching fails here)
    missing = {r for r in refs if r not in declared}
    assert not missing, f"references to undeclared resources: {missing}"
    aliases = {_unquote(p['"snowflake"'].get("alias", '""')) for p in HCL["provider"]}
    for (rtype, name), body in resources().items():
        if "provider" in body:
            alias = body["provider"].strip("${}").split(".", 1)[1]
            assert alias in aliases, f"{rtype}.{name} uses undeclared provider alias {alias}"


def test_variables_and_outputs_are_documented():
    for name, body in variables().items():
        assert body.get("description", "").strip('"'), f"variable {name} has no description"
        assert "type" in body, f"variable {name} has no type"
    for item in HCL.get("output", []):
        for name, body in item.items():
            assert body.get("description", "").strip('"'), f"output {name} has no description"
    sensitive = [n for n, b in variables().items() if "private_key" in n]
    assert sensitive and all(variables()[n].get("sensitive") is True for n in sensitive)


def test_warehouses_suspend_and_are_monitored():
    default = variables()["warehouses"]["default"]
    assert set(default) == {"INGEST", "TRANSFORM", "ML", "BI"}
    for name, spec in default.items():
        assert 60 <= spec["auto_suspend_seconds"] <= 300, name
        assert spec["monthly_credit_quota"] > 0, name
    wh = resources()[("snowflake_warehouse", "workload")]
    assert wh["auto_resume"] is True and wh["initially_suspended"] is True
    assert "snowflake_resource_monitor.workload[each.key]" in wh["resource_monitor"]
    rm = resources()[("snowflake_resource_monitor", "workload")]
    for key in ("notify_triggers", "suspend_trigger", "suspend_immediate_trigger", "credit_quota", "frequency",
                "start_timestamp"):  # fmt: skip
        assert key in rm, key


def test_warehouse_grants_match_the_role_matrix():
    (block,) = [item for item in HCL["locals"] if "warehouse_users" in item]
    granted = {f"WHOOP_{wh}_WH": sorted(map(_unquote, roles)) for wh, roles in block["warehouse_users"].items()}
    assert granted == {wh: sorted(roles) for wh, roles in MATRIX["warehouses"].items()}
    assert "WHOOP_BI" not in {r for wh, roles in granted.items() if wh != "WHOOP_BI_WH" for r in roles}


def test_service_users_and_roles_match_the_matrix():
    roles = next(item for item in HCL["locals"] if "roles" in item)["roles"]
    assert set(roles) == set(MATRIX["account_roles"])
    users = {name: body for (t, name), body in resources().items() if t == "snowflake_service_user"}
    assert set(users) == {"ci_deploy", "powerbi"}
    assert 'platform["WHOOP_BI"]' in users["powerbi"]["default_role"]


def test_preview_resources_are_enabled():
    used = {t for t, _ in resources()} & PREVIEW
    for provider in HCL["provider"]:
        listed = provider['"snowflake"'].get("preview_features_enabled", [])
        enabled = {_unquote(f).removesuffix("_resource") for f in listed}
        assert used <= enabled, f"preview resources used but not enabled: {used - enabled}"


def test_terraform_fmt_check():
    terraform = shutil.which("terraform")
    if not terraform:
        pytest.skip("terraform not on PATH: `terraform fmt -check` not run (the HCL parse above still ran)")
    out = subprocess.run([terraform, "fmt", "-check", "-recursive", "-diff", str(TF)], capture_output=True,
                         text=True, timeout=120)  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
