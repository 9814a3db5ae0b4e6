"""`whoop`: the command line of the WHOOP data platform's local stack and pipeline.

Where it works: the local stack by default, or a Snowflake account named the way `snow` names one
(`--connection NAME`, SNOWFLAKE_DEFAULT_CONNECTION_NAME, `--temporary-connection`; infra/local/connection.py).
The jobs return results and report progress through a callback; this module is the only one that prints
(the wording is in report.py).

Error contract: every failure is one line on stderr and a non-zero exit, never a traceback.
`WhoopError` (a problem the user can act on) exits 1; anything else is a bug, exits 2 and leaves its
traceback in `$WHOOP_HOME/logs/cli.log`; Ctrl-C exits 130 quietly. A local warehouse that stops answering is
not a bug: "cannot reach the local warehouse at …", exit 1, whichever call noticed it.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import traceback
import warnings
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

from infra.local import inputs, report
from infra.local import settings as settings_mod
from infra.local.connection import Target, resolve
from infra.local.errors import RunFailed, WhoopError, warehouse_failure
from infra.local.settings import REPO_ROOT, Settings

PIPELINE_MODULE = "infra.local.pipeline"
AUTH_CREDENTIALS = ("client_id", "client_secret", "auth_url", "token_url")


class _UsageError(Exception):
    """argparse's complaint about the command line, reported as one line instead of usage + message."""


class _Formatter(argparse.HelpFormatter):
    """Wide enough, and aligned past the longest command name, so every command's help stays on one line."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=24, width=110)

    def add_argument(self, action: argparse.Action) -> None:
        super().add_argument(action)
        if isinstance(action, argparse._SubParsersAction):  # argparse measures them one indent short
            self._action_max_length += self._indent_increment


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        raise _UsageError(f"{self.prog}: {message} (see '{self.prog} --help')")


# --- commands ------------------------------------------------------------------------------------


def _pipeline(name: str) -> Callable[..., Any]:
    """The pipeline function `name`, imported only when a command needs it (the module may not exist yet)."""
    try:
        module = importlib.import_module(PIPELINE_MODULE)
    except ModuleNotFoundError as e:
        if e.name != PIPELINE_MODULE:
            raise
        raise WhoopError(f"the pipeline module ({PIPELINE_MODULE}) is not available in this checkout") from None
    func = getattr(module, name, None)
    if not callable(func):
        raise WhoopError(f"{PIPELINE_MODULE} has no function {name}() in this checkout")
    return func


def _print_services(rows: list, as_json: bool, with_message: bool) -> None:
    if as_json:
        print(json.dumps([r.to_dict() for r in rows], indent=2))
        return
    for r in rows:
        detail = r.message if with_message and r.message else r.state
        pid = f" pid {r.pid}" if r.pid else ""
        print(f"{r.name:<10} {detail:<40} {r.url}  port {r.port}{pid}")


def _say(line: str) -> None:
    """A progress line, written at once: a terminal and a plain log both show where long work is."""
    print(line, flush=True)


def _answer(args: argparse.Namespace, result: Any, lines: Callable[[Any], list[str]]) -> int:
    """A command's result: as JSON with --json, else its report lines."""
    if args.json:
        print(json.dumps(result, indent=2, default=str))
    else:
        _lines(lines(result))
    return 0


def _lines(lines: list[str]) -> None:
    for line in lines:
        print(line)


def _target(args: argparse.Namespace) -> Target:
    target = getattr(args, "target", None)
    if target is None:
        raise WhoopError("no connection resolved for this command")
    return target


def _local_only(args: argparse.Namespace, what: str) -> None:
    _target(args).require_local(what)


def cmd_local(args: argparse.Namespace, settings: Settings) -> int:
    from infra.local import stack

    _local_only(args, "whoop local")
    if args.action == "up":
        _print_services(stack.up(settings), args.json, with_message=True)
    elif args.action == "down":
        _print_services(stack.down(settings), args.json, with_message=True)
    else:
        _print_services(stack.status(settings), args.json, with_message=False)
    return 0


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    _local_only(args, "whoop demo")
    summary = _pipeline("demo")(settings, progress=_say)
    _lines(report.demo(summary, settings.home))
    return 0


def cmd_deploy(args: argparse.Namespace, settings: Settings) -> int:
    if not args.local:
        raise WhoopError(
            "only local deploys are supported here: run 'whoop deploy --local' (on an account: snow app run)"
        )
    _local_only(args, "whoop deploy --local")
    _lines(report.deployed(_pipeline("deploy_local")(settings)))
    return 0


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    _say(report.RUN_HEADER)
    try:
        result = _pipeline("run_once")(_target(args), progress=_say)
    except RunFailed as e:
        _lines(report.run(e.result))  # what did run (the other members' data is loaded), then the one line
        raise
    _lines(report.run(result))
    # then scoring, as the daily scoring task does (its forecasts use the data just loaded; it trains the members no
    # retrain has reached first)
    _say("scoring: tomorrow's recovery and tonight's sleep, the newest recovery's drivers, anomalies…")
    _lines(report.scored(_pipeline("ml_score")(_target(args))))
    return 0


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    return _answer(args, _pipeline("status")(_target(args)), report.status)


def cmd_bench(args: argparse.Namespace, settings: Settings) -> int:
    _local_only(args, "whoop bench")
    return int(_pipeline("bench")(settings, quick=args.quick, only=args.only) or 0)


def cmd_auth(args: argparse.Namespace, settings: Settings) -> int:
    target = _target(args)
    if not target.is_local:
        return _auth_on_connection(args, target)
    if args.user_id is not None or args.redirect_url is not None:
        raise WhoopError(
            "--user-id and --redirect-url sign a member in on a connection (whoop -c NAME auth); on the local stack "
            "whoop auth signs the sandbox's members in itself"
        )
    given = {k: getattr(args, k) for k in AUTH_CREDENTIALS if getattr(args, k) is not None}
    if given and len(given) != len(AUTH_CREDENTIALS):
        raise WhoopError("--client-id, --client-secret, --auth-url and --token-url must be given together")
    kwargs: dict[str, Any] = dict(given)
    if args.member is not None:
        kwargs["member"] = inputs.member_name(args.member)
    if args.snowflake_managed:
        kwargs["snowflake_managed"] = True
    if args.no_browser:
        kwargs["open_browser"] = lambda _url: None
    members = _pipeline("auth")(settings, progress=_say, **kwargs)
    if args.snowflake_managed:
        print(f"authorized {len(members)} member(s) through OAUTH2 secrets: {', '.join(members)}")
    elif given:
        print(f"authorized member {members[0]}")
    else:
        print(f"authorized {len(members)} member(s): {', '.join(members)}")
    return 0


def _auth_on_connection(args: argparse.Namespace, target: Target) -> int:
    """A real member's sign-in through the installed app's Snowflake-managed OAuth (infra/local/auth.py)."""
    from infra.local.auth import sign_in_on_connection

    local_options = [f"--{k.replace('_', '-')}" for k in AUTH_CREDENTIALS if getattr(args, k) is not None]
    if local_options or args.snowflake_managed:
        raise WhoopError(
            f"{' '.join(local_options) or '--snowflake-managed'}: local-stack options; on {target.label} the app "
            "holds the WHOOP client (CALL <app>.OPS.SET_WHOOP_CLIENT) and whoop auth uses its Snowflake-managed OAuth"
        )
    if args.member is None:
        raise WhoopError("on a connection whoop auth needs --member NAME (and --user-id ID to connect a new member)")
    member = inputs.member_name(args.member)
    user_id = inputs.whoop_user_id(args.user_id) if args.user_id is not None else None

    def redirect_for(url: str) -> str:
        opened = False
        if not args.no_browser:
            import webbrowser

            opened = bool(webbrowser.open(url))
        _lines(report.sign_in(member, url, opened))
        if args.redirect_url is not None:
            return args.redirect_url
        _say(report.SIGN_IN_PROMPT)
        return sys.stdin.readline()

    result = sign_in_on_connection(target, member, user_id, redirect_for, progress=_say)
    print(report.authorized_on_connection(result))
    return 0


def cmd_import_export(args: argparse.Namespace, settings: Settings) -> int:
    member, folder = inputs.member_name(args.member), inputs.export_folder(args.path)  # before any heavy import
    kwargs: dict[str, Any] = {"new_member": True} if args.new_member else {}
    target = _target(args)
    if not target.is_local:
        kwargs["target"] = target  # the connection reaches the job, which says where it can import
    result = _pipeline("import_export")(settings, folder, member, progress=_say, **kwargs)
    _lines(report.imported(result))
    if args.no_run:
        return 0
    # carried through to Gold: one firing of the task graph, as `whoop run` (the import only starts the pipeline,
    # whose schedule would take the rows through on an account within the hour, and never on the local stack)
    return cmd_run(args, settings)


def cmd_app(args: argparse.Namespace, settings: Settings) -> int:
    from infra.local import dashboard

    _local_only(args, "whoop app (the dashboard on localhost; on an account open the app's Streamlit in Snowsight)")
    port = inputs.port(args.port, "--port")
    _say(f"dashboard on http://127.0.0.1:{port} (warehouse {settings.warehouse_url}); Ctrl-C to stop")
    return dashboard.serve(settings, port, args.role)


def cmd_ml_backtest(args: argparse.Namespace, settings: Settings) -> int:
    member = inputs.member_name(args.member)
    return _answer(args, _pipeline("ml_backtest")(_target(args), member), lambda r: report.backtest(member, r))


def cmd_ml_train(args: argparse.Namespace, settings: Settings) -> int:
    member = inputs.member_name(args.member) if args.member else None
    if not args.json:
        _say(f"training the models ({member or 'every member'}): walk-forward evaluation, serving rule, registry…")
    return _answer(args, _pipeline("ml_train")(_target(args), member), report.trained)


def cmd_ml_score(args: argparse.Namespace, settings: Settings) -> int:
    if not args.json:
        _say("scoring tomorrow's recovery and tonight's sleep, explaining the newest recovery, finding anomalies…")
    return _answer(args, _pipeline("ml_score")(_target(args)), report.scored)


def cmd_preflight(args: argparse.Namespace, settings: Settings) -> int:
    """Snowflake's documented Native App rules, checked statically: exit 1 on a finding, 2 if no project."""
    from infra.preflight.runner import ProjectError, run

    try:
        report = run(args.project_dir)
    except ProjectError as e:
        print(f"whoop: preflight: {_one_line(str(e))}", file=sys.stderr)
        return 2
    root = args.project_dir
    print(report.to_json(root) if args.json else "\n".join(report.lines(root)))
    return 0 if report.ok else 1


# --- parser --------------------------------------------------------------------------------------


def _add(
    sub: argparse._SubParsersAction, name: str, text: str, func: Callable[..., int] | None = None, json: str = ""
) -> argparse.ArgumentParser:
    """A subcommand whose one-line help also heads its own --help, run by `func`; `json` helps its --json option."""
    p = sub.add_parser(name, help=text, description=text)
    if func is not None:
        p.set_defaults(func=func)
    if json:
        p.add_argument("--json", action="store_true", help=json)
    return p


def _connection_options(p: argparse.ArgumentParser, default: Any) -> None:
    """Where the command works, as `snow` names it; given before the command or after it."""
    p.add_argument(
        "--connection",
        "-c",
        metavar="NAME",
        default=default,
        help="a connection of ~/.snowflake/connections.toml or config.toml (default: the local stack)",
    )
    p.add_argument(
        "--temporary-connection",
        "-x",
        action="store_true",
        default=default if default is argparse.SUPPRESS else False,
        help="connect with the SNOWFLAKE_* variables alone (SNOWFLAKE_ACCOUNT, SNOWFLAKE_USER, ...)",
    )
    p.add_argument(
        "--app",
        metavar="NAME",
        default=default,
        help="the installed app's name on the account (default: $WHOOP_APP, else WHOOP_PLATFORM)",
    )


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="whoop", description="WHOOP data platform: local stack, pipeline and tools.")
    _connection_options(p, None)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_commands(sub)
    _on_every_command(sub)
    return p


def _on_every_command(sub: argparse._SubParsersAction) -> None:
    """`whoop status --connection NAME` works as `whoop --connection NAME status` (as `snow` takes it after)."""
    for command in sub.choices.values():
        nested = [a for a in command._actions if isinstance(a, argparse._SubParsersAction)]
        if nested:
            _on_every_command(nested[0])
        else:
            _connection_options(command, argparse.SUPPRESS)


def _add_commands(sub: argparse._SubParsersAction) -> None:

    local = _add(sub, "local", "start, stop or inspect the local warehouse and WHOOP sandbox")
    local_sub = local.add_subparsers(dest="action", required=True, metavar="ACTION")
    for action, text in (
        ("up", "start both servers in the background (idempotent)"),
        ("down", "stop both servers (idempotent)"),
        ("status", "show each server's state, URL and port"),
    ):
        _add(local_sub, action, text, cmd_local, json="print JSON instead of one line per server")

    _add(sub, "demo", "start the stack, deploy, run the pipeline end to end, print a summary", cmd_demo)
    s = _add(sub, "deploy", "deploy the app's objects to the local warehouse", cmd_deploy)
    s.add_argument("--local", action="store_true", help="deploy to the local warehouse (the only target)")
    _add(sub, "run", "run the task graph once: ingest, Silver, quality checks, Gold; then ML scoring", cmd_run)
    status = "members, the last run, freshness and failed quality checks of the installed app"
    _add(sub, "status", status, cmd_status, json="print the status as JSON")
    s = _add(sub, "bench", "run the benchmarks and write bench/results/latest.json", cmd_bench)
    s.add_argument("--quick", action="store_true", help="tiny sizes, a smoke test (the figures are not comparable)")
    s.add_argument(
        "--only",
        action="append",
        metavar="NAME",
        help="run this benchmark only (a module of bench/, e.g. ml; repeatable) and merge its figures into the results",
    )

    s = _add(sub, "app", "serve the Streamlit dashboard on localhost against the local warehouse", cmd_app)
    s.add_argument("--port", default="8501", help="port to serve on (default 8501)")
    s.add_argument("--role", metavar="ROLE", help="application role the session stands for (app_admin, app_viewer)")

    auth = "authorize a member against the WHOOP API (sandbox unless credentials given or a connection)"
    s = _add(sub, "auth", auth, cmd_auth)
    s.add_argument("--member", metavar="NAME", help="member to authorize (required on a connection)")
    s.add_argument(
        "--user-id",
        metavar="ID",
        help="on a connection: the member's WHOOP user id (omit to re-authorize a connected member)",
    )
    s.add_argument(
        "--redirect-url",
        metavar="URL",
        help="on a connection: the redirect URL of this run's sign-in, instead of stdin",
    )
    s.add_argument("--no-browser", action="store_true", help="print the sign-in URL without opening a browser")
    s.add_argument("--client-id", metavar="ID", help="OAuth client id (with the other three credentials)")
    s.add_argument("--client-secret", metavar="S", help="OAuth client secret")
    s.add_argument("--auth-url", metavar="URL", help="OAuth authorization endpoint")
    s.add_argument("--token-url", metavar="URL", help="OAuth token endpoint")
    s.add_argument(
        "--snowflake-managed",
        action="store_true",
        help="connect through OAUTH2 secrets and SYSTEM$START/FINISH_OAUTH_FLOW (Snowflake refreshes the token)",
    )

    import_export = "import a WHOOP app export (ZIP or folder) for a member, all files or none, then run the pipeline"
    s = _add(sub, "import-export", import_export, cmd_import_export)
    s.add_argument("path", type=Path, metavar="EXPORT", help="the WHOOP export's ZIP, or the folder it unzips to")
    s.add_argument("--member", metavar="NAME", required=True, help="member the export belongs to (one the app knows)")
    s.add_argument(
        "--new-member", action="store_true", help="create the member if the app does not know it yet (export only)"
    )
    s.add_argument(
        "--no-run",
        action="store_true",
        help="load Bronze only; the rows reach Silver and Gold at the next `whoop run` (or the schedule's)",
    )

    preflight = "check a Native App project against Snowflake's documented rules before deploy"
    s = _add(sub, "preflight", preflight, cmd_preflight, json="print the rules and findings as JSON")
    s.add_argument(
        "project_dir",
        nargs="?",
        type=Path,
        default=REPO_ROOT,
        metavar="PROJECT_DIR",
        help="the project folder (snowflake.yml or manifest.yml; default: this repository)",
    )

    ml = _add(sub, "ml", "machine-learning tools")
    ml_sub = ml.add_subparsers(dest="action", required=True, metavar="ACTION")
    s = _add(
        ml_sub, "backtest", "backtest the model on a member's history", cmd_ml_backtest, json="print the result as JSON"
    )
    s.add_argument("--member", metavar="NAME", required=True, help="member to backtest")
    s = _add(
        ml_sub,
        "train",
        "train now, as the weekly retrain task does: evaluate, choose what is served, register",
        cmd_ml_train,
        json="print the result as JSON",
    )
    s.add_argument("--member", metavar="NAME", help="one member (default: every member)")
    _add(
        ml_sub,
        "score",
        "score now, as the daily scoring task does: forecasts, recovery drivers, anomalies",
        cmd_ml_score,
        json="print the result as JSON",
    )


# --- entry point ---------------------------------------------------------------------------------


def _cli_log_path() -> Path:
    try:
        return settings_mod.load().logs_dir / "cli.log"
    except Exception:
        return REPO_ROOT / ".whoop" / "logs" / "cli.log"


def _log_unexpected(exc: BaseException) -> Path:
    """Append the traceback to cli.log; if even that fails, the one-line error still goes out."""
    path = _cli_log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a") as fh:
            fh.write(f"--- {datetime.now(UTC).isoformat(timespec='seconds')} whoop {' '.join(sys.argv[1:])}\n")
            fh.write("".join(traceback.format_exception(exc)))
    except OSError:
        pass
    return path


def _load_settings() -> Settings:
    try:
        settings = settings_mod.load()
    except ValueError as e:
        raise WhoopError(f"invalid local stack setting in the environment: {e}") from None
    for variable, value in (
        ("WHOOP_WAREHOUSE_PORT", settings.warehouse_port),
        ("WHOOP_SANDBOX_PORT", settings.sandbox_port),
    ):
        inputs.port(value, variable)
    return settings


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def main(argv: list[str] | None = None) -> int:
    """Run one `whoop` command; returns the exit code (the console script passes it to sys.exit)."""
    settings: Settings | None = None
    target: Target | None = None
    # the connector's vendored requests warns about this environment's urllib3/chardet versions on import: noise
    # on stderr, where a failure must be one line
    warnings.filterwarnings("ignore", message=r"urllib3 \(.*\) or chardet .* doesn't match a supported version")
    try:
        args = build_parser().parse_args(argv)
        settings = _load_settings()
        if args.func is not cmd_preflight:  # preflight reads files only
            args.target = target = resolve(settings, args.connection, args.temporary_connection, args.app)
        return int(args.func(args, settings) or 0)
    except _UsageError as e:
        print(_one_line(str(e)), file=sys.stderr)
        return 2
    except WhoopError as e:
        print(f"whoop: {_one_line(e.message)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as e:
        # the warehouse going away mid-command surfaces as a connector or HTTP error: one line, not a bug
        if target is not None and not target.is_local and type(e).__module__.startswith("snowflake.connector"):
            print(f"whoop: on {target.label}: {_one_line(str(getattr(e, 'msg', None) or e))[:300]}", file=sys.stderr)
            return 1
        down = warehouse_failure(e, settings.warehouse_url) if settings else None
        if down:
            print(f"whoop: {down.message}", file=sys.stderr)
            return 1
        path = _log_unexpected(e)
        print(f"whoop: unexpected error: {type(e).__name__}: {_one_line(str(e))} (details in {path})", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
