"""One recipient's trouble stays that recipient's, and every subscriber is counted once.

Against aiosmtpd on 127.0.0.1 (tests/smtp_server.py); the counts are checked against the
delivery ledger as the database holds it.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from smtp_server import SmtpServer
from test_send import NOW, brief  # noqa: F401
from typer.testing import CliRunner

from briefing.app.cli import app
from briefing.contracts import Brief
from briefing.deliver.message import MailSettings
from briefing.deliver.send import SendReport, SmtpSettings, send_edition
from briefing.render.brief import render_json
from briefing.store.subscribers import SubscriberStore

# ruff: noqa: F811


def people(tmp_path: Path, count: int) -> tuple[SubscriberStore, list[str]]:
    store = SubscriberStore(tmp_path / "db.sqlite3")
    addresses = [f"r{n}@example.org" for n in range(1, count + 1)]
    for address in addresses:
        store.add(address)
    return store, addresses


def send(brief: Brief, store: SubscriberStore, smtp: SmtpServer, **options: object) -> SendReport:
    return send_edition(
        brief,
        store=store,
        mail=MailSettings(sender="brief@example.com"),
        smtp=SmtpSettings.from_env(smtp.env()),
        edition="2025-06-10",
        now=NOW,
        backoff_s=0.01,
        **options,  # type: ignore[arg-type]
    )


def ledger(store: SubscriberStore) -> Counter[str]:
    rows = store.connection.execute("SELECT status FROM deliveries WHERE edition = '2025-06-10'")
    return Counter(status for (status,) in rows)


def buckets(report: SendReport) -> tuple[int, int, int, int, int]:
    return report.sent, report.already_sent, len(report.failed), len(report.uncertain), report.pending


def test_a_recipient_that_makes_the_relay_hang_up_stays_pending_and_the_run_goes_on(
    brief: Brief, smtp: SmtpServer, tmp_path: Path
) -> None:
    store, (r1, r2, r3, r4) = people(tmp_path, 4)
    smtp.inbox.script(r2, ["drop"] * 8)

    first = send(brief, store, smtp)
    again = send(brief, store, smtp)

    assert first.stopped is None and again.stopped is None
    assert smtp.inbox.per_recipient() == {r1: 1, r3: 1, r4: 1}
    assert [email for email, _ in first.deferred] == [r2] and "connection lost at RCPT" in first.deferred[0][
        1
    ]
    assert buckets(first) == (3, 0, 0, 0, 1) and buckets(again) == (0, 3, 0, 0, 1)
    assert ledger(store) == {"sent": 3, "pending": 1}


def test_drops_for_several_different_recipients_in_a_row_mean_the_relay_is_down(
    brief: Brief, smtp: SmtpServer, tmp_path: Path
) -> None:
    store, (r1, r2, r3, r4, _r5) = people(tmp_path, 5)
    for address in (r2, r3, r4):
        smtp.inbox.script(address, ["drop"] * 8)

    report = send(brief, store, smtp)

    assert report.stopped is not None and "3 different recipients in a row" in report.stopped
    assert report.relay_down is not None and smtp.inbox.per_recipient() == {r1: 1}
    assert buckets(report) == (1, 0, 0, 0, 4) and ledger(store) == {"sent": 1, "pending": 4}


def test_every_subscriber_is_counted_once_and_the_counts_match_the_ledger(
    brief: Brief, smtp: SmtpServer, tmp_path: Path
) -> None:
    store, (u1, u2, u3, u4, u5, u6) = people(tmp_path, 6)
    smtp.inbox.script(u2, ["550"])
    smtp.inbox.script(u3, ["450"] * 4)
    smtp.inbox.data_replies.extend(["ok", "ok", "554"])  # u1, u4, then u5 refused at the data

    report = send(brief, store, smtp)
    after_first = ledger(store)
    retried = send(brief, store, smtp, retry_failed=True)

    assert buckets(report) == (3, 0, 2, 0, 1) and sum(buckets(report)) == report.subscribers == 6
    assert after_first == {"sent": 3, "failed": 2, "pending": 1}
    assert "6 subscribers, 3 sent now, 0 sent before, 2 failed, 0 uncertain, 1 still pending" in report.line()
    assert [email for email, _ in report.deferred] == [u3] and report.retried == 1, "u3 had 4 attempts"
    assert buckets(retried) == (3, 3, 0, 0, 0) and ledger(store) == {"sent": 6}
    assert retried.retried == 2, "the two earlier failures, retried on request"
    assert smtp.inbox.per_recipient() == {u: 1 for u in (u1, u2, u3, u4, u5, u6)}


def test_an_invalid_test_copy_address_is_a_usage_error(
    brief: Brief, smtp: SmtpServer, tmp_path: Path
) -> None:
    brief_file = tmp_path / "brief.json"
    brief_file.write_text(render_json(brief), encoding="utf-8")
    people(tmp_path, 1)
    env = {**smtp.env(), "BRIEFING_DB": str(tmp_path / "db.sqlite3")}

    result = CliRunner().invoke(app, ["send", str(brief_file), "--force", "--to", "not-an-address"], env=env)

    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "--to" in result.stderr and "not an email address" in result.stderr
    assert smtp.inbox.messages == []


def test_a_drop_at_mail_from_on_a_new_connection_is_the_relays_and_on_a_reused_one_is_retried(
    brief: Brief, smtp: SmtpServer, tmp_path: Path
) -> None:
    store, addresses = people(tmp_path, 3)
    smtp.inbox.mail_from_replies.extend(["drop"])

    down = send(brief, store, smtp)
    smtp.inbox.mail_from_replies.extend(
        ["ok", "drop"]
    )  # the second message's MAIL FROM, on a reused connection
    resumed = send(brief, store, smtp)

    assert down.stopped is not None and "dropped the connection at MAIL FROM" in down.stopped
    assert buckets(down) == (0, 0, 0, 0, 3) and down.relay_down is not None
    assert resumed.stopped is None and buckets(resumed) == (3, 0, 0, 0, 0)
    assert smtp.inbox.per_recipient() == {a: 1 for a in addresses} and ledger(store) == {"sent": 3}
