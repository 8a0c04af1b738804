"""Mail headers and addresses as mail providers read them: the raw bytes aiosmtpd received."""

# The fixtures brief and store come from test_send (imported, hence F811 on their use).
# ruff: noqa: F811

from __future__ import annotations

import re
from pathlib import Path

from servers import serve
from smtp_server import SmtpServer
from test_send import NOW, PEOPLE, brief, send, store  # noqa: F401
from typer.testing import CliRunner

from briefing.app.cli import app
from briefing.contracts import Brief
from briefing.deliver.message import MailSettings
from briefing.deliver.send import SmtpSettings, send_edition
from briefing.render.brief import render_json
from briefing.store.subscribers import SubscriberStore

LONG_URL = "https://unsubscribe.mail.example.com/lists/morning-briefing/one-click/confirm?campaign=daily"


def raw_header(raw: bytes, name: str) -> list[bytes]:
    """The physical lines of header `name` exactly as received (the first line and its continuations)."""
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    for at, line in enumerate(head):
        if line.lower().startswith(name.lower().encode() + b":"):
            lines = [line]
            for following in head[at + 1 :]:
                if not following.startswith((b" ", b"\t")):
                    break
                lines.append(following)
            return lines
    raise AssertionError(f"no {name} header in {head!r}")


def received_by(smtp: SmtpServer, address: str) -> bytes:
    (raw,) = [r.raw for r in smtp.inbox.messages if r.recipients == [address]]
    return raw


def test_list_headers_go_out_as_plain_ascii_folded_only_at_commas(
    brief: Brief,
    store: SubscriberStore,
    smtp: SmtpServer,
) -> None:
    mail = MailSettings(
        sender="Morning brief <brief@example.com>", unsubscribe_url=LONG_URL, list_name="Café Brief — Morning"
    )
    send_edition(
        brief,
        store=store,
        mail=mail,
        smtp=SmtpSettings.from_env(smtp.env()),
        edition="2025-06-10",
        now=NOW,
        backoff_s=0.01,
    )

    raw = received_by(smtp, "ana@example.org")
    token = next(s.token for s in store.list() if s.email == "ana@example.org")
    lines = raw_header(raw, "List-Unsubscribe")
    assert all(line.isascii() and b"=?" not in line for line in lines)
    assert (
        b"".join(lines)
        == (
            f"List-Unsubscribe: <{LONG_URL}&token={token}>, "
            f"<mailto:brief@example.com?subject=unsubscribe%20{token}>"
        ).encode()
    )
    assert [line.endswith(b",") for line in lines[:-1]] == [True] * (len(lines) - 1), "folded at commas"
    assert all(len(line) <= 998 for line in lines)
    assert raw_header(raw, "List-Id") == [b"List-Id: Cafe Brief Morning <cafe-brief-morning.example.com>"]
    assert raw_header(raw, "List-Unsubscribe-Post") == [b"List-Unsubscribe-Post: List-Unsubscribe=One-Click"]


def test_a_mailto_only_list_unsubscribe_and_a_list_name_with_specials(
    brief: Brief,
    store: SubscriberStore,
    smtp: SmtpServer,
) -> None:
    mail = MailSettings(sender="brief@example.com", list_name='The "Daily" <Brief>, Inc.')
    send_edition(brief, store=store, mail=mail, smtp=SmtpSettings.from_env(smtp.env()), edition="e", now=NOW)

    raw = received_by(smtp, "bo@example.org")
    token = next(s.token for s in store.list() if s.email == "bo@example.org")
    assert raw_header(raw, "List-Unsubscribe") == [
        f"List-Unsubscribe: <mailto:brief@example.com?subject=unsubscribe%20{token}>".encode()
    ]
    assert raw_header(raw, "List-Id") == [
        b'List-Id: "The \\"Daily\\" <Brief>, Inc." <the-daily-brief-inc.example.com>'
    ]


def test_international_addresses_go_out_with_smtputf8_and_idna(brief: Brief, store: SubscriberStore) -> None:
    store.add("aaa@bücher.example")
    store.add("josé@exämple.com", "José")
    with serve(SmtpServer(smtputf8=True)) as server:
        report = send(brief, store, server)

    assert server.inbox.per_recipient() == {
        **{p: 1 for p in PEOPLE},
        "aaa@xn--bcher-kva.example": 1,
        "josé@xn--exmple-cua.com": 1,
    }
    assert (report.sent, report.failed) == (7, [])
    assert raw_header(received_by(server, "aaa@xn--bcher-kva.example"), "To") == [
        b"To: aaa@xn--bcher-kva.example"
    ]
    to = raw_header(received_by(server, "josé@xn--exmple-cua.com"), "To")
    assert to == ['To: "José" <josé@xn--exmple-cua.com>'.encode()]


def test_without_smtputf8_only_the_address_that_needs_it_fails(
    brief: Brief,
    store: SubscriberStore,
    smtp: SmtpServer,
) -> None:
    store.add("aaa@bücher.example")
    store.add("josé@exämple.com")

    report = send(brief, store, smtp)
    rerun = send(brief, store, smtp)

    assert smtp.inbox.per_recipient() == {**{p: 1 for p in PEOPLE}, "aaa@xn--bcher-kva.example": 1}
    assert report.sent == 6 and [email for email, _ in report.failed] == ["josé@exämple.com"]
    assert "needs SMTPUTF8" in report.failed[0][1] and report.stopped is None
    assert rerun.sent == 0 and rerun.already_sent == 6


def test_one_unusable_stored_address_is_that_subscribers_failure_only(
    brief: Brief,
    store: SubscriberStore,
    smtp: SmtpServer,
) -> None:
    # As an older version (or a hand edit) may have left it in the database.
    store.connection.execute(
        "INSERT INTO subscribers (email, name, status, token, added, changed) "
        "VALUES ('bad@@example.org', '', 'active', 'tok-bad', 0, 0)"
    )
    store.connection.commit()

    report = send(brief, store, smtp)

    assert smtp.inbox.per_recipient() == {p: 1 for p in PEOPLE}
    assert [email for email, _ in report.failed] == ["bad@@example.org"] and report.sent == 5


def test_dry_run_files_stay_in_their_folder_and_show_addresses_as_they_are(
    brief: Brief, tmp_path: Path
) -> None:
    brief_file = tmp_path / "a" / "b" / "brief.json"
    brief_file.parent.mkdir(parents=True)
    brief_file.write_text(render_json(brief.model_copy(update={"date": "../../x"})), encoding="utf-8")
    env = {"BRIEFING_DB": str(tmp_path / "db.sqlite3"), "BRIEFING_FROM": "Brief <brief@example.com>"}
    runner = CliRunner()
    for address in ["aaa@bücher.example", "a/b@example.com", "josé@exämple.com", "a_b@example.com"]:
        added = runner.invoke(app, ["subscribers", "add", address], env=env)
        assert added.exit_code == 0, added.output
    out = tmp_path / "a" / "b" / "out"

    outside = runner.invoke(app, ["send", str(brief_file), "--force", "--dry-run", str(out)], env=env)
    brief_file.write_text(render_json(brief), encoding="utf-8")
    dry = runner.invoke(app, ["send", str(brief_file), "--force", "--dry-run", str(out)], env=env)

    assert outside.exit_code == 2 and "'../../x' is not a date in YYYY-MM-DD form" in outside.stderr
    assert dry.exit_code == 0, dry.output
    assert sorted(p.name for p in tmp_path.rglob("*.eml")) == sorted(p.name for p in out.iterdir())
    assert len(list(out.iterdir())) == 4, "a/b@ and a_b@ are two files"
    to_lines = sorted(
        line for p in out.iterdir() for line in p.read_bytes().split(b"\n") if line.startswith(b"To:")
    )
    assert to_lines == sorted(
        [
            b"To: aaa@xn--bcher-kva.example",
            b"To: a/b@example.com",
            "To: josé@xn--exmple-cua.com".encode(),
            b"To: a_b@example.com",
        ]
    )
    assert not re.search(rb"=\?utf-8\?", b"".join(to_lines))


def test_a_test_copy_has_a_message_id_of_its_own(
    brief: Brief,
    store: SubscriberStore,
    smtp: SmtpServer,
) -> None:
    send(brief, store, smtp, only_to="ana@example.org")
    send(brief, store, smtp)

    ids = [
        raw_header(r.raw, "Message-ID")[0] for r in smtp.inbox.messages if r.recipients == ["ana@example.org"]
    ]
    assert len(ids) == 2 and ids[0] != ids[1]


def test_an_unsubscribe_url_that_is_not_https_or_too_long_is_one_settings_line(
    brief: Brief, store: SubscriberStore, smtp: SmtpServer, tmp_path: Path
) -> None:
    brief_file = tmp_path / "brief.json"
    brief_file.write_text(render_json(brief), encoding="utf-8")
    env = {**smtp.env(), "BRIEFING_DB": str(store.path)}
    runner = CliRunner()
    longest = "https://example.com/u?x=" + "a" * (850 - 24)

    plain = runner.invoke(
        app,
        ["send", str(brief_file), "--force"],
        env={**env, "BRIEFING_UNSUBSCRIBE_URL": "http://example.com/u"},
    )
    too_long = runner.invoke(
        app, ["send", str(brief_file), "--force"], env={**env, "BRIEFING_UNSUBSCRIBE_URL": longest + "a"}
    )
    nothing_sent = list(smtp.inbox.messages)
    fits = runner.invoke(
        app, ["send", str(brief_file), "--force"], env={**env, "BRIEFING_UNSUBSCRIBE_URL": longest}
    )

    assert nothing_sent == []
    for refused, words in ((plain, "must be an https:// URL"), (too_long, "is 851 characters")):
        assert refused.exit_code == 1 and "Traceback" not in refused.output
        (line,) = refused.stderr.strip().splitlines()
        assert "BRIEFING_UNSUBSCRIBE_URL" in line and words in line
    assert fits.exit_code == 0, fits.output
    raw = received_by(smtp, "ana@example.org")
    lines = raw_header(raw, "List-Unsubscribe")
    assert lines[0].startswith(f"List-Unsubscribe: <{longest}&token=".encode())
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    assert raw_header(raw, "List-Unsubscribe-Post") == [b"List-Unsubscribe-Post: List-Unsubscribe=One-Click"]
