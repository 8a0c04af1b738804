"""Make the database files of this folder with the briefing whose code is on PYTHONPATH.

The files are what a release of briefing leaves behind, made by its real commands, so
that tests/test_database_upgrade.py can check that a later version upgrades them in
place. Run it from the root of a checkout of the release to keep files of:

    PYTHONPATH=. python tests/upgrade/make_files.py tests/upgrade/<release>

It starts the loopback servers of tests/ (an OpenAI-compatible one, a web server and
an SMTP relay), then:
- `build` two web pages and one file with the model backend and the cache
  (extractions.sqlite3: extractions and pages);
- `subscribers add` six people and `subscribers remove` one;
- `send` the brief to the relay, which refuses one recipient (550, failed) and keeps
  deferring another (450, still pending);
- adds a seventh subscriber and sends again, killing the run while the relay holds the
  message data unanswered (an uncertain row, and the lock of a run that is gone).

`made.json` records what a test needs to ask for the same things again: the model
endpoint (part of each extraction's cache key) and the pages' URLs.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from fault_server import FaultServer  # noqa: E402
from smtp_server import SmtpServer  # noqa: E402
from web_server import WebServer  # noqa: E402

EXAMPLE = HERE.parent.parent / "examples" / "london-talks" / "harbour-ledger.txt"
PEOPLE = ["ann@example.org", "bob@example.org", "cy@example.org", "dee@example.org", "ÉMILE@Exämple.com"]


def run(*args: str, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "briefing", *args], env=env, capture_output=True, text=True)
    print("$ briefing", *args, f"-> {done.returncode}\n{done.stdout}{done.stderr}", flush=True)
    if check and done.returncode != 0:
        raise SystemExit(f"briefing {args[0]} failed")
    return done


def main() -> None:
    out = Path(sys.argv[1]).resolve()
    work = out / "work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    model, web, relay = FaultServer().start(), WebServer().start(), SmtpServer(smtputf8=True).start()
    env = {
        **os.environ,
        **relay.env(),
        "BRIEFING_CACHE_DIR": str(work),
        "BRIEFING_DB": str(work / "briefing.sqlite3"),
        "OPENAI_BASE_URL": model.base_url,
        "OPENAI_API_KEY": "placeholder-key",
    }
    for name in [n for n in env if n.startswith("BRIEFING_CONFIG")]:
        del env[name]
    brief = out / "brief.json"
    try:
        pages = [web.url("wire-cpa.html"), web.url("bay-radio.html")]
        run(
            "build",
            *pages,
            str(EXAMPLE),
            "--backend",
            "model",
            "--date",
            "2025-06-10",
            "-f",
            "json",
            "-o",
            str(brief),
            env=env,
        )
        for address in [*PEOPLE, "eve@example.org"]:
            run("subscribers", "add", address, "--name", address.split("@")[0].title(), env=env)
        run("subscribers", "remove", "eve@example.org", env=env)
        relay.inbox.script("cy@example.org", ["550"])
        relay.inbox.script("dee@example.org", ["450"] * 10)
        run("send", str(brief), "--force", env=env, check=False)

        run("subscribers", "add", "fay@example.org", env=env)
        relay.inbox.delay_s = 60.0
        sender = subprocess.Popen([sys.executable, "-m", "briefing", "send", str(brief), "--force"], env=env)
        db = sqlite3.connect(work / "briefing.sqlite3", timeout=30)
        query = "SELECT count(*) FROM deliveries WHERE email = 'fay@example.org' AND data_at IS NOT NULL"
        for _ in range(600):
            if db.execute(query).fetchone()[0]:
                break
            time.sleep(0.1)
        else:
            raise SystemExit("the second send never reached the data of fay@example.org")
        db.close()
        sender.send_signal(signal.SIGKILL)
        sender.wait()
    finally:
        relay.stop()
        web.stop()
        model.stop()
    for name in ("extractions.sqlite3", "briefing.sqlite3"):
        with sqlite3.connect(work / name) as db:  # fold the write-ahead log into the file
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.close()
        shutil.copyfile(work / name, out / name)
    shutil.rmtree(work)
    made = {"model_endpoint": model.base_url, "pages": pages, "file": EXAMPLE.name}
    (out / "made.json").write_text(json.dumps(made, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
