"""The alert mail when the relay is down: never a second full timeout, and a timeout named as one.

Through the real CLI; the hung relay is tests/servers.py's SilentServer on 127.0.0.1.
"""

# The fixture desk comes from test_daily (imported, hence F811 on its use).
# ruff: noqa: F811

from __future__ import annotations

import time

from servers import SilentServer, serve
from test_daily import Desk, desk, lines  # noqa: F401


def test_a_relay_found_down_by_the_run_is_not_tried_again_for_the_alert(desk: Desk) -> None:
    with serve(SilentServer()) as hung:
        started = time.monotonic()
        result = desk.daily(
            BRIEFING_ALERT_TO="ops@example.com", BRIEFING_SMTP_PORT=str(hung.port), BRIEFING_SMTP_TIMEOUT="1"
        )
        elapsed = time.monotonic() - started

    assert result.exit_code == 1 and "Traceback" not in result.output
    assert len(hung.accepted) == 1, "the edition tried the relay once; the alert did not"
    assert lines(result)[-1] == (
        "briefing: alert to ops@example.com not sent: this run already found the relay down "
        f"(SMTP relay 127.0.0.1:{hung.port}: no answer within 1 s (BRIEFING_SMTP_TIMEOUT)); not tried again"
    )
    assert elapsed < 60, "a guard against a hang, not a timing measurement"


def test_an_alert_that_times_out_says_so(desk: Desk) -> None:
    with serve(SilentServer()) as hung:
        result = desk.daily(
            "--db",
            str(desk.root / "missing.sqlite3"),
            BRIEFING_ALERT_TO="ops@example.com",
            BRIEFING_SMTP_PORT=str(hung.port),
            BRIEFING_SMTP_TIMEOUT="1",
        )

    assert result.exit_code == 1 and len(hung.accepted) == 1
    assert lines(result)[-1] == (
        f"briefing: alert to ops@example.com not sent: 127.0.0.1:{hung.port}: "
        "no answer within 1 s (BRIEFING_SMTP_TIMEOUT)"
    )
