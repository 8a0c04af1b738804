"""A relay that is down, hung or refusing: the run stops at once and nobody is lost."""

# The fixtures brief and store come from test_send (imported, hence F811 on their use).
# ruff: noqa: F811

from __future__ import annotations

import time
from pathlib import Path

import pytest
from servers import SilentServer, free_port, serve
from smtp_server import SmtpServer
from test_send import NOW, PEOPLE, brief, send, store  # noqa: F401
from typer.testing import CliRunner

from briefing.app.cli import app
from briefing.contracts import Brief
from briefing.deliver.message import MailSettings
from briefing.deliver.send import SmtpSettings, send_edition
from briefing.errors import UserError
from briefing.render.brief import render_json
from briefing.store.subscribers import SubscriberStore


def send_to(brief: Brief, store: SubscriberStore, port: int, timeout_s: float = 30.0):  # type: ignore[no-untyped-def]
    settings = SmtpSettings(host="127.0.0.1", port=port, tls="none", timeout_s=timeout_s)
    return send_edition(
        brief,
        store=store,
        mail=MailSettings(sender="brief@example.com"),
        smtp=settings,
        edition="2025-06-10",
        now=NOW,
        backoff_s=0.01,
    )


def test_a_closed_relay_port_stops_the_run_at_once_and_the_next_run_sends_everyone(
    brief: Brief,
    store: SubscriberStore,
    smtp: SmtpServer,
) -> None:
    report = send_to(brief, store, free_port())

    assert report.stopped is not None and "connection refused" in report.stopped
    assert (report.sent, report.retried, report.failed, report.pending) == (0, 0, [], 5)
    again = send(brief, store, smtp)
    assert again.sent == 5 and smtp.inbox.per_recipient() == {p: 1 for p in PEOPLE}


def test_a_relay_refusing_the_sender_stops_the_run_and_nobody_is_marked_failed(
    brief: Brief,
    store: SubscriberStore,
    smtp: SmtpServer,
) -> None:
    smtp.inbox.mail_from_replies.extend(["530"])

    refused = send(brief, store, smtp)
    fixed = send(brief, store, smtp)

    assert refused.stopped is not None and "530 5.7.0 Authentication required" in refused.stopped
    assert (refused.sent, refused.failed, refused.pending) == (0, [], 5)
    assert fixed.sent == 5 and smtp.inbox.per_recipient() == {p: 1 for p in PEOPLE}


def test_a_relay_that_never_answers_costs_one_timeout_for_the_whole_run(
    brief: Brief, store: SubscriberStore
) -> None:
    with serve(SilentServer()) as silent:
        started = time.monotonic()
        report = send_to(brief, store, silent.port, timeout_s=0.5)
        elapsed = time.monotonic() - started

    assert report.stopped is not None and "no answer within 0.5 s" in report.stopped
    assert (report.sent, report.pending) == (0, 5) and len(silent.accepted) == 1
    assert elapsed < 20, "a guard against a hang, not a timing measurement"


def test_a_relay_refusing_the_session_stops_the_run(brief: Brief, store: SubscriberStore) -> None:
    with serve(SilentServer(greeting=b"554 5.3.2 Not accepting mail\r\n")) as refusing:
        report = send_to(brief, store, refusing.port)

    assert report.stopped is not None and "554 5.3.2 Not accepting mail" in report.stopped
    assert (report.sent, report.failed, report.pending) == (0, [], 5) and len(refusing.accepted) == 1


def test_a_refusal_of_one_message_is_that_subscribers_and_a_deferral_is_retried(
    brief: Brief, store: SubscriberStore, smtp: SmtpServer
) -> None:
    smtp.inbox.data_replies.extend(["451", "ok", "554"])  # ana deferred then taken; bo refused

    report = send(brief, store, smtp)
    rerun = send(brief, store, smtp)

    assert smtp.inbox.per_recipient() == {p: 1 for p in PEOPLE if p != "bo@example.org"}
    assert report.failed == [("bo@example.org", "554 5.6.0 Message refused")]
    assert (report.sent, report.retried, report.uncertain) == (4, 1, [])
    assert (rerun.sent, rerun.already_sent, rerun.uncertain) == (0, 4, [])


def test_the_cli_says_one_line_exits_1_and_leaves_the_rows_pending(
    brief: Brief,
    smtp: SmtpServer,
    tmp_path: Path,
) -> None:
    brief_file = tmp_path / "brief.json"
    brief_file.write_text(render_json(brief), encoding="utf-8")
    env = {**smtp.env(), "BRIEFING_DB": str(tmp_path / "db.sqlite3")}
    runner = CliRunner()
    for person in PEOPLE:
        runner.invoke(app, ["subscribers", "add", person], env=env)
    down = {**env, "BRIEFING_SMTP_PORT": str(free_port()), "BRIEFING_SMTP_TIMEOUT": "5"}

    stopped = runner.invoke(app, ["send", str(brief_file), "--force"], env=down)
    resumed = runner.invoke(app, ["send", str(brief_file), "--force"], env=env)
    bad_timeout = runner.invoke(
        app, ["send", str(brief_file), "--force"], env={**env, "BRIEFING_SMTP_TIMEOUT": "x"}
    )

    errors = [line for line in stopped.stderr.splitlines() if "error:" in line]
    assert stopped.exit_code == 1 and len(errors) == 1 and "connection refused" in errors[0]
    assert "5 still pending" in stopped.stderr and "Traceback" not in stopped.output
    assert resumed.exit_code == 0 and "5 sent now" in resumed.stderr
    assert bad_timeout.exit_code == 1 and "BRIEFING_SMTP_TIMEOUT" in bad_timeout.stderr
    assert smtp.inbox.per_recipient() == {p: 1 for p in PEOPLE}


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_a_login_over_an_unencrypted_connection_is_refused_unless_allowed(
    brief: Brief, tmp_path: Path
) -> None:
    brief_file = tmp_path / "brief.json"
    brief_file.write_text(render_json(brief), encoding="utf-8")
    with serve(SmtpServer(login=("brief", "s3cret-pass"), login_without_tls=True)) as server:
        env = {
            **server.env(),
            "BRIEFING_DB": str(tmp_path / "db.sqlite3"),
            "BRIEFING_SMTP_USER": "brief",
            "BRIEFING_SMTP_PASSWORD": "s3cret-pass",
        }
        runner = CliRunner()
        runner.invoke(app, ["subscribers", "add", "ana@example.org"], env=env)

        refused = runner.invoke(app, ["send", str(brief_file), "--force"], env=env)
        logins_after_refusal = list(server.logins)
        allowed = runner.invoke(
            app, ["send", str(brief_file), "--force"], env={**env, "BRIEFING_SMTP_ALLOW_PLAIN_AUTH": "1"}
        )

    assert refused.exit_code == 1 and logins_after_refusal == []
    assert "BRIEFING_SMTP_ALLOW_PLAIN_AUTH" in refused.stderr and "s3cret" not in refused.output
    assert len(refused.stderr.strip().splitlines()) == 1
    assert allowed.exit_code == 0 and server.logins == ["brief"]
    assert server.inbox.per_recipient() == {"ana@example.org": 1}
    with pytest.raises(UserError, match="unencrypted"):
        SmtpSettings(host="h", port=25, user="u", password="p", tls="none")
