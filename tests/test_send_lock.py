"""Two real senders at once, against aiosmtpd: the lock and the per-row claims never double a send."""

# The fixture brief comes from test_send (imported, hence F811 on its use).
# ruff: noqa: F811

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from smtp_server import SmtpServer
from test_send import brief  # noqa: F401

from briefing.contracts import Brief
from briefing.errors import UserError
from briefing.render.brief import render_json
from briefing.store.ledger import LEASE_S, Ledger
from briefing.store.subscribers import SubscriberStore

TWENTY = [f"p{n:02d}@example.org" for n in range(20)]


def start_sender(brief_file: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "briefing", "send", str(brief_file), "--force"]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def two_senders(brief: Brief, smtp: SmtpServer, tmp_path: Path, meddle: str) -> tuple[str, str]:
    """Start a send and hold it at the sixth subscriber; change its lock row with `meddle`; run a
    second send to the end; then let the first one go on. The stderr of both."""
    brief_file = tmp_path / "brief.json"
    brief_file.write_text(render_json(brief), encoding="utf-8")
    db = tmp_path / "db.sqlite3"
    store = SubscriberStore(db)
    for address in TWENTY:
        store.add(address)
    store.close()
    env = {**os.environ, **smtp.env(), "BRIEFING_DB": str(db)}
    smtp.inbox.script(TWENTY[5], ["hold"])

    first = start_sender(brief_file, env)
    assert smtp.inbox.holding.wait(60), "the first run reached the sixth subscriber"
    with sqlite3.connect(db, timeout=30) as meddling:
        assert meddling.execute(meddle).rowcount == 1
    second = start_sender(brief_file, env).communicate(timeout=120)[1]
    smtp.inbox.release.set()
    return first.communicate(timeout=120)[1], second


def test_a_live_owner_keeps_its_lock_however_old_it_is(
    brief: Brief,
    smtp: SmtpServer,
    tmp_path: Path,
) -> None:
    first, second = two_senders(brief, smtp, tmp_path, "UPDATE send_locks SET acquired = acquired - 7200")

    assert smtp.inbox.per_recipient() == {p: 1 for p in TWENTY}, "nobody got two copies"
    assert "20 sent now" in first and "being sent by another run" in second


def test_a_lock_taken_over_from_a_live_run_still_sends_each_row_once(
    brief: Brief,
    smtp: SmtpServer,
    tmp_path: Path,
) -> None:
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead_owner = f"{socket.gethostname()}:{gone.stdout.strip()}:1"

    first, second = two_senders(brief, smtp, tmp_path, f"UPDATE send_locks SET owner = '{dead_owner}'")

    assert smtp.inbox.per_recipient() == {p: 1 for p in TWENTY}, "nobody got two copies"
    assert "Traceback" not in first + second


def test_the_lease_decides_for_a_run_on_another_host(tmp_path: Path) -> None:
    store = SubscriberStore(tmp_path / "db.sqlite3")
    ledger = Ledger(store.database)
    now = time.time()
    insert = "INSERT OR REPLACE INTO send_locks (edition, owner, acquired, heartbeat) VALUES (?, ?, ?, ?)"

    store.connection.execute(insert, ("e", "elsewhere:1:1", now - 7200, now - 1))
    store.connection.commit()
    with pytest.raises(UserError, match="being sent by another run"), ledger.locked("e"):
        pass
    store.connection.execute(insert, ("e", "elsewhere:1:1", now - 7200, now - LEASE_S - 1))
    store.connection.commit()
    with ledger.locked("e") as lease:
        assert not lease.lost.is_set()
    assert store.connection.execute("SELECT count(*) FROM send_locks").fetchone() == (0,)


def test_a_row_is_claimed_by_one_run_only(tmp_path: Path) -> None:
    one = Ledger(SubscriberStore(tmp_path / "db.sqlite3").database)
    two = Ledger(SubscriberStore(tmp_path / "db.sqlite3").database)
    one.plan("e", ["a@example.org"])

    assert one.claim("e", "a@example.org", "run-1") and not two.claim("e", "a@example.org", "run-2")
    two.reopen("e", owner="run-2", failed=False, uncertain=False)  # run-1 looks gone to run-2
    assert two.claim("e", "a@example.org", "run-2")
    assert not one.data_out("e", "a@example.org", "run-1"), "run-1 lost the row before its data went out"
    assert two.data_out("e", "a@example.org", "run-2")
