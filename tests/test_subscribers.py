"""Subscribers in SQLite on disk, through the library and the `briefing subscribers` commands."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from briefing.cli import app
from briefing.deliver.subscribers import Status, SubscriberStore, default_db_path
from briefing.errors import UserError


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
