"""Settings: every knob of a run, read in one place, in one order.

A value comes from the first of these that gives it:

1. a command-line flag (`--max-cost 0.50`);
2. the environment (`BRIEFING_MAX_COST=0.50`; the table is `ENVIRONMENT`);
3. the TOML config file, given with `--config` or `$BRIEFING_CONFIG`;
4. the default below.

A scheduled run keeps what does not change from day to day in the file:

    feeds = ["https://example.org/news.rss", "https://example.com/atom.xml"]
    since = "24h"                 # entries published in the last 24 hours
    topic = ["ferry", "harbour"]  # only entries that mention one of these
    language = "en"               # the brief's language
    max_entries = 200             # at most this many entries read per feed (the newest)
    allow_private_network = false # feed entries and redirects may reach private addresses
    max_cost = 0.50               # USD; the rest of the articles go extractive
    smtp_host = "smtp.example.com"
    smtp_user = "brief"
    smtp_password_file = "/etc/briefing/smtp-password"
    require_approval = true       # send only an edition an editor approved

Feeds given as flags add to the file's. An unknown key is an error, not ignored, so a
misspelt `feed =` cannot silently leave the brief without its feeds. Secrets (the API
key, the SMTP password) never come from the file itself: the key only from
`$OPENAI_API_KEY`, the password from `$BRIEFING_SMTP_PASSWORD` or the file named by
`smtp_password_file`; both are kept as `SecretStr`, so no repr or message shows them.

This is the only module that reads the process environment.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import Field, PrivateAttr, SecretStr, ValidationError
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from briefing.errors import UserError
from briefing.extract.choice import BackendChoice
from briefing.extract.model.budget import DEFAULT_MAX_INPUT_TOKENS
from briefing.ingest.files import CONFIG_LIMIT, FileRefused, read_file

if TYPE_CHECKING:
    from briefing.deliver.message import MailSettings
    from briefing.deliver.send import SmtpSettings
    from briefing.pipeline import BuildOptions

__all__ = ["ENVIRONMENT", "Settings", "load_settings", "read_environment"]

ENVIRONMENT: dict[str, str] = {
    "model": "BRIEFING_MODEL",
    "embeddings_model": "BRIEFING_EMBEDDINGS_MODEL",
    "base_url": "OPENAI_BASE_URL",
    "api_key": "OPENAI_API_KEY",
    "mode": "BRIEFING_MODE",
    "timeout": "BRIEFING_TIMEOUT",
    "max_cost": "BRIEFING_MAX_COST",
    "concurrency": "BRIEFING_CONCURRENCY",
    "rpm": "BRIEFING_RPM",
    "tpm": "BRIEFING_TPM",
    "max_input_tokens": "BRIEFING_MAX_INPUT_TOKENS",
    "cache": "BRIEFING_CACHE",
    "smtp_host": "BRIEFING_SMTP_HOST",
    "smtp_port": "BRIEFING_SMTP_PORT",
    "smtp_tls": "BRIEFING_SMTP_TLS",
    "smtp_user": "BRIEFING_SMTP_USER",
    "smtp_password": "BRIEFING_SMTP_PASSWORD",
    "smtp_password_file": "BRIEFING_SMTP_PASSWORD_FILE",
    "smtp_timeout": "BRIEFING_SMTP_TIMEOUT",
    "smtp_ca_file": "BRIEFING_SMTP_CA_FILE",
    "smtp_allow_plain_auth": "BRIEFING_SMTP_ALLOW_PLAIN_AUTH",
    "sender": "BRIEFING_FROM",
    "unsubscribe_url": "BRIEFING_UNSUBSCRIBE_URL",
    "list_name": "BRIEFING_LIST_NAME",
    "alert_to": "BRIEFING_ALERT_TO",
    "cache_dir": "BRIEFING_CACHE_DIR",
    "db": "BRIEFING_DB",
    "articles": "BRIEFING_ARTICLES",
    "editions": "BRIEFING_EDITIONS",
    "min_sources": "BRIEFING_MIN_SOURCES",
    "require_approval": "BRIEFING_REQUIRE_APPROVAL",
}
"""Each setting's environment variable; the rest (the feed queries) come from flags or the file."""

_SECRET_IN_FILE = {
    "api_key": "set OPENAI_API_KEY in the environment",
    "smtp_password": "set BRIEFING_SMTP_PASSWORD, or name a file with smtp_password_file",
}
_FLAGS = {"cache": "--no-cache", "feeds": "--feed"}
_KEEP_SPACES = {"smtp_password", "smtp_user"}
_TRUE = ("1", "true", "yes", "on")

_LAYERS: ContextVar[tuple[dict[str, Any], dict[str, Any]]] = ContextVar("settings_layers")


class Settings(BaseSettings):
    """One run's settings, validated; see the module docstring for where each comes from."""

    model_config = SettingsConfigDict(extra="forbid", frozen=True, validate_default=True)

    # What to read.
    feeds: tuple[str, ...] = ()
    since: str | None = None
    topic: tuple[str, ...] = ()
    language: str | None = None
    max_entries: int | None = Field(default=None, ge=1)
    allow_private_network: bool = False
    articles: Path | None = None
    """The daily run's folder of articles, when it reads no feeds."""
    editions: Path = Path("editions")
    min_sources: int = Field(default=2, ge=1)

    # The model.
    backend: BackendChoice = BackendChoice.auto
    model: str | None = None
    base_url: str | None = None
    api_key: SecretStr | None = None
    mode: str | None = None
    timeout: float = Field(default=60.0, ge=1)
    batch: bool = False
    embeddings_model: str | None = None
    """The endpoint's model that embeds article leads for grouping; None: the bundled model."""

    # Cost and speed.
    max_cost: float | None = None
    concurrency: int = Field(default=8, ge=1)
    rpm: int | None = Field(default=None, ge=1)
    tpm: int | None = Field(default=None, ge=1)
    max_input_tokens: int = Field(default=DEFAULT_MAX_INPUT_TOKENS, ge=200)
    cache: bool = True

    # SMTP: checked by `smtp()`, when a command sends, so that a bad port never stops a build.
    smtp_host: str | None = None
    smtp_port: int | str | None = None
    smtp_tls: str = "starttls"
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_password_file: Path | None = None
    smtp_timeout: float | str | None = None
    smtp_ca_file: str | None = None
    smtp_allow_plain_auth: bool = False

    # Delivery.
    sender: str = ""
    unsubscribe_url: str = ""
    list_name: str = "briefing"
    alert_to: str | None = None
    require_approval: bool = False
    """`send` and `daily` send only an edition an editor approved (test copies with --to still go)."""

    # Paths.
    cache_dir: Path | None = None
    db: Path | None = None

    _origins: dict[str, str] = PrivateAttr(default_factory=dict)

    def origin(self, key: str) -> str:
        """Where a setting came from, for messages: "--flag", the variable, "config FILE: key", or ""."""
        return self._origins.get(key, "")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        environment, config = _LAYERS.get(({}, {}))
        return (init_settings, _Layer(settings_cls, environment), _Layer(settings_cls, config))

    def cache_path(self) -> Path:
        """The cache file: in `cache_dir`, else in the user's cache directory."""
        import platformdirs

        from briefing.store.cache import CACHE_FILE

        folder = self.cache_dir or Path(platformdirs.user_cache_dir("briefing"))
        return folder.expanduser() / CACHE_FILE

    def db_path(self) -> Path:
        """The delivery database: `db`, else `briefing.sqlite3` in the user's data directory."""
        import platformdirs

        if self.db is not None:
            return self.db.expanduser()
        return Path(platformdirs.user_data_dir("briefing")) / "briefing.sqlite3"

    def build_options(self, **extra: Any) -> BuildOptions:
        """The pipeline's options from these settings; `extra` sets what is not a setting (date, language)."""
        from briefing.pipeline import BuildOptions

        # A model named only in the environment is the model to use, not a demand for one:
        # with `auto` and no endpoint the run goes extractive, as it always has.
        model = None if self.model is None or self.origin("model") == ENVIRONMENT["model"] else self.model
        return BuildOptions(
            backend=self.backend,
            model=model,
            base_url=self.base_url,
            mode=self.mode,
            timeout=self.timeout,
            max_input_tokens=self.max_input_tokens,
            concurrency=self.concurrency,
            max_cost=self.max_cost,
            use_cache=self.cache,
            cache_path=self.cache_path(),
            requests_per_minute=self.rpm,
            tokens_per_minute=self.tpm,
            batch=self.batch,
            allow_private_network=self.allow_private_network,
            embeddings_model=self.embeddings_model,
            **extra,
        )

    def mail(self) -> MailSettings:
        """Who the brief comes from and how to leave the list."""
        from briefing.deliver.message import MailSettings

        return MailSettings(
            sender=self.sender, unsubscribe_url=self.unsubscribe_url, list_name=self.list_name
        )

    def smtp(self) -> SmtpSettings:
        """Where to send.

        Raises:
            UserError: No host, an unreadable password file, or a login over an
                unencrypted connection that was not explicitly allowed.
        """
        from briefing.deliver.send import SmtpSettings

        if not self.smtp_host:
            raise UserError(
                "no SMTP server configured: set BRIEFING_SMTP_HOST or smtp_host in the config file "
                "(and _PORT, _USER, _PASSWORD, _TLS)"
            )
        tls = self.smtp_tls.strip().lower() or "starttls"
        if tls not in ("none", "starttls", "ssl"):
            raise UserError(f"{self._named('smtp_tls')} must be none, starttls or ssl, not {self.smtp_tls!r}")
        port = str(
            self.smtp_port if self.smtp_port is not None else {"none": 25, "starttls": 587, "ssl": 465}[tls]
        )
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise UserError(f"{self._named('smtp_port')} must be a port number, not {self.smtp_port!r}")
        try:
            timeout = float(self.smtp_timeout if self.smtp_timeout is not None else 30.0)
        except ValueError:
            timeout = -1.0
        if not 0 < timeout <= 600:
            raise UserError(
                f"{self._named('smtp_timeout')} must be seconds between 0 and 600, not {self.smtp_timeout!r}"
            )
        password = self.smtp_password.get_secret_value() if self.smtp_password is not None else None
        if password is None and self.smtp_password_file is not None:
            password = _password_from(self.smtp_password_file)
        return SmtpSettings(
            host=self.smtp_host,
            port=int(port),
            user=self.smtp_user,
            password=password,
            tls=tls,  # type: ignore[arg-type]
            ca_file=self.smtp_ca_file,
            timeout_s=timeout,
            allow_plain_auth=self.smtp_allow_plain_auth,
        )

    def _named(self, key: str) -> str:
        """A setting's name as its user gave it: the flag, the variable or the file's key."""
        return self.origin(key) or ENVIRONMENT[key]


class _Layer(PydanticBaseSettingsSource):
    """One layer of values already read (the environment's or the file's)."""

    def __init__(self, settings_cls: type[BaseSettings], values: dict[str, Any]) -> None:
        super().__init__(settings_cls)
        self.values = values

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self.values.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(self.values)


def read_environment(name: str, environ: Mapping[str, str] | None = None) -> str | None:
    """One variable of the environment (or of `environ`), stripped; None when unset or blank."""
    value = (os.environ if environ is None else environ).get(name, "").strip()
    return value or None


def load_settings(
    config: Path | None = None,
    flags: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """The settings: `flags` (None values are not given), then `environ`, then the config file.

    Args:
        config: The TOML file; None: `$BRIEFING_CONFIG`, else no file.
        flags: What the command line gave, by setting name.
        environ: The environment; `os.environ` when None (tests pass a dict).

    Raises:
        UserError: The file cannot be read, is not TOML, has an unknown key or holds a
            secret; or a value of the wrong type: one line naming where it came from.
    """
    env = os.environ if environ is None else environ
    if config is None:
        named = read_environment("BRIEFING_CONFIG", env)
        config = Path(named).expanduser() if named else None
    given = {key: value for key, value in (flags or {}).items() if value is not None}
    environment = _environment_layer(env)
    from_file = _file_layer(config) if config is not None else {}
    with _layers(environment, from_file):
        try:
            settings = Settings(**given)
        except ValidationError as exc:
            error = exc.errors()[0]
            key = str(error["loc"][0]) if error["loc"] else ""
            if key in given:
                where, value = _flag(key), given[key]
            elif key in environment:
                where, value = ENVIRONMENT[key], environment[key]
            else:
                where, value = f"config {config}: {key}", from_file.get(key)
            shown = "" if key in _SECRET_IN_FILE else f", not {value!r}"
            raise UserError(f"{where}: {error['msg'].lower()}{shown}") from None
    for key in Settings.model_fields:
        if key in given:
            settings._origins[key] = _flag(key)
        elif key in environment:
            settings._origins[key] = ENVIRONMENT[key]
        elif key in from_file:
            settings._origins[key] = f"config {config}: {key}"
    return settings


def _flag(key: str) -> str:
    return _FLAGS.get(key, f"--{key.replace('_', '-')}")


@contextmanager
def _layers(environment: dict[str, Any], config: dict[str, Any]) -> Iterator[None]:
    token = _LAYERS.set((environment, config))
    try:
        yield
    finally:
        _LAYERS.reset(token)


def _environment_layer(environ: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, name in ENVIRONMENT.items():
        raw = environ.get(name)
        if raw is None or not raw.strip():
            continue
        value: Any = raw if key in _KEEP_SPACES else raw.strip()
        if key in ("smtp_allow_plain_auth", "require_approval"):
            value = value.lower() in _TRUE
        values[key] = value
    return values


def _file_layer(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(read_file(path, CONFIG_LIMIT).decode("utf-8"))
    except FileRefused as exc:
        raise UserError(f"config {path}: {exc.reason}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UserError(f"config {path}: not valid TOML ({exc})") from None
    known = [key for key in Settings.model_fields if key not in _SECRET_IN_FILE]
    for key in data:
        if key in _SECRET_IN_FILE:
            raise UserError(f"config {path}: {key} does not belong in the file: {_SECRET_IN_FILE[key]}")
        if key not in known:
            raise UserError(f"config {path}: unknown key {key!r} (known: {', '.join(known)})")
    for key in ("feeds", "topic"):
        if isinstance(data.get(key), str):
            data[key] = [data[key]]
    for key in ("articles", "editions", "smtp_password_file", "cache_dir", "db"):
        if isinstance(data.get(key), str):  # relative to the file, as a reader of the file expects
            data[key] = str(path.parent / Path(data[key]).expanduser())
    return data


def _password_from(path: Path) -> str:
    try:
        text = read_file(path.expanduser(), CONFIG_LIMIT).decode("utf-8")
    except FileRefused as exc:
        raise UserError(f"smtp_password_file {path}: {exc.reason}") from None
    except UnicodeDecodeError:
        raise UserError(f"smtp_password_file {path}: not UTF-8 text") from None
    password = text.rstrip("\r\n")
    if not password:
        raise UserError(f"smtp_password_file {path}: the file is empty")
    return password
