"""streamlit-version: the app's Streamlit pins a version Snowflake supports for Native Apps, and its pages
use neither features Snowflake lists as unsupported nor features newer than the pinned version.

https://docs.snowflake.com/en/developer-guide/native-apps/adding-streamlit: the Native App Framework supports
the Streamlit versions Streamlit in Snowflake lists for warehouse runtimes
(`streamlit_versions.SUPPORTED_NATIVE_APP_STREAMLIT_VERSIONS`), pinned by `streamlit=<version>` in an
environment.yml at the same level as the main file, else `DEFAULT_NATIVE_APP_STREAMLIT_VERSION` applies;
"Warehouse runtime unsupported features" (`UNSUPPORTED_FEATURES`, `UNSUPPORTED_PAGE_CONFIG_ARGS`,
`UNSUPPORTED_FILES`). The data and its sources live in `infra/preflight/streamlit_versions.py`.

Feature -> first Streamlit release that has it (`FIRST_VERSION`), from Streamlit's release notes
(docs.streamlit.io/develop/quick-reference/release-notes); each name was checked to exist in the installed
streamlit. Pages are the main file, `pages/*.py` and the other .py files in the folder, read with `ast`:
calls `st.<name>(…)` / `st.<a>.<b>(…)`, keyword arguments, and keyword values such as width="stretch".
Without a pin the missing pin is reported and the pages are checked against the default version.
"""

from __future__ import annotations

import ast
from pathlib import Path

import yaml

from infra.preflight import streamlit_versions
from infra.preflight.project import Finding, Project

RULE = "streamlit-version"
DOC = streamlit_versions.ADDING_STREAMLIT
TITLE = "Streamlit pinned to a supported version; no unsupported or newer features"

# "st.x" (attribute used), "st.x(kw=)" (keyword argument given), "st.x(kw='v')" (keyword with that value),
# "*(kw='v')" (on any st call) -> first version.
FIRST_VERSION: dict[str, str] = {
    "st.cache_data": "1.18.0",
    "st.cache_resource": "1.18.0",
    "st.data_editor": "1.23.0",
    "st.column_config": "1.23.0",
    "st.dataframe(hide_index=)": "1.23.0",
    "st.dataframe(column_config=)": "1.23.0",
    "st.dataframe(column_order=)": "1.23.0",
    "st.chat_message": "1.24.0",
    "st.chat_input": "1.24.0",
    "st.status": "1.26.0",
    "st.toggle": "1.26.0",
    "st.link_button": "1.27.0",
    "st.rerun": "1.27.0",
    "st.container(border=)": "1.29.0",
    "st.query_params": "1.30.0",
    "st.page_link": "1.31.0",
    "st.switch_page": "1.31.0",
    "st.write_stream": "1.31.0",
    "st.popover": "1.32.0",
    "st.html": "1.33.0",
    "st.logo": "1.35.0",
    "st.dataframe(on_select=)": "1.35.0",
    "st.navigation": "1.36.0",
    "st.Page": "1.36.0",
    "st.dialog": "1.37.0",
    "st.fragment": "1.37.0",
    "st.context": "1.37.0",
    "st.feedback": "1.39.0",
    "st.pills": "1.40.0",
    "st.segmented_control": "1.40.0",
    "st.audio_input": "1.40.0",
    # 1.46.0: "[AdvancedLayouts] Adds a width parameter to …" many elements; 1.49.0: "st.dataframe and
    # st.data_editor have width and height to use with flex layouts" (release notes of each version).
    "*(width='stretch')": "1.46.0",
    "*(width='content')": "1.46.0",
    "st.dataframe(width='stretch')": "1.49.0",
    "st.dataframe(width='content')": "1.49.0",
    "st.data_editor(width='stretch')": "1.49.0",
    "st.data_editor(width='content')": "1.49.0",
}


def _version(v: str) -> tuple[int, ...]:
    out = []
    for part in v.split("."):
        digits = "".join(c for c in part if c.isdigit())
        out.append(int(digits) if digits else 0)
    return tuple(out + [0] * (3 - len(out)))


def pinned_streamlit(env_file: Path) -> tuple[str | None, int, str | None]:
    """(pinned version, line, raw spec) of `streamlit` in an environment.yml; version None when unpinned."""
    try:
        text = env_file.read_text(encoding="utf-8")
        data = yaml.safe_load(text) or {}
    except (OSError, yaml.YAMLError):
        return None, 1, None
    deps = data.get("dependencies") if isinstance(data, dict) else None
    for dep in deps or []:
        if not isinstance(dep, str):
            continue
        name = dep.split("=")[0].split("<")[0].split(">")[0].strip().lower()
        if name != "streamlit":
            continue
        line = next((i for i, raw in enumerate(text.splitlines(), 1) if dep in raw), 1)
        spec = dep[len("streamlit") :].strip()
        if spec.startswith("==") or (spec.startswith("=") and not spec.startswith("=>")):
            v = spec.lstrip("=").strip()
            if v and not any(c in v for c in "*<>,|"):
                return v, line, dep
        return None, line, dep
    return None, 1, None


def _st_names(tree: ast.AST) -> set[str]:
    """Local names bound to the streamlit module (`import streamlit as st`)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name == "streamlit":
                    names.add(a.asname or "streamlit")
    return names


def _dotted(node: ast.AST, roots: set[str]) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name) and node.id in roots and parts:
        return "st." + ".".join(reversed(parts))
    return None


def uses(path: Path) -> list[tuple[int, str]]:
    """(line, feature key) for each Streamlit feature the file uses, in FIRST_VERSION/UNSUPPORTED key form."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (OSError, SyntaxError, ValueError):
        return []
    roots = _st_names(tree)
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            out += [(node.lineno, "st.components") for m in modules if m.startswith("streamlit.components")]
        if isinstance(node, ast.Attribute):
            name = _dotted(node, roots)
            if name:
                head = ".".join(name.split(".")[:2])
                out.append((node.lineno, head))
        if isinstance(node, ast.Call):
            name = _dotted(node.func, roots)
            if not name:
                continue
            for kw in node.keywords:
                if kw.arg is None:
                    continue
                out.append((node.lineno, f"{name}({kw.arg}=)"))
                if isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
                    out.append((node.lineno, f"{name}({kw.arg}='{kw.value.value}')"))
    return out


def _pages(folder: Path, main: str) -> list[Path]:
    files = [folder / main] if (folder / main).is_file() else []
    files += sorted(p for p in folder.rglob("*.py") if p not in files)
    return files


def check(project: Project) -> list[Finding]:
    findings: list[Finding] = []
    supported = streamlit_versions.SUPPORTED_NATIVE_APP_STREAMLIT_VERSIONS
    unsupported = {f"st.{name}" for name in streamlit_versions.UNSUPPORTED_FEATURES} | {
        f"st.set_page_config({arg}=)" for arg in streamlit_versions.UNSUPPORTED_PAGE_CONFIG_ARGS
    }
    for app in project.streamlit_apps():
        if app.folder is None:
            where = (app.statement.path, app.statement.line)
            findings.append(
                Finding(
                    RULE,
                    *where,
                    f"the Streamlit main file {app.main_file} of CREATE STREAMLIT is not in the project's artifacts",
                    DOC,
                )
            )
            continue
        for rel in streamlit_versions.UNSUPPORTED_FILES:
            if (app.folder / rel).is_file():
                findings.append(Finding(RULE, app.folder / rel, 1, f"{rel}: not supported in a warehouse runtime", DOC))
        env = app.folder / "environment.yml"
        version: str | None = streamlit_versions.DEFAULT_NATIVE_APP_STREAMLIT_VERSION
        which = f"the default {version}"
        if not env.is_file():
            findings.append(
                Finding(
                    RULE,
                    app.folder / app.main_file,
                    1,
                    f"no environment.yml next to {app.main_file} pinning streamlit=<version>: the app "
                    f"gets {which}; pin one of {', '.join(supported)}",
                    DOC,
                )
            )
        else:
            pinned, line, spec = pinned_streamlit(env)
            if pinned is None:
                findings.append(
                    Finding(
                        RULE,
                        env,
                        line,
                        f"streamlit is not pinned to one version "
                        f"({spec or 'not listed'}): the app gets {which}; pin one of "
                        f"{', '.join(supported)}",
                        DOC,
                    )
                )
            elif pinned not in supported:
                findings.append(
                    Finding(
                        RULE,
                        env,
                        line,
                        f"streamlit={pinned} is not a supported version for a Native App ({', '.join(supported)})",
                        DOC,
                    )
                )
                version = None  # which version would run is unknown: no feature check against it
            else:
                version, which = pinned, f"the pinned {pinned}"
        seen: set[tuple[Path, int, str]] = set()
        for page in _pages(app.folder, app.main_file):
            for line, key in uses(page):
                if (page, line, key) in seen:
                    continue
                seen.add((page, line, key))
                if key in unsupported:
                    findings.append(
                        Finding(
                            RULE,
                            page,
                            line,
                            f"{key}: listed as unsupported in a Native App's Streamlit (warehouse runtime)",
                            DOC,
                        )
                    )
                first = FIRST_VERSION.get(key)
                if first is None and "(" in key:  # a keyword value on any call: "*(width='stretch')"
                    first = FIRST_VERSION.get("*" + key[key.index("(") :])
                if version and first and _version(first) > _version(version):
                    findings.append(
                        Finding(RULE, page, line, f"{key} needs Streamlit {first}, newer than {which}", DOC)
                    )
    return findings
