"""One settings surface: flags, then the environment, then the TOML file, then the defaults.

Checked on `load_settings` itself, and through the CLI against the real loopback servers:
a cost cap kept in the config file stops the daily run's model calls as `build --max-cost`
does, and SMTP settings kept in the file (the password in a file it names) reach the relay.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from fault_server import FaultServer, Usage
from smtp_server import SmtpServer
from typer.testing import CliRunner

from briefing.app.cli import app
from briefing.errors import UserError
from briefing.extract.model.pricing import estimate_cost
from briefing.ingest.feeds import DEFAULT_MAX_ENTRIES
from briefing.settings import ENVIRONMENT, Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "london-talks"
DAY = "2025-06-10"
runner = CliRunner()


def toml(tmp_path: Path, text: str, name: str = "briefing.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_flag_beats_the_environment_which_beats_the_file_which_beats_the_default(tmp_path: Path) -> None:
    config = toml(tmp_path, "max_cost = 3.0\nconcurrency = 3\nrpm = 30\nmodel = 'from-file'\n")
    env = {"BRIEFING_MAX_COST": "2.0", "BRIEFING_CONCURRENCY": "2", "BRIEFING_MODEL": "from-env"}

    chosen = load_settings(config, {"max_cost": 1.0, "model": None}, env)

    assert chosen.max_cost == 1.0, "the flag"
    assert chosen.concurrency == 2 and chosen.model == "from-env", "the environment"
    assert chosen.rpm == 30, "the file"
    assert chosen.tpm is None and chosen.timeout == 60.0 and chosen.cache is True, "the defaults"
    assert (chosen.origin("max_cost"), chosen.origin("concurrency")) == ("--max-cost", "BRIEFING_CONCURRENCY")
    assert chosen.origin("rpm") == f"config {config}: rpm" and chosen.origin("tpm") == ""
    assert load_settings(None, None, {"BRIEFING_CONFIG": str(config)}).max_cost == 3.0, "$BRIEFING_CONFIG"


def test_a_blank_variable_is_unset_and_a_bad_one_is_one_line_naming_it(tmp_path: Path) -> None:
    assert load_settings(None, None, {"BRIEFING_CONCURRENCY": "  "}).concurrency == 8
    with pytest.raises(UserError, match=r"^BRIEFING_CONCURRENCY: input should be a valid integer.*'many'"):
        load_settings(None, None, {"BRIEFING_CONCURRENCY": "many"})
    config = toml(tmp_path, "max_entries = 0\n")
    with pytest.raises(UserError, match=rf"^config {re.escape(str(config))}: max_entries: .*greater than"):
        load_settings(config, None, {})

    result = runner.invoke(app, ["build", "x.txt"], env={"BRIEFING_RPM": "0"})
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert result.stderr.startswith(
        "briefing: error: BRIEFING_RPM: input should be greater than or equal to 1"
    )
    smtp = load_settings(config=toml(tmp_path, "smtp_host = 'h'\nsmtp_port = 'x'\n", "smtp.toml"), environ={})
    with pytest.raises(UserError, match=r"smtp\.toml: smtp_port must be a port number, not 'x'"):
        smtp.smtp()


def test_an_unknown_or_secret_key_in_the_file_is_one_line_naming_the_file_and_key(tmp_path: Path) -> None:
    typo = toml(tmp_path, "max_cots = 1.0\n")
    secret = toml(tmp_path, "smtp_password = 'hunter2-secret'\n", "secret.toml")

    unknown = runner.invoke(app, ["build", "--config", str(typo), "x.txt"])
    refused = runner.invoke(app, ["daily", "--config", str(secret), "--articles", str(tmp_path)])

    assert unknown.exit_code == 2 and unknown.stderr.count("\n") == 1
    assert unknown.stderr.startswith(f"briefing: error: config {typo}: unknown key 'max_cots' (known: feeds,")
    assert refused.exit_code == 2 and refused.stderr.count("\n") == 1
    assert f"config {secret}: smtp_password does not belong in the file" in refused.stderr
    assert "hunter2" not in refused.output


def test_smtp_from_the_file_with_the_password_in_a_file_it_names(tmp_path: Path) -> None:
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "smtp").write_text("s3cret-pass\n", encoding="utf-8")
    config = toml(
        tmp_path,
        "smtp_host = 'relay.example.org'\nsmtp_tls = 'ssl'\nsmtp_user = 'brief'\n"
        "smtp_password_file = 'secrets/smtp'\nsmtp_timeout = 12\nsender = 'Brief <brief@example.org>'\n",
    )

    smtp = load_settings(config, None, {}).smtp()
    overridden = load_settings(
        config, None, {"BRIEFING_SMTP_PASSWORD": "from-env", "BRIEFING_SMTP_PORT": "2465"}
    )

    assert (smtp.host, smtp.port, smtp.tls, smtp.user, smtp.timeout_s) == (
        "relay.example.org",
        465,
        "ssl",
        "brief",
        12,
    )
    assert smtp.password == "s3cret-pass", "read from the file, relative to the config, without its newline"
    assert overridden.smtp().password == "from-env" and overridden.smtp().port == 2465
    assert "from-env" not in repr(overridden) and "s3cret" not in repr(smtp)
    assert load_settings(config, None, {}).mail().sender == "Brief <brief@example.org>"
    missing = toml(tmp_path, "smtp_host = 'h'\nsmtp_password_file = 'nowhere'\n", "missing.toml")
    with pytest.raises(UserError, match=r"smtp_password_file .*nowhere"):
        load_settings(missing, None, {}).smtp()


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_send_reaches_a_relay_that_needs_a_login_with_settings_only_from_the_file(tmp_path: Path) -> None:
    server = SmtpServer(login=("brief", "s3cret-pass"), login_without_tls=True).start()
    try:
        (tmp_path / "smtp-password").write_text("s3cret-pass", encoding="utf-8")
        config = toml(
            tmp_path,
            f"smtp_host = '127.0.0.1'\nsmtp_port = {server.port}\nsmtp_tls = 'none'\nsmtp_user = 'brief'\n"
            "smtp_allow_plain_auth = true\nsmtp_password_file = 'smtp-password'\n"
            f"sender = 'Morning brief <brief@example.com>'\ndb = '{tmp_path / 'db.sqlite3'}'\n",
        )
        env = {"BRIEFING_CONFIG": str(config)}
        assert runner.invoke(app, ["subscribers", "add", "ana@example.org"], env=env).exit_code == 0
        built = runner.invoke(
            app, ["build", "-q", "--backend", "extractive", "--date", DAY, "-f", "json", str(EXAMPLE)]
        )
        brief = tmp_path / "brief.json"
        brief.write_text(built.stdout, encoding="utf-8")

        result = runner.invoke(app, ["send", str(brief), "--force"], env=env)

        assert result.exit_code == 0, result.output
        assert server.logins == ["brief"]
        assert [m.recipients for m in server.inbox.messages] == [["ana@example.org"]]
    finally:
        server.stop()


@pytest.fixture
def model_server() -> Iterator[FaultServer]:
    server = FaultServer().start()
    yield server
    server.stop()


def test_a_cost_cap_in_the_config_file_stops_the_daily_run_as_build_max_cost_does(
    model_server: FaultServer, tmp_path: Path
) -> None:
    today = tmp_path / "today"
    today.mkdir()
    for name in ("crescent-times.txt", "harbour-ledger.txt", "mekong-daily.txt"):
        shutil.copy(EXAMPLE / name, today / name)
    per_request = estimate_cost("gpt-4o-mini", Usage()) or 0.0  # type: ignore[arg-type]
    config = toml(tmp_path, f"max_cost = {per_request / 2}\nconcurrency = 1\n")
    env = {
        "BRIEFING_DB": str(tmp_path / "db.sqlite3"),
        "BRIEFING_CACHE_DIR": str(tmp_path / "cache"),
        "OPENAI_API_KEY": "placeholder-key",
        "BRIEFING_FROM": "Morning brief <brief@example.com>",
    }
    assert runner.invoke(app, ["subscribers", "add", "ana@example.org"], env=env).exit_code == 0
    model = [
        "--backend",
        "model",
        "--base-url",
        model_server.base_url,
        "--model",
        "gpt-4o-mini",
        "--no-cache",
    ]
    daily = ["daily", "--date", DAY, "--articles", str(today), "--config", str(config), *model]

    capped = runner.invoke(app, [*daily, "--dry-run", str(tmp_path / "out1")], env=env)
    after_daily = len(model_server.exchanges)
    built = runner.invoke(
        app, ["build", str(today), "--max-cost", str(per_request / 2), "--concurrency", "1", *model], env=env
    )
    after_build = len(model_server.exchanges)
    lifted = runner.invoke(app, [*daily, "--max-cost", "5", "--dry-run", str(tmp_path / "out2")], env=env)

    assert capped.exit_code == 3, capped.output
    assert after_daily == 1, "one request, then the cap: the rest go extractive"
    assert capped.stderr.count("cost ceiling of $") == 2
    assert built.exit_code == 3 and after_build - after_daily == 1, "build stops at the same place"
    assert lifted.exit_code == 0, lifted.output
    assert len(model_server.exchanges) - after_build == 3, "the flag beats the file"


def test_daily_help_lists_the_cost_and_speed_options() -> None:
    result = runner.invoke(app, ["daily", "--help"], env={"COLUMNS": "200"})

    assert result.exit_code == 0
    for option in ("--max-cost", "--concurrency", "--rpm", "--tpm", "--mode", "--timeout", "--no-cache"):
        assert option in result.stdout, option
    for option in ("--max-input-tokens", "--quiet", "--to", "--config", "--batch"):
        assert option in result.stdout, option


def test_the_help_states_the_settings_defaults() -> None:
    command = typer.main.get_command(app).commands["build"]  # type: ignore[attr-defined]
    helps = {p.name: p.help or "" for p in command.params}
    for name in ("timeout", "concurrency", "max_input_tokens"):
        default = Settings.model_fields[name].default
        assert f"default: {default:g})" in helps[name], name
    assert f"(default: {DEFAULT_MAX_ENTRIES})" in helps["max_entries"]


def test_every_variable_is_one_setting() -> None:
    assert set(ENVIRONMENT) <= set(Settings.model_fields)
    assert len(set(ENVIRONMENT.values())) == len(ENVIRONMENT)
