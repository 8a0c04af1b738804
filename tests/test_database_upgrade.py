"""The database files release 0.1.0 wrote (tests/upgrade/0.1.0, made by its own commands) upgrade in place.

The delivery database holds every ledger state (sent, failed, pending, an uncertain row)
and the lock of a run that was killed; the cache holds three extractions and two pages.
Each is opened by today's commands, migrated to the last schema version, and keeps every
row; a re-send sends only what was left, and a file from a newer briefing is one line.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from damage import integrity
from factories import output_sources
from smtp_server import SmtpServer
from typer.testing import CliRunner

from briefing.app.cli import app
from briefing.contracts import Brief, Edition
from briefing.store.cache import ExtractionCache
from briefing.store.migrations import CACHE, DELIVERY
from briefing.store.subscribers import SubscriberStore

RELEASE = Path(__file__).resolve().parent / "upgrade" / "0.1.0"
EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "london-talks"
MADE = json.loads((RELEASE / "made.json").read_text(encoding="utf-8"))
runner = CliRunner()


def rows(path: Path, query: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as db:
        found: list[tuple[Any, ...]] = db.execute(query).fetchall()
    db.close()
    return found


def version(path: Path) -> int:
    return int(rows(path, "PRAGMA user_version")[0][0])


@pytest.fixture
def delivery(tmp_path: Path) -> Path:
    path = tmp_path / "briefing.sqlite3"
    shutil.copyfile(RELEASE / "briefing.sqlite3", path)
    shutil.copyfile(RELEASE / "brief.json", tmp_path / "brief.json")
    return path


SUBSCRIBERS = "SELECT email, name, status, token, added, changed, key FROM subscribers ORDER BY email"
DELIVERIES = (
    "SELECT edition, email, status, attempts, error, updated, owner, data_at FROM deliveries ORDER BY email"
)
EDITIONS = "SELECT date, correction, content_id, registered FROM editions"


def test_the_files_are_those_of_a_release_before_schema_versions(delivery: Path) -> None:
    assert version(delivery) == 0 and version(RELEASE / "extractions.sqlite3") == 0
    states = {email: status for _, email, status, *_ in rows(delivery, DELIVERIES)}
    assert states == {
        "ann@example.org": "sent",
        "bob@example.org": "sent",
        "cy@example.org": "failed",
        "dee@example.org": "pending",
        "ÉMILE@exämple.com": "sent",
        "fay@example.org": "sending",
    }
    assert len(rows(delivery, "SELECT * FROM send_locks")) == 1


def test_a_delivery_database_upgrades_in_place_keeping_every_row(delivery: Path) -> None:
    before = {query: rows(delivery, query) for query in (SUBSCRIBERS, DELIVERIES, EDITIONS)}
    lock = rows(delivery, "SELECT edition, owner, acquired, heartbeat FROM send_locks")

    listed = runner.invoke(app, ["subscribers", "list", "--all", "--db", str(delivery)])

    assert listed.exit_code == 0, listed.output
    assert len(listed.stdout.splitlines()) == 7
    assert version(delivery) == len(DELIVERY)
    assert {query: rows(delivery, query) for query in before} == before
    assert rows(delivery, "SELECT edition, owner, acquired, heartbeat FROM send_locks") == lock
    assert integrity(delivery) == [("ok",)]
    indexes = {name for (name,) in rows(delivery, "SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert "subscribers_key" in indexes


def test_processes_opening_one_old_file_at_once_upgrade_it_once(delivery: Path) -> None:
    before = rows(delivery, SUBSCRIBERS)
    opening = (
        "import sys, pathlib\n"
        "from briefing.store.subscribers import SubscriberStore\n"
        "SubscriberStore(pathlib.Path(sys.argv[1]))"
    )
    children = [
        subprocess.Popen([sys.executable, "-c", opening, str(delivery)], stderr=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    errors = [child.communicate(timeout=120)[1] for child in children]

    assert [child.returncode for child in children] == [0, 0, 0, 0], errors
    assert version(delivery) == len(DELIVERY) and rows(delivery, SUBSCRIBERS) == before


def test_a_resend_after_the_upgrade_sends_only_what_was_left_and_never_twice(delivery: Path) -> None:
    # The killed run's lock is taken over: its process is gone, and its lease ran out long ago.
    brief_file = delivery.parent / "brief.json"
    relay = SmtpServer(smtputf8=True).start()
    try:
        env = {**relay.env(), "BRIEFING_DB": str(delivery)}
        first = runner.invoke(app, ["send", str(brief_file), "--force"], env=env)
        after_first = relay.inbox.per_recipient()
        again = runner.invoke(app, ["send", str(brief_file), "--force"], env=env)
    finally:
        relay.stop()

    assert after_first == {"dee@example.org": 1}, "only the pending row is sent"
    assert relay.inbox.per_recipient() == after_first, "the second send sends nothing"
    assert "6 subscribers, 1 sent now, 3 sent before, 1 failed, 1 uncertain, 0 still pending" in first.stderr
    assert "3 sent before" not in again.stderr and "4 sent before" in again.stderr
    assert "uncertain" in first.stderr and "fay@example.org" in first.stderr
    assert "Traceback" not in first.output + again.output
    states = {email: status for _, email, status, *_ in rows(delivery, DELIVERIES)}
    assert states["dee@example.org"] == "sent" and states["fay@example.org"] == "sending"
    assert states["cy@example.org"] == "failed"
    assert rows(delivery, "SELECT * FROM send_locks") == [], "the stale lock was taken over, then let go"


def test_a_cache_upgrades_in_place_and_answers_a_rebuild_without_the_model_or_the_web(tmp_path: Path) -> None:
    cache = tmp_path / "cache" / "extractions.sqlite3"
    cache.parent.mkdir()
    shutil.copyfile(RELEASE / "extractions.sqlite3", cache)
    extractions = rows(cache, "SELECT * FROM extractions ORDER BY key")
    pages = rows(cache, "SELECT * FROM pages ORDER BY url")
    env = {
        "BRIEFING_CACHE_DIR": str(cache.parent),
        "OPENAI_BASE_URL": MADE["model_endpoint"],  # nothing answers there: only the cache can
        "OPENAI_API_KEY": "placeholder-key",
    }
    inputs = [*MADE["pages"], str(EXAMPLES / MADE["file"])]

    built = runner.invoke(
        app, ["build", *inputs, "--backend", "model", "--date", "2025-06-10", "-f", "json"], env=env
    )

    assert built.exit_code == 0, built.output
    edition = Edition.model_validate_json(built.stdout)  # the two pages and the file are three stories
    kept = Brief.model_validate_json((RELEASE / "brief.json").read_text(encoding="utf-8"))
    assert edition.report.cached == 3 and edition.report.fallbacks == 0
    built_ids = sorted(s["article_id"] for s in output_sources(json.loads(built.stdout)))
    assert built_ids == sorted(s.article_id for s in kept.sources)
    assert version(cache) == len(CACHE)
    assert rows(cache, "SELECT * FROM extractions ORDER BY key") == extractions
    assert rows(cache, "SELECT * FROM pages ORDER BY url") == pages
    stats = runner.invoke(app, ["cache", "stats"], env=env)
    assert "3 extraction(s), 2 web page(s)" in stats.stdout


def test_an_upgrade_that_fails_halfway_leaves_the_file_as_it_was_and_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "odd.sqlite3"
    with sqlite3.connect(path) as db:  # keyless subscribers, and a ledger lacking a column a step reads
        db.execute(
            "CREATE TABLE subscribers (email TEXT PRIMARY KEY COLLATE NOCASE, name TEXT NOT NULL DEFAULT '', "
            "status TEXT NOT NULL, token TEXT NOT NULL UNIQUE, added REAL NOT NULL, changed REAL NOT NULL)"
        )
        db.execute("INSERT INTO subscribers VALUES ('ann@example.org', '', 'active', 't1', 1, 1)")
        db.execute(
            "CREATE TABLE deliveries (edition TEXT, email TEXT, status TEXT, PRIMARY KEY (edition, email))"
        )
        db.execute("INSERT INTO deliveries VALUES ('e', 'ann@example.org', 'sending')")
    db.close()
    schema = rows(path, "SELECT type, name, sql FROM sqlite_master ORDER BY name")

    result = runner.invoke(app, ["subscribers", "list", "--db", str(path)])

    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        f"briefing: error: database {path}: cannot be used (no such column: updated)"
    ]
    assert rows(path, "SELECT type, name, sql FROM sqlite_master ORDER BY name") == schema
    assert version(path) == 0 and rows(path, "SELECT * FROM subscribers") == [
        ("ann@example.org", "", "active", "t1", 1, 1)
    ]


def test_a_delivery_database_from_a_newer_briefing_is_one_line_and_left_as_it_is(delivery: Path) -> None:
    with sqlite3.connect(delivery) as db:
        db.execute(f"PRAGMA user_version = {len(DELIVERY) + 1}")
    db.close()
    before = delivery.read_bytes()

    result = runner.invoke(app, ["subscribers", "list", "--db", str(delivery)])

    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        f"briefing: error: database {delivery} was written by a newer briefing (schema version "
        f"{len(DELIVERY) + 1}; this one knows up to {len(DELIVERY)}): upgrade briefing to use it"
    ]
    assert delivery.read_bytes() == before
    with pytest.raises(Exception, match="newer briefing"):
        SubscriberStore(delivery)


def test_a_cache_from_a_newer_briefing_is_one_line_and_the_run_goes_on_without_it(tmp_path: Path) -> None:
    path = tmp_path / "extractions.sqlite3"
    shutil.copyfile(RELEASE / "extractions.sqlite3", path)
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {len(CACHE) + 5}")
    db.close()
    before = path.read_bytes()

    cache = ExtractionCache(path)

    assert not cache.usable and cache.notes == [
        f"cache {path} was written by a newer briefing (schema version {len(CACHE) + 5}; this one knows "
        f"up to {len(CACHE)}): upgrade briefing to use it; running without the cache"
    ]
    assert cache.stats().entries == 0 and path.read_bytes() == before
