"""Run every preflight rule over a Native App project and format the result (`whoop preflight`)."""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from infra.preflight.project import Finding, Project, ProjectError, display, load

__all__ = ["RULES", "ProjectError", "Report", "run"]

# the modules of infra/preflight/rules/, in the order the report lists them
RULES: tuple[ModuleType, ...] = tuple(
    importlib.import_module(f"infra.preflight.rules.{name}")
    for name in (
        "procedure_secrets",
        "dynamic_table_incremental",
        "dmf_arguments",
        "app_privileges_rule",
        "account_level_names",
        "streamlit_version",
    )
)


class _MissingFiles:
    """Not a rule of its own: listed only when the setup script runs a file the project lacks."""

    RULE = "setup-script-files"
    TITLE = "every file the setup script runs exists"
    DOC = "https://docs.snowflake.com/en/sql-reference/sql/execute-immediate-from"


_missing_files = _MissingFiles


@dataclass
class Report:
    project: Project
    results: list[tuple[ModuleType | type, list[Finding]]]

    @property
    def findings(self) -> list[Finding]:
        return [f for _, fs in self.results for f in fs]

    @property
    def ok(self) -> bool:
        return not self.findings

    def lines(self, root: Path | None = None) -> list[str]:
        out = [
            f"preflight {display(self.project.root, None)}: manifest {display(self.project.manifest_path, root)}, "
            f"{len(self.project.files)} SQL file(s), {len(self.project.statements)} statement(s)"
        ]
        for rule, fs in self.results:
            out.append(f"{'PASS' if not fs else 'FAIL'} {rule.RULE}: {rule.TITLE} ({rule.DOC})")
        for f in self.findings:
            out.append(f"{display(f.path, root)}:{f.line}: {f.rule}: {f.message} ({f.doc})")
        return out

    def to_json(self, root: Path | None = None) -> str:
        return json.dumps(
            {
                "project": str(self.project.root),
                "ok": self.ok,
                "rules": [
                    {"rule": r.RULE, "doc": r.DOC, "passed": not fs, "findings": len(fs)} for r, fs in self.results
                ],
                "findings": [f.to_dict(root) for f in self.findings],
            },
            indent=2,
        )


def run(project_dir: Path | str) -> Report:
    """Load the project (ProjectError if it is not one) and run every rule."""
    project = load(project_dir)
    results: list[tuple[ModuleType | type, list[Finding]]] = []
    for rule in RULES:
        findings = sorted(rule.check(project), key=lambda f: (str(f.path), f.line, f.message))
        results.append((rule, findings))
    if project.missing:  # a file the setup script runs that the project does not have: install fails
        results.append(
            (
                _missing_files,
                [
                    Finding(
                        _missing_files.RULE,
                        st.path,
                        st.line,
                        f"EXECUTE IMMEDIATE FROM '{target}': no such file in the project's artifacts",
                        _missing_files.DOC,
                    )
                    for st, target in project.missing
                ],
            )
        )
    return Report(project, results)
