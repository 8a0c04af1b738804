"""Subscribers in SQLite on disk, through the library and the `briefing subscribers` commands.

The database is also checked the way an operator would meet it after a bad day: damaged on disk,
and after a real send (to aiosmtpd on 127.0.0.1) with its ledger.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from damage import DAMAGE, integrity, unwritable
from servers import serve
from smtp_server import SmtpServer
from typer.testing import CliRunner

from briefing.app.cli import app
from briefing.errors import UserError
from briefing.pipeline import BackendChoice, BuildOptions, build
from briefing.render.brief import render_json
from briefing.store.subscribers import Status, SubscriberStore, default_db_path

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "london-talks"


@pytest.fixture
def store(tmp_path: Path) -> SubscriberStore:
    return SubscriberStore(tmp_path / "briefing.sqlite3")


def test_addresses_are_validated_normalised_and_unique_regardless_of_case(store: SubscriberStore) -> None:
    first, added = store.add("  Jane.Doe@EXAMPLE.com ", "Jane Doe")
    again, added_again = store.add("jane.doe@example.COM")

    assert added and not added_again
    assert first.email == "Jane.Doe@example.com" and again.token == first.token
    assert [s.email for s in store.list()] == ["Jane.Doe@example.com"]
    with pytest.raises(UserError, match="not an email address"):
        store.add("jane.example.com")
    with pytest.raises(UserError):
        store.add("jane@example.com\r\nBcc: victim@example.org")


def test_unsubscribed_people_stay_recorded_and_are_not_signed_up_again(store: SubscriberStore) -> None:
    subscriber, _ = store.add("ana@example.org", "Ana")
    assert store.remove("ANA@example.org")
    assert not store.remove("ana@example.org"), "already unsubscribed"

    readded, changed = store.add("ana@example.org")
    assert not changed and readded.status == Status.unsubscribed
    assert store.list(active_only=True) == []
    assert [s.status for s in store.list()] == [Status.unsubscribed]

    back, changed = store.add("ana@example.org", resubscribe=True)
    assert changed and back.status == Status.active and back.token == subscriber.token
    assert store.unsubscribe_token(subscriber.token) and not store.unsubscribe_token("no-such-token")


def test_names_are_one_printable_line(store: SubscriberStore) -> None:
    subscriber, _ = store.add("eve@example.org", "Eve\r\nBcc: all@example.org\x00")
    assert subscriber.name == "Eve Bcc: all@example.org"


def test_import_adds_good_lines_and_names_each_bad_one(store: SubscriberStore, tmp_path: Path) -> None:
    store.add("gone@example.org")
    store.remove("gone@example.org")
    listing = tmp_path / "list.csv"
    listing.write_text(
        "name,email\nAna,ana@example.org\nBad,not-an-address\n,\n"
        "Gone,gone@example.org\nAna again,ANA@example.org\n",
        encoding="utf-8",
    )

    result = store.import_csv(listing)

    assert (result.added, result.already, result.kept_unsubscribed) == (1, 1, 1)
    assert len(result.problems) == 1 and result.problems[0].startswith(f"{listing}:3: 'not-an-address'")


def test_the_database_path_comes_from_the_environment() -> None:
    assert default_db_path({"BRIEFING_DB": "/srv/briefing/db.sqlite3"}) == Path("/srv/briefing/db.sqlite3")
    assert default_db_path({}).name == "briefing.sqlite3"


def test_subscribers_commands(tmp_path: Path) -> None:
    runner = CliRunner()
    env = {"BRIEFING_DB": str(tmp_path / "db.sqlite3")}
    listing = tmp_path / "people.csv"
    listing.write_text("bo@example.org\nnope\n", encoding="utf-8")

    assert (
        runner.invoke(app, ["subscribers", "add", "you@example.com", "--name", "You"], env=env).exit_code == 0
    )
    imported = runner.invoke(app, ["subscribers", "import", str(listing)], env=env)
    bad = runner.invoke(app, ["subscribers", "add", "nope"], env=env)
    removed = runner.invoke(app, ["subscribers", "remove", "bo@example.org"], env=env)
    listed = runner.invoke(app, ["subscribers", "list", "--all"], env=env)

    assert imported.exit_code == 0 and "added 1" in imported.stdout and "people.csv:2" in imported.stderr
    assert bad.exit_code == 2 and "not an email address" in bad.stderr and "Traceback" not in bad.output
    assert removed.exit_code == 0 and "unsubscribed bo@example.org" in removed.stdout
    assert listed.stdout.splitlines() == ["bo@example.org\tunsubscribed\t", "you@example.com\tactive\tYou"]


# ---------------------------------------------------------------------------
# a damaged delivery database: one line, and the file is left exactly as it was
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def brief_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    brief = build([str(EXAMPLE)], BuildOptions(backend=BackendChoice.extractive, date="2025-06-10"))
    path = tmp_path_factory.mktemp("brief") / "brief.json"
    path.write_text(render_json(brief), encoding="utf-8")
    return path


def _with_people(path: Path) -> None:
    store = SubscriberStore(path)
    for n in range(40):
        store.add(f"reader{n:02d}@example.org", f"Reader {n}")
    store.close()


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_database_is_one_error_line_and_is_never_moved_or_recreated(
    damage: str, brief_file: Path, smtp: SmtpServer, tmp_path: Path
) -> None:
    db = tmp_path / "briefing.sqlite3"
    _with_people(db)
    DAMAGE[damage](db)
    damaged = db.read_bytes()
    env = {**smtp.env(), "BRIEFING_DB": str(db), "BRIEFING_CACHE_DIR": str(tmp_path / "cache")}
    runner = CliRunner()
    commands = {
        "list": ["subscribers", "list"],
        "add": ["subscribers", "add", "new@example.org"],
        "remove": ["subscribers", "remove", "reader01@example.org"],
        "send": ["send", str(brief_file), "--sources", str(EXAMPLE)],
        "daily": [
            "daily",
            "--articles",
            str(EXAMPLE),
            "--backend",
            "extractive",
            "--date",
            "2025-06-10",
            "--editions",
            str(tmp_path / "editions"),
        ],
    }

    for name, args in commands.items():
        result = runner.invoke(app, args, env=env)
        assert result.exit_code == 1, (name, result.output)
        assert "Traceback" not in result.output and result.stdout == "", name
        (line,) = result.stderr.splitlines()
        assert line.startswith(f"briefing: error: database {db} is damaged ("), (name, line)
        assert line.endswith(
            f"it was left as it is: restore it from a backup, or save what is readable "
            f"with `sqlite3 {db} .recover`"
        ), (name, line)
    assert db.read_bytes() == damaged, "not repaired, recreated or written to"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("briefing.sqlite3")) == [
        "briefing.sqlite3"
    ], "not moved aside"
    assert smtp.inbox.messages == [], "nobody was mailed"


def test_the_database_is_sound_after_a_send_to_a_real_smtp_server(
    brief_file: Path, smtp: SmtpServer, tmp_path: Path
) -> None:
    db = tmp_path / "briefing.sqlite3"
    _with_people(db)
    env = {**smtp.env(), "BRIEFING_DB": str(db), "BRIEFING_CACHE_DIR": str(tmp_path / "cache")}
    runner = CliRunner()

    sent = runner.invoke(app, ["send", str(brief_file), "--sources", str(EXAMPLE)], env=env)
    runner.invoke(app, ["subscribers", "remove", "reader07@example.org"], env=env)

    assert sent.exit_code == 0, sent.output
    assert len(smtp.inbox.messages) == 40
    assert integrity(db) == [("ok",)]
    with sqlite3.connect(db) as check:
        assert check.execute("SELECT status, COUNT(*) FROM deliveries GROUP BY status").fetchall() == [
            ("sent", 40)
        ]
        assert check.execute("SELECT COUNT(*) FROM subscribers WHERE status = 'active'").fetchone() == (39,)


def test_a_read_only_database_is_one_error_line_and_nobody_is_mailed(
    brief_file: Path, smtp: SmtpServer, tmp_path: Path
) -> None:
    db = tmp_path / "briefing.sqlite3"
    _with_people(db)
    before = db.read_bytes()
    env = {**smtp.env(), "BRIEFING_DB": str(db), "BRIEFING_CACHE_DIR": str(tmp_path / "cache")}

    with unwritable(db):
        result = CliRunner().invoke(app, ["send", str(brief_file), "--sources", str(EXAMPLE)], env=env)

    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.splitlines() == [
        f"briefing: error: database {db} cannot be written (attempt to write a readonly database)"
    ]
    assert smtp.inbox.messages == [] and db.read_bytes() == before


def test_international_addresses_are_added_and_one_that_needs_smtputf8_says_so(tmp_path: Path) -> None:
    runner = CliRunner()
    env = {"BRIEFING_DB": str(tmp_path / "db.sqlite3")}

    idna = runner.invoke(app, ["subscribers", "add", "aaa@bücher.example"], env=env)
    utf8 = runner.invoke(app, ["subscribers", "add", "josé@exämple.com"], env=env)
    quoted = runner.invoke(app, ["subscribers", "add", '"a b"@example.com'], env=env)

    assert idna.exit_code == 0 and idna.stderr == ""
    assert utf8.exit_code == 0 and utf8.stderr.strip().splitlines() == [
        "briefing: note: josé@exämple.com can only be delivered through a relay offering SMTPUTF8"
    ]
    assert quoted.exit_code == 2 and len(quoted.stderr.strip().splitlines()) == 1


def test_one_mailbox_is_one_subscriber_beyond_ascii_case(tmp_path: Path) -> None:
    store = SubscriberStore(tmp_path / "db.sqlite3")
    first, added = store.add("ÉMILE@Exämple.com")
    again, added_again = store.add("émile@EXÄMPLE.com")

    assert added and not added_again and again.token == first.token
    assert [s.email for s in store.list()] == ["ÉMILE@exämple.com"]
    assert store.remove("émile@xn--exmple-cua.com") and store.list(active_only=True) == []


def test_a_database_from_before_mailbox_keys_is_migrated_and_a_mailbox_listed_twice_is_sent_once_with_a_line(
    brief_file: Path, tmp_path: Path
) -> None:
    path = tmp_path / "old.sqlite3"
    old = sqlite3.connect(path)
    old.execute(
        "CREATE TABLE subscribers (email TEXT PRIMARY KEY COLLATE NOCASE, name TEXT NOT NULL DEFAULT '', "
        "status TEXT NOT NULL CHECK (status IN ('active', 'unsubscribed')), token TEXT NOT NULL UNIQUE, "
        "added REAL NOT NULL, changed REAL NOT NULL)"
    )
    old.executemany(
        "INSERT INTO subscribers VALUES (?, '', 'active', ?, ?, ?)",
        [
            ("ÉMILE@example.com", "t1", 1, 1),
            ("émile@example.com", "t2", 2, 2),
            ("zoe@example.com", "t3", 3, 3),
        ],
    )
    old.commit()
    old.close()
    with serve(SmtpServer(smtputf8=True)) as server:
        env = {**server.env(), "BRIEFING_DB": str(path)}
        runner = CliRunner()
        listed = runner.invoke(app, ["subscribers", "list"], env=env)
        added = runner.invoke(app, ["subscribers", "add", "ZOË@example.com"], env=env)
        sent = runner.invoke(app, ["send", str(brief_file), "--force"], env=env)

    assert len(listed.stdout.splitlines()) == 3 and added.exit_code == 0
    assert sent.exit_code == 0, sent.output
    assert "listed twice: émile@example.com is the mailbox of ÉMILE@example.com; sent once" in sent.stderr
    assert "3 subscribers, 3 sent now" in sent.stderr
    assert server.inbox.per_recipient() == {
        "ÉMILE@example.com".casefold(): 1,
        "zoe@example.com": 1,
        "zoë@example.com": 1,
    }
    assert integrity(path) == [("ok",)]


def test_the_validators_reason_is_given_and_the_local_part_limit_holds(
    store: SubscriberStore, tmp_path: Path
) -> None:
    listing = tmp_path / "list.csv"
    listing.write_text('q"x@example.com\n' + "a" * 65 + "@example.com\n", encoding="utf-8")

    result = store.import_csv(listing)
    store.add("b" * 64 + "@example.com")

    assert result.added == 0 and len(result.problems) == 2
    quoted, long = result.problems
    assert "quoted local parts" in quoted and "@-sign" not in quoted
    assert "too long before the @-sign (1 character too many); skipped" in long
    assert ".;" not in quoted + long
