"""Sending the brief by email, against a real SMTP server on 127.0.0.1 (aiosmtpd)."""

from __future__ import annotations

import os
import signal
import ssl
import subprocess
import sys
import time
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from servers import serve
from smtp_server import SmtpServer
from typer.testing import CliRunner

from briefing.app.cli import app
from briefing.contracts import Brief
from briefing.deliver.editions import content_id
from briefing.deliver.message import MailSettings
from briefing.deliver.send import SmtpSettings, send_edition
from briefing.errors import UserError
from briefing.pipeline import BuildOptions, build
from briefing.render.brief import render_json
from briefing.store.subscribers import SubscriberStore

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "london-talks"
NOW = datetime(2025, 6, 10, 6, 0, tzinfo=UTC)
PEOPLE = ["ana@example.org", "bo@example.org", "cy@example.org", "di@example.org", "ed@example.org"]


@pytest.fixture(scope="module")
def brief() -> Brief:
    return build([str(EXAMPLE)], BuildOptions(backend="extractive", date="2025-06-10"))  # type: ignore[arg-type]


@pytest.fixture
def store(tmp_path: Path) -> SubscriberStore:
    store = SubscriberStore(tmp_path / "briefing.sqlite3")
    for address in PEOPLE:
        store.add(address, address.split("@")[0].title())
    return store


class Tags(HTMLParser):
    """The elements, attribute names and link targets of an HTML document, as a browser parses them."""

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()
        self.attributes: set[str] = set()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.names.add(tag)
        self.attributes.update(name for name, _ in attrs)
        self.hrefs.extend(value or "" for name, value in attrs if name == "href")


def send(brief: Brief, store: SubscriberStore, smtp: SmtpServer, **options: object):  # type: ignore[no-untyped-def]
    env = smtp.env()
    mail = MailSettings(sender=env["BRIEFING_FROM"], unsubscribe_url=env["BRIEFING_UNSUBSCRIBE_URL"])
    return send_edition(
        brief,
        store=store,
        mail=mail,
        smtp=SmtpSettings.from_env(env),
        edition="2025-06-10",
        now=NOW,
        backoff_s=0.01,
        **options,  # type: ignore[arg-type]
    )


def test_every_subscriber_gets_one_well_formed_message(
    brief: Brief, store: SubscriberStore, smtp: SmtpServer
) -> None:
    report = send(brief, store, smtp)

    assert smtp.inbox.per_recipient() == {p: 1 for p in PEOPLE}
    assert (report.subscribers, report.sent, report.retried, len(report.failed)) == (5, 5, 0, 0)
    assert report.line().endswith("duplicates 0")
    message = next(r.message for r in smtp.inbox.messages if r.recipients == ["ana@example.org"])
    assert message.get_content_type() == "multipart/alternative"
    text, html = message.iter_parts()
    assert text.get_content_type() == "text/plain" and html.get_content_type() == "text/html"
    assert "Highlights" in text.get_content() and "Where sources disagree" in html.get_content()
    assert message["Subject"] == f"{brief.headline} (2025-06-10)"
    assert message["To"] == "Ana <ana@example.org>" and message["Date"] and message["Message-ID"]
    assert message["List-Id"] == "briefing <briefing.example.com>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    token = next(s.token for s in store.list() if s.email == "ana@example.org")
    assert f"<https://example.com/unsubscribe?token={token}>" in message["List-Unsubscribe"]
    assert "<style" not in html.get_content() and 'style="' in html.get_content(), "CSS is inlined"


def test_a_second_run_sends_nothing_and_the_message_id_is_fixed(
    brief: Brief, store: SubscriberStore, smtp: SmtpServer
) -> None:
    send(brief, store, smtp)
    first_ids = {r.recipients[0]: r.message["Message-ID"] for r in smtp.inbox.messages}

    again = send(brief, store, smtp)

    assert (again.sent, again.already_sent) == (0, 5)
    assert smtp.inbox.per_recipient() == {p: 1 for p in PEOPLE}
    store.add("new@example.org")
    third = send(brief, store, smtp)
    assert third.sent == 1 and smtp.inbox.per_recipient()["new@example.org"] == 1
    assert len(set(first_ids.values())) == 5


def test_transient_failures_are_retried_and_permanent_ones_recorded(
    brief: Brief, store: SubscriberStore, smtp: SmtpServer
) -> None:
    smtp.inbox.script("bo@example.org", ["450", "450", "ok"])
    smtp.inbox.script("cy@example.org", ["drop", "ok"])
    smtp.inbox.script("di@example.org", ["550"])

    report = send(brief, store, smtp)

    assert smtp.inbox.per_recipient() == {p: 1 for p in PEOPLE if p != "di@example.org"}
    assert report.retried == 2 and report.sent == 4, "bo and cy needed more than one attempt"
    assert report.failed == [("di@example.org", "550 5.1.1 No such user here")]
    rerun = send(brief, store, smtp)
    assert rerun.sent == 0 and rerun.failed == [
        ("di@example.org", "failed in an earlier run (--retry-failed)")
    ]
    retried = send(brief, store, smtp, retry_failed=True)
    assert (retried.sent, retried.already_sent, retried.failed, retried.retried) == (1, 4, [], 1)
    assert smtp.inbox.per_recipient() == {p: 1 for p in PEOPLE}


def test_unsubscribed_people_are_never_mailed(brief: Brief, store: SubscriberStore, smtp: SmtpServer) -> None:
    store.remove("ed@example.org")
    send(brief, store, smtp)
    assert "ed@example.org" not in smtp.inbox.per_recipient()


def test_a_second_run_cannot_send_the_edition_while_one_holds_the_lock(
    brief: Brief, store: SubscriberStore, smtp: SmtpServer
) -> None:
    from briefing.store.ledger import Ledger

    ledger = Ledger(store.database)
    with ledger.locked("2025-06-10"), pytest.raises(UserError, match="being sent by another run"):
        send(brief, store, smtp)
    assert smtp.inbox.messages == []


def test_markup_from_a_name_or_an_article_cannot_get_into_the_html_or_headers(
    store: SubscriberStore, smtp: SmtpServer, tmp_path: Path
) -> None:
    article = tmp_path / "evil.txt"
    article.write_text(
        "Harbour board approves <script>alert(1)</script> plan\r\nBcc: everyone@example.org\n\n"
        'The board approved 12 new berths on Monday, <img src=x onerror="alert(2)"> officials said. '
        "The works will cost $4 million [click](javascript:alert(3)) over two years.\n",
        encoding="utf-8",
    )
    evil = build([str(article)], BuildOptions(backend="extractive", date="2025-06-10"))  # type: ignore[arg-type]
    store.add("mallory@example.org", "<script>alert(1)</script>")

    send(evil, store, smtp)

    message = next(r.message for r in smtp.inbox.messages if r.recipients == ["mallory@example.org"])
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    tags = Tags()
    tags.feed(html)
    assert "script" not in tags.names and "img" not in tags.names
    assert not [a for a in tags.attributes if a.startswith("on")], "no event handler attributes"
    assert not [v for v in tags.hrefs if not v.startswith(("https:", "mailto:"))]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, "the name shows as text"
    assert "\n" not in message["Subject"] and message["Bcc"] is None
    raw = next(r.raw for r in smtp.inbox.messages if r.recipients == ["mallory@example.org"])
    assert b"\nBcc:" not in raw


def test_send_refuses_an_unverified_brief_and_dry_run_writes_files(
    brief: Brief, smtp: SmtpServer, tmp_path: Path
) -> None:
    brief_file = tmp_path / "brief.json"
    broken = brief.model_copy(deep=True)
    broken.claims[0].statement = broken.claims[0].statement + " It cost $999 billion."
    brief_file.write_text(render_json(broken), encoding="utf-8")
    env = {**smtp.env(), "BRIEFING_DB": str(tmp_path / "db.sqlite3")}
    runner = CliRunner()
    runner.invoke(app, ["subscribers", "add", "ana@example.org"], env=env)

    refused = runner.invoke(app, ["send", str(brief_file), "--sources", str(EXAMPLE)], env=env)
    unverified = runner.invoke(app, ["send", str(brief_file)], env=env)
    dry = runner.invoke(
        app, ["send", str(brief_file), "--force", "--dry-run", str(tmp_path / "out")], env=env
    )

    assert refused.exit_code == 1 and "fail verification" in refused.stderr
    assert unverified.exit_code == 1 and "--sources" in unverified.stderr
    assert dry.exit_code == 0 and [p.name for p in (tmp_path / "out").iterdir()] == [
        f"{content_id(broken)}-ana@example.org.eml"
    ]
    assert smtp.inbox.messages == []


def test_a_send_killed_halfway_and_run_again_delivers_each_subscriber_once(
    brief: Brief, smtp: SmtpServer, tmp_path: Path
) -> None:
    brief_file = tmp_path / "brief.json"
    brief_file.write_text(render_json(brief), encoding="utf-8")
    env = {**os.environ, **smtp.env(), "BRIEFING_DB": str(tmp_path / "db.sqlite3")}
    store = SubscriberStore(tmp_path / "db.sqlite3")
    for address in PEOPLE:
        store.add(address)
    smtp.inbox.script("cy@example.org", ["hold"])  # the third subscriber, in address order
    command = [sys.executable, "-m", "briefing", "send", str(brief_file), "--sources", str(EXAMPLE)]

    first = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert smtp.inbox.holding.wait(60), "the send reached the third subscriber"
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    smtp.inbox.release.set()
    time.sleep(0.2)
    assert smtp.inbox.per_recipient() == {"ana@example.org": 1, "bo@example.org": 1}

    second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)

    assert second.returncode == 0, second.stderr
    assert smtp.inbox.per_recipient() == {p: 1 for p in PEOPLE}
    assert (
        "5 subscribers, 3 sent now, 2 sent before, 0 failed, 0 uncertain, 0 still pending; "
        "0 retried, duplicates 0" in (second.stderr)
    )


def test_daily_builds_keeps_and_sends_once_or_sends_nothing_and_says_why(
    smtp: SmtpServer, tmp_path: Path
) -> None:
    editions = tmp_path / "editions"
    env = {
        **smtp.env(),
        "BRIEFING_DB": str(tmp_path / "db.sqlite3"),
        "BRIEFING_ARTICLES": str(EXAMPLE),
        "BRIEFING_EDITIONS": str(editions),
    }
    runner = CliRunner()
    runner.invoke(app, ["subscribers", "add", "you@example.com"], env=env)

    first = runner.invoke(app, ["daily", "--date", "2025-06-10", "--backend", "extractive"], env=env)
    again = runner.invoke(app, ["daily", "--date", "2025-06-10", "--backend", "extractive"], env=env)
    stale = runner.invoke(app, ["daily", "--date", "2025-06-11", "--backend", "extractive"], env=env)
    too_few = runner.invoke(
        app, ["daily", "--date", "2025-06-12", "--backend", "extractive", "--min-sources", "5"], env=env
    )
    empty = tmp_path / "nothing"
    empty.mkdir()
    none = runner.invoke(app, ["daily", "--date", "2025-06-13", "--articles", str(empty)], env=env)

    assert first.exit_code == 0, first.output
    assert (
        "1 subscribers, 1 sent now, 0 sent before, 0 failed, 0 uncertain, 0 still pending; "
        "0 retried, duplicates 0" in (first.stderr)
    )
    assert sorted(p.name for p in (editions / "2025-06-10").iterdir()) == [
        "brief.html",
        "brief.json",
        "brief.md",
        "edition.json",
        "stories.json",
    ]
    assert again.exit_code == 0 and "was already sent (1 sent); nothing to do" in again.stderr
    assert stale.exit_code == 1 and "exactly those of the 2025-06-10 edition" in stale.stderr
    assert too_few.exit_code == 1 and "only 4 usable source(s)" in too_few.stderr
    assert none.exit_code == 1 and "could not be built" in none.stderr
    assert "Traceback" not in stale.output + too_few.output + none.output
    assert smtp.inbox.per_recipient() == {"you@example.com": 1}
    assert not (editions / "2025-06-11").exists()


def test_a_test_copy_goes_to_one_address_outside_the_ledger(
    brief: Brief, store: SubscriberStore, smtp: SmtpServer
) -> None:
    report = send(brief, store, smtp, only_to="editor@example.com")
    assert smtp.inbox.per_recipient() == {"editor@example.com": 1} and report.sent == 1

    everyone = send(brief, store, smtp)
    assert everyone.sent == 5, "the test copy did not count as the edition's delivery"


def test_smtp_settings_never_show_the_password() -> None:
    settings = SmtpSettings.from_env(
        {
            "BRIEFING_SMTP_HOST": "smtp.example.com",
            "BRIEFING_SMTP_USER": "u",
            "BRIEFING_SMTP_PASSWORD": "hunter2-secret",
        }
    )
    assert "hunter2" not in repr(settings) and settings.port == 587 and settings.tls == "starttls"
    with pytest.raises(UserError, match="BRIEFING_SMTP_TLS"):
        SmtpSettings.from_env({"BRIEFING_SMTP_HOST": "h", "BRIEFING_SMTP_TLS": "maybe"})
    with pytest.raises(UserError, match="BRIEFING_SMTP_HOST"):
        SmtpSettings.from_env({})


def test_unsubscribe_by_token_from_the_command_line(store: SubscriberStore, tmp_path: Path) -> None:
    token = next(s.token for s in store.list() if s.email == "bo@example.org")
    env = {"BRIEFING_DB": str(store.path)}

    result = CliRunner().invoke(app, ["subscribers", "remove", "--token", token], env=env)
    neither = CliRunner().invoke(app, ["subscribers", "remove"], env=env)

    assert result.exit_code == 0 and "unsubscribed" in result.stdout
    assert "bo@example.org" not in [s.email for s in store.list(active_only=True)]
    assert neither.exit_code == 2 and "either an address or --token" in neither.stderr


def test_starttls_and_login_against_a_server_with_its_own_ca(
    brief: Brief, store: SubscriberStore, tmp_path: Path
) -> None:
    import trustme

    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    with serve(SmtpServer(tls_context=server_context, login=("brief", "s3cret-pass"))) as server:
        env = {
            **server.env(),
            "BRIEFING_SMTP_TLS": "starttls",
            "BRIEFING_SMTP_USER": "brief",
            "BRIEFING_SMTP_PASSWORD": "s3cret-pass",
        }
        mail = MailSettings(sender=env["BRIEFING_FROM"])

        def run(**overrides: str):  # type: ignore[no-untyped-def]
            settings = SmtpSettings.from_env({**env, **overrides})
            return send_edition(
                brief, store=store, mail=mail, smtp=settings, edition="2025-06-10", now=NOW, backoff_s=0.01
            )

        with pytest.raises(UserError, match="certificate not trusted"):
            run()
        with pytest.raises(UserError, match="refused the login of 'brief'") as refused:
            run(BRIEFING_SMTP_CA_FILE=str(ca_file), BRIEFING_SMTP_PASSWORD="wrong-pass")
        assert "wrong-pass" not in str(refused.value)
        report = run(BRIEFING_SMTP_CA_FILE=str(ca_file))

    assert report.sent == 5 and server.inbox.per_recipient() == {p: 1 for p in PEOPLE}
    assert set(server.logins) == {"brief"}


def test_a_refused_test_copy_is_a_failure_line_not_an_exception(
    brief: Brief, store: SubscriberStore, smtp: SmtpServer
) -> None:
    smtp.inbox.script("editor@example.com", ["550"])

    report = send(brief, store, smtp, only_to="editor@example.com")

    assert report.failed == [("editor@example.com", "550 5.1.1 No such user here")] and report.sent == 0
