"""The daily run and the identity of editions, through the real CLI and a real SMTP server on 127.0.0.1.

What subscribers receive is read as the bytes the SMTP server got; the dead model endpoint
is a closed port on 127.0.0.1.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import Result
from factories import write_articles
from servers import free_port
from smtp_server import Received, SmtpServer
from typer.testing import CliRunner

from briefing.app.cli import app
from briefing.deliver.editions import content_id
from briefing.pipeline import BuildOptions, build
from briefing.render.brief import render_json

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "london-talks"
DAY = "2025-06-10"
FAILURE_TEXT = (b"ConnectError", b"Connect", b"fallback", b"model failed", b"gave up", b"HTTP attempts")


@dataclass
class Desk:
    """One operator's set-up: subscribers, an editions folder and a folder of today's articles."""

    smtp: SmtpServer
    root: Path
    env: dict[str, str]
    day: str = DAY
    """The date `daily` is run for."""

    @property
    def editions(self) -> Path:
        return self.root / "editions"

    @property
    def articles(self) -> Path:
        return self.root / "today"

    def use(self, *names: str) -> None:
        """Today's folder holds exactly these example articles."""
        shutil.rmtree(self.articles, ignore_errors=True)
        self.articles.mkdir()
        for name in names:
            shutil.copy(EXAMPLE / name, self.articles / name)

    def run(self, *args: str, **env: str) -> Result:
        return CliRunner().invoke(app, list(args), env={**self.env, **env})

    def daily(self, *args: str, **env: str) -> Result:
        return self.run("daily", "--date", self.day, "--backend", "extractive", *args, **env)

    def received(self, address: str) -> list[Received]:
        return [m for m in self.smtp.inbox.messages if address in m.recipients]

    @classmethod
    def set_up(
        cls,
        smtp: SmtpServer,
        root: Path,
        *,
        day: str = DAY,
        subscribers: tuple[str, ...] = ("ana@example.org", "bo@example.org"),
        cache: bool = False,
    ) -> Desk:
        """A desk of its own under `root` (database, articles, archive; a cache file with `cache`)."""
        env = {
            **smtp.env(),
            "BRIEFING_DB": str(root / "db.sqlite3"),
            "BRIEFING_ARTICLES": str(root / "today"),
            "BRIEFING_EDITIONS": str(root / "editions"),
            "BRIEFING_ALERT_TO": "",
        }
        if cache:
            env["BRIEFING_CACHE_DIR"] = str(root / "cache")
        desk = cls(smtp=smtp, root=root, env=env, day=day)
        for address in subscribers:
            assert desk.run("subscribers", "add", address).exit_code == 0
        return desk


@pytest.fixture
def desk(smtp: SmtpServer, tmp_path: Path) -> Desk:
    desk = Desk.set_up(smtp, tmp_path)
    desk.use("crescent-times.txt", "harbour-ledger.txt", "mekong-daily.txt")
    return desk


def lines(result: Result) -> list[str]:
    return result.stderr.strip().splitlines()


def header(raw: bytes, name: bytes) -> bytes:
    """One header's raw value as received (unfolded), from the message's header block."""
    head = raw.split(b"\r\n\r\n", 1)[0].replace(b"\r\n ", b" ").replace(b"\r\n\t", b" ")
    found = [line[len(name) + 2 :] for line in head.split(b"\r\n") if line.startswith(name + b": ")]
    assert len(found) == 1, (name, head)
    return found[0]


def texts(received: Received) -> str:
    """The decoded text and HTML parts together, for what a reader sees."""
    return "\n".join(
        part.get_content() for part in received.message.walk() if part.get_content_maintype() == "text"
    )


# -- section 4: editions have identity ---------------------------------------------------


def test_a_rerun_after_a_completed_send_is_a_no_op_with_one_line(desk: Desk) -> None:
    first = desk.daily()
    kept = (desk.editions / DAY / "brief.json").read_bytes()

    again = desk.daily()

    assert first.exit_code == 0, first.output
    assert again.exit_code == 0, again.output
    assert len(lines(again)) == 1 and "was already sent (2 sent); nothing to do" in again.stderr
    assert desk.smtp.inbox.per_recipient() == {"ana@example.org": 1, "bo@example.org": 1}
    assert (desk.editions / DAY / "brief.json").read_bytes() == kept


def test_a_changed_edition_is_refused_without_correction_and_the_sent_one_is_never_overwritten(
    desk: Desk,
) -> None:
    assert desk.daily().exit_code == 0
    sent = {p.name: p.read_bytes() for p in (desk.editions / DAY).iterdir()}
    desk.use("crescent-times.txt", "harbour-ledger.txt", "mekong-daily.txt", "northgate-wire.txt")

    changed = desk.daily()

    assert changed.exit_code == 1, changed.output
    assert lines(changed)[-1].startswith("briefing: not sent: the 2025-06-10 edition was sent (")
    assert "run again with --correction" in changed.stderr and "Traceback" not in changed.output
    assert {p.name: p.read_bytes() for p in (desk.editions / DAY).iterdir()} == sent
    assert desk.smtp.inbox.per_recipient() == {"ana@example.org": 1, "bo@example.org": 1}


def test_a_correction_is_sent_marked_and_the_archive_keeps_both_versions(desk: Desk) -> None:
    assert desk.daily().exit_code == 0
    first_edition = json.loads((desk.editions / DAY / "edition.json").read_text())
    desk.use("crescent-times.txt", "harbour-ledger.txt", "mekong-daily.txt", "northgate-wire.txt")

    corrected = desk.daily("--correction")
    again = desk.daily("--correction")

    assert corrected.exit_code == 0, corrected.output
    assert "correction 1 of 2025-06-10" in corrected.stderr
    correction = json.loads((desk.editions / DAY / "correction-1" / "edition.json").read_text())
    assert first_edition["correction"] == 0 and correction["correction"] == 1
    assert first_edition["content_id"] != correction["content_id"]
    assert json.loads((desk.editions / DAY / "brief.json").read_text())["correction"] == 0
    assert (desk.editions / DAY / "correction-1" / "brief.md").read_text().startswith("**Correction:**")
    original, fixed = desk.received("ana@example.org")
    assert not header(original.raw, b"Subject").startswith(b"Correction:")
    assert header(fixed.raw, b"Subject").startswith(b"Correction: ")
    assert header(original.raw, b"Message-ID") != header(fixed.raw, b"Message-ID")
    assert "Correction:** this brief replaces the 2025-06-10 edition sent earlier" in texts(fixed)
    assert again.exit_code == 0 and len(lines(again)) == 1 and "already sent" in again.stderr
    assert desk.smtp.inbox.per_recipient() == {"ana@example.org": 2, "bo@example.org": 2}


def test_an_edition_nobody_received_is_replaced_by_the_next_run(desk: Desk) -> None:
    relay_down = desk.daily(BRIEFING_SMTP_PORT=str(free_port()))
    assert relay_down.exit_code != 0 and desk.smtp.inbox.messages == []
    desk.use("crescent-times.txt", "harbour-ledger.txt", "mekong-daily.txt", "northgate-wire.txt")

    rerun = desk.daily()

    assert rerun.exit_code == 0, rerun.output
    kept = json.loads((desk.editions / DAY / "edition.json").read_text())
    (message,) = desk.received("ana@example.org")
    assert kept["correction"] == 0 and not (desk.editions / DAY / "correction-1").exists()
    assert not header(message.raw, b"Subject").startswith(b"Correction:")
    assert len(json.loads((desk.editions / DAY / "brief.json").read_text())["sources"]) == 4


def test_send_keys_the_ledger_on_content_and_sends_a_changed_brief_only_as_a_correction(
    desk: Desk,
) -> None:
    options = BuildOptions(backend="extractive", date=DAY)  # type: ignore[arg-type]
    three = build([str(desk.articles)], options)
    four = build([str(EXAMPLE)], options)
    (desk.root / "a.json").write_text(render_json(three), encoding="utf-8")
    (desk.root / "b.json").write_text(render_json(four), encoding="utf-8")

    first = desk.run("send", str(desk.root / "a.json"), "--sources", str(desk.articles))
    refused = desk.run("send", str(desk.root / "b.json"), "--sources", str(EXAMPLE))
    corrected = desk.run("send", str(desk.root / "b.json"), "--sources", str(EXAMPLE), "--correction")

    assert first.exit_code == 0 and f"send {content_id(three)}: 2 subscribers, 2 sent now" in first.stderr
    assert refused.exit_code == 1 and "run again with --correction" in refused.stderr
    assert corrected.exit_code == 0, corrected.output
    assert f"send {content_id(four)}: 2 subscribers, 2 sent now" in corrected.stderr
    assert [
        header(m.raw, b"Subject").startswith(b"Correction: ") for m in desk.received("bo@example.org")
    ] == [
        False,
        True,
    ]


def test_the_content_id_follows_what_the_brief_says_not_how_the_run_went() -> None:
    options = BuildOptions(backend="extractive", date=DAY)  # type: ignore[arg-type]
    brief = build([str(EXAMPLE)], options)
    rebuilt = build([str(EXAMPLE)], options)
    diagnosed = brief.model_copy(deep=True)
    diagnosed.report.attempts = 99
    diagnosed.sources[0].fallback_reason = "gave up after 4 HTTP attempts (ConnectError)"
    edited = brief.model_copy(deep=True)
    edited.claims[0].statement += " Officials said so."

    assert content_id(brief) == content_id(rebuilt) == content_id(diagnosed)
    assert content_id(brief) == content_id(brief.model_copy(update={"correction": 2}))
    assert content_id(edited) != content_id(brief) and content_id(brief).startswith(f"{DAY}-")
    assert content_id(brief.model_copy(update={"date": None})).startswith("adhoc-")


# -- section 6: daily is never silent ----------------------------------------------------


def test_a_dead_model_endpoint_exits_3_with_the_report_and_subscribers_see_no_failure_text(
    desk: Desk,
) -> None:
    desk.use("crescent-times.txt", "harbour-ledger.txt")
    dead = f"http://127.0.0.1:{free_port()}/v1"

    result = desk.run(
        "daily",
        "--date",
        DAY,
        "--base-url",
        dead,
        OPENAI_API_KEY="placeholder-key",
        BRIEFING_ALERT_TO="ops@example.com",
    )

    assert result.exit_code == 3, result.output
    assert "report: 2 of 2 inputs used" in result.stderr and "fallback: " in result.stderr
    assert "Traceback" not in result.output
    (mailed,) = desk.received("ana@example.org")
    for failure in FAILURE_TEXT:
        assert failure not in mailed.raw, failure
        assert failure.decode() not in texts(mailed), failure
    assert "(extractive summary)" in texts(mailed)
    (alert,) = desk.received("ops@example.com")
    assert header(alert.raw, b"Subject") == b"briefing daily 2025-06-10: degraded (exit 3)"
    assert "fallback: " in texts(alert) and "ConnectError" in texts(alert)
    brief = json.loads((desk.editions / DAY / "brief.json").read_text())
    assert all("ConnectError" in s["fallback_reason"] for s in brief["sources"]), "kept in the JSON"


def test_a_failed_delivery_exits_3_and_alerts(desk: Desk) -> None:
    desk.smtp.inbox.script("bo@example.org", ["550"])

    result = desk.daily(BRIEFING_ALERT_TO="ops@example.com")

    assert result.exit_code == 3, result.output
    assert "failed: bo@example.org: 550" in result.stderr and "report: 3 of 3 inputs used" in result.stderr
    (alert,) = desk.received("ops@example.com")
    assert header(alert.raw, b"Subject") == b"briefing daily 2025-06-10: degraded (exit 3)"
    assert "failed: bo@example.org: 550" in texts(alert)


def test_an_edition_with_no_statements_is_refused(desk: Desk) -> None:
    shutil.rmtree(desk.articles)
    desk.articles.mkdir()
    write_articles(
        desk.articles, {"a.txt": "Harbour board approves plan\n", "b.txt": "Harbour board backs new berths\n"}
    )
    brief = build([str(desk.articles)], BuildOptions(backend="extractive", date=DAY))  # type: ignore[arg-type]
    (desk.root / "empty.json").write_text(render_json(brief), encoding="utf-8")

    daily = desk.daily(BRIEFING_ALERT_TO="ops@example.com")
    send = desk.run("send", str(desk.root / "empty.json"), "--force")

    assert daily.exit_code == 1 and "not sent: the brief has no statements" in daily.stderr
    assert send.exit_code == 1 and "has no statements" in send.stderr
    assert not (desk.editions / DAY).exists()
    assert desk.smtp.inbox.per_recipient() == {"ops@example.com": 1}
    (alert,) = desk.received("ops@example.com")
    assert header(alert.raw, b"Subject") == b"briefing daily 2025-06-10: refused (exit 1)"


def test_a_missing_database_is_refused_naming_the_path_and_never_created(desk: Desk) -> None:
    typo = desk.root / "briefing.sqlite"
    (desk.root / "a.json").write_text(
        render_json(build([str(EXAMPLE)], BuildOptions(backend="extractive", date=DAY))),  # type: ignore[arg-type]
        encoding="utf-8",
    )

    daily = desk.daily("--db", str(typo))
    from_env = desk.daily(BRIEFING_DB=str(typo))
    send = desk.run("send", str(desk.root / "a.json"), "--force", "--db", str(typo))

    for result in (daily, from_env, send):
        assert result.exit_code == 1, result.output
        assert lines(result) == [
            f"briefing: error: subscribers database {typo} does not exist (check --db or BRIEFING_DB); "
            "nothing sent. `briefing subscribers add` creates it"
        ]
    assert not typo.exists() and desk.smtp.inbox.messages == []
    assert desk.run("subscribers", "add", "cy@example.org", "--db", str(typo)).exit_code == 0
    assert typo.exists()


def test_no_active_subscriber_is_refused_unless_allow_empty(desk: Desk) -> None:
    for address in ("ana@example.org", "bo@example.org"):
        assert desk.run("subscribers", "remove", address).exit_code == 0
    (desk.root / "a.json").write_text(
        render_json(build([str(EXAMPLE)], BuildOptions(backend="extractive", date=DAY))),  # type: ignore[arg-type]
        encoding="utf-8",
    )

    refused = desk.daily()
    send = desk.run("send", str(desk.root / "a.json"), "--force")
    allowed = desk.daily("--allow-empty")

    assert refused.exit_code == 1 and "not sent: no active subscribers in" in refused.stderr
    assert send.exit_code == 1 and "no active subscribers in" in send.stderr
    assert allowed.exit_code == 0, allowed.output
    assert "0 subscribers, 0 sent now" in allowed.stderr and (desk.editions / DAY / "brief.json").exists()


def test_an_alert_that_cannot_be_sent_is_one_line_and_the_exit_code_stands(desk: Desk) -> None:
    port = free_port()

    result = desk.daily(
        "--db",
        str(desk.root / "missing.sqlite3"),
        BRIEFING_ALERT_TO="ops@example.com",
        BRIEFING_SMTP_PORT=str(port),
    )
    bad_address = desk.daily("--db", str(desk.root / "missing.sqlite3"), BRIEFING_ALERT_TO="not an address")

    assert result.exit_code == 1 and "Traceback" not in result.output
    assert lines(result)[-1] == (
        f"briefing: alert to ops@example.com not sent: 127.0.0.1:{port}: connection refused"
    )
    assert bad_address.exit_code == 1 and len(lines(bad_address)) == 2
    assert lines(bad_address)[-1].startswith("briefing: alert to not an address not sent: 'not an address'")


def test_a_clean_run_sends_no_alert(desk: Desk) -> None:
    result = desk.daily(BRIEFING_ALERT_TO="ops@example.com")

    assert result.exit_code == 0, result.output
    assert "ops@example.com" not in desk.smtp.inbox.per_recipient()


def test_a_partly_sent_edition_is_resumed_unchanged_and_a_changed_one_is_refused(desk: Desk) -> None:
    desk.smtp.inbox.script("bo@example.org", ["450", "450", "450", "450"])
    partly = desk.daily()
    assert partly.exit_code == 3 and "still pending" in partly.stderr
    desk.use("crescent-times.txt", "harbour-ledger.txt", "mekong-daily.txt", "northgate-wire.txt")

    changed = desk.daily()
    desk.use("crescent-times.txt", "harbour-ledger.txt", "mekong-daily.txt")
    resumed = desk.daily()

    assert changed.exit_code == 1 and "the 2025-06-10 edition was partly sent (" in changed.stderr
    assert resumed.exit_code == 0, resumed.output
    assert "2 subscribers, 1 sent now, 1 sent before" in resumed.stderr
    assert desk.smtp.inbox.per_recipient() == {"ana@example.org": 1, "bo@example.org": 1}
    (first,) = desk.received("ana@example.org")
    (later,) = desk.received("bo@example.org")
    assert header(first.raw, b"Message-ID") != header(later.raw, b"Message-ID")
    assert header(first.raw, b"Subject") == header(later.raw, b"Subject")


def test_a_date_sent_before_editions_had_content_ids_is_never_taken_for_a_new_brief(desk: Desk) -> None:
    from briefing.store.ledger import Ledger
    from briefing.store.subscribers import SubscriberStore

    store = SubscriberStore(Path(desk.env["BRIEFING_DB"]))
    ledger = Ledger(store.database)
    ledger.plan(DAY, ["ana@example.org", "bo@example.org"])  # the ledger as it was: keyed by the date
    for address in ("ana@example.org", "bo@example.org"):
        assert ledger.claim(DAY, address, "an earlier run")
        ledger.finish(DAY, address, "an earlier run", "sent")
    store.close()
    (desk.editions / DAY).mkdir(parents=True)
    (desk.editions / DAY / "brief.json").write_text("{}", encoding="utf-8")

    refused = desk.daily()
    corrected = desk.daily("--correction")

    assert refused.exit_code == 1 and f"the 2025-06-10 edition was sent ({DAY}: 2 sent)" in refused.stderr
    assert corrected.exit_code == 0, corrected.output
    assert (desk.editions / DAY / "brief.json").read_text() == "{}"
    assert (desk.editions / DAY / "correction-1" / "brief.json").exists()
    assert all(header(m.raw, b"Subject").startswith(b"Correction: ") for m in desk.smtp.inbox.messages)
    assert desk.smtp.inbox.per_recipient() == {"ana@example.org": 1, "bo@example.org": 1}
