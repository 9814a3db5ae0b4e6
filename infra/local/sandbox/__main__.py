"""`python -m infra.local.sandbox --port N --state-dir DIR ...`: serve the sandbox with uvicorn."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

import uvicorn

from infra.local.sandbox.app import create_app
from infra.local.sandbox.config import SandboxConfig


def parse_args(argv: list[str] | None = None) -> tuple[SandboxConfig, str, int]:
    p = argparse.ArgumentParser(prog="python -m infra.local.sandbox", description=__doc__)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8766)
    p.add_argument("--state-dir", type=Path, required=True)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--members", default="alice,bob,carol", help="comma-separated member names")
    p.add_argument("--days", type=int, default=365)
    p.add_argument("--today", type=date.fromisoformat, default=None, help="pin the last day (YYYY-MM-DD)")
    p.add_argument("--clock-scale", type=float, default=1.0)
    p.add_argument("--expires-in", type=int, default=3600)
    p.add_argument("--rate-per-minute", type=int, default=100)
    p.add_argument("--rate-per-day", type=int, default=10_000)
    p.add_argument("--client-id", default="whoop-sandbox-client")
    p.add_argument("--client-secret", default=None)
    a = p.parse_args(argv)
    config = SandboxConfig(
        seed=a.seed,
        members=[m.strip() for m in a.members.split(",") if m.strip()],
        days=a.days,
        today=a.today,
        clock_scale=a.clock_scale,
        state_dir=a.state_dir,
        expires_in=a.expires_in,
        rate_per_minute=a.rate_per_minute,
        rate_per_day=a.rate_per_day,
        client_id=a.client_id,
        client_secret=a.client_secret,
    )
    return config, a.host, a.port


def serve(config: SandboxConfig, host: str = "127.0.0.1", port: int = 8766) -> None:
    uvicorn.run(create_app(config), host=host, port=port, log_level="warning")


def main(argv: list[str] | None = None) -> None:
    config, host, port = parse_args(argv)
    serve(config, host, port)


if __name__ == "__main__":
    main()
