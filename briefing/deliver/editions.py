"""Which edition a brief or an edition is, which version of the day goes out, and where each is kept.

**Content id.** An edition is known by what it says, not by its date: `content_id(item)`
is `DATE-HASH` (`adhoc-HASH` when undated), HASH being the first 16 hex digits of the
SHA-256 of the canonical JSON (keys sorted, no spaces, UTF-8) of the `Brief`, or of the
`Edition` with every story's brief. What a run leaves behind that subscribers do not read
is left out: run reports, each source's fallback reason, and correction marks. An edition
of one story and nothing else has the content id of that story's brief, so ledgers and
archives of the days when a day's edition was one brief still match it. The same
articles built again give the same id; any change to a statement, a source, a story or
a headline gives another. The delivery ledger
(`briefing.store.ledger`) keys on this id, so a changed brief is never mistaken for one
already sent, and the Message-ID (made from it) differs for a correction.

**Versions of a day.** The `editions` table, beside the ledger in the delivery database
(`briefing.store.ledger.Editions`), records which content id is the edition of a date
(correction 0) and which its n-th correction. Once anyone has received a version (a
ledger row `sent` or `sending`), it is fixed: a different brief for that date goes out
only as the next correction, on request. A version nobody has received yet is simply
replaced by the newer brief.

**Archive.** `EDITIONS/DATE/` holds the day's edition and `EDITIONS/DATE/correction-N/`
its n-th correction. Each folder holds:

- `brief.md`, `brief.json`, `brief.html`: the edition exactly as `briefing build` prints
  it in each format (an edition of one story: that story's brief);
- `stories.json`: the `Edition` as data, always, even of one story (every story with its
  id, status, sources and brief): what a later day's run reads back to follow a story;
- `edition.json`: the version's identity (date, correction number, content id).

A version that someone received is never rewritten.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import ValidationError

from briefing.contracts import Brief, Edition, InputProblem
from briefing.errors import BriefingError, UserError
from briefing.ingest.files import BRIEF_LIMIT, FileRefused, read_file
from briefing.render.edition import (
    render_edition_email_html,
    render_edition_json,
    render_edition_markdown,
    single_brief,
)
from briefing.store.database import Database
from briefing.store.ledger import Editions, Ledger, Version
from briefing.stories.continuity import RECENT_DAYS, PastEdition, Recent, edition_of_brief

__all__ = [
    "Archive",
    "Deliveries",
    "EditionRefused",
    "Plan",
    "Recent",
    "Version",
    "as_sent",
    "claim_version",
    "content_id",
    "keep_for_review",
    "mark_correction",
    "plan_edition",
    "source_ids",
    "write_atomically",
]

_RECEIVED = ("sent", "sending")
_Item = TypeVar("_Item", bound=Brief | Edition)


class EditionRefused(BriefingError):
    """This brief may not go out as the date's edition (the reason says what to do instead)."""


_BRIEF_RUN: dict[str, Any] = {"report": True, "correction": True, "sources": {"__all__": {"fallback_reason"}}}
_EDITION_RUN: dict[str, Any] = {
    "report": True,
    "correction": True,
    "stories": {"__all__": {"brief": _BRIEF_RUN}},
}


def content_id(item: Brief | Edition) -> str:
    """The identity of a brief or an edition: `DATE-HASH` of its content (see the module docstring)."""
    if isinstance(item, Edition):
        only = single_brief(item)
        if only is not None:
            return content_id(only)
        content = item.model_dump(mode="json", exclude=_EDITION_RUN)
    else:
        content = item.model_dump(mode="json", exclude=_BRIEF_RUN)
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]
    return f"{item.date or 'adhoc'}-{digest}"


def source_ids(data: dict[str, object]) -> list[str]:
    """The article ids of every source of a brief or an edition, as JSON data, sorted.

    A brief's sources, or every story's and every "Also reported" line's: what the
    edition was made of, whichever form it was kept in.
    """
    groups: list[object] = [data.get("sources", [])]
    for key in ("stories", "also_reported"):
        items = data.get(key, [])
        if isinstance(items, list):
            groups += [item.get("sources", []) for item in items if isinstance(item, dict)]
    ids = [
        str(source["article_id"])
        for group in groups
        if isinstance(group, list)
        for source in group
        if isinstance(source, dict) and "article_id" in source
    ]
    return sorted(ids)


@dataclass(frozen=True)
class Deliveries:
    """How far one content id got in the ledger."""

    counts: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, ledger: Ledger, key: str) -> Deliveries:
        counts: dict[str, int] = {}
        for status in ledger.status(key).values():
            counts[status] = counts.get(status, 0) + 1
        return cls(counts)

    @property
    def received(self) -> int:
        """Subscribers who have (or may have) this version."""
        return sum(self.counts.get(s, 0) for s in _RECEIVED)

    @property
    def complete(self) -> bool:
        """Someone received it and nobody is left pending: the send ran to its end."""
        return self.received > 0 and not self.counts.get("pending")

    def summary(self) -> str:
        return ", ".join(f"{n} {status}" for status, n in sorted(self.counts.items())) or "nobody"


@dataclass(frozen=True)
class Plan:
    """What to do with a brief for its date: send it as `version`, or nothing (already sent)."""

    version: Version
    action: Literal["send", "done"]
    deliveries: Deliveries = field(default_factory=Deliveries)
    replaces: str | None = None
    """The content id of a version nobody received, which this brief takes the place of."""
    note: str = ""


def plan_edition(brief: Brief | Edition, editions: Editions, ledger: Ledger, *, correction: bool) -> Plan:
    """Decide which version of `brief.date` this brief is, and whether anything is left to send.

    - Nothing recorded for the date: the brief is the edition.
    - The same content as the latest version: resume it (`done` once nobody is pending).
    - Different content, and nobody has the latest version: the brief replaces it.
    - Different content, and someone has it: the next correction with `correction`,
      else refused.

    Raises:
        EditionRefused: A changed brief without `correction`, or a superseded version.
    """
    if brief.date is None:
        raise ValueError("only a dated brief or edition is a day's edition")
    key = content_id(brief)
    versions = editions.versions(brief.date, ledger)
    if not versions:
        note = f"nothing of {brief.date} was sent before: sent as the edition, not a correction"
        return Plan(Version(brief.date, 0, key), "send", note=note if correction else "")
    latest = versions[-1]
    superseded = [v for v in versions[:-1] if v.content_id == key]
    if superseded:
        raise EditionRefused(f"this brief is {superseded[0].label}, since replaced by {latest.label}")
    deliveries = Deliveries.of(ledger, latest.content_id)
    if latest.content_id == key:
        return Plan(latest, "done" if deliveries.complete else "send", deliveries)
    if deliveries.received == 0:
        replaced = Version(brief.date, latest.correction, key)
        return Plan(replaced, "send", deliveries, replaces=latest.content_id)
    if not correction:
        how = "sent" if deliveries.complete else "partly sent"
        raise EditionRefused(
            f"{latest.label} was {how} ({latest.content_id}: {deliveries.summary()}) and this brief "
            f"differs ({key}); to send it as a correction, run again with --correction"
        )
    return Plan(Version(brief.date, latest.correction + 1, key), "send", deliveries)


def claim_version(
    brief: Brief | Edition, database: Database, *, correction: bool, record: bool = True
) -> Plan:
    """`plan_edition` on the delivery database, and the version recorded when it is to be sent.

    `record=False` (a dry run) decides the same way but leaves the database as it was.

    Raises:
        EditionRefused: See `plan_edition`; or another run recorded a different brief as
            that version meanwhile.
    """
    ledger = Ledger(database)
    book = Editions(database)
    plan = plan_edition(brief, book, ledger, correction=correction)
    if record and plan.action == "send":
        recorded = book.record(plan.version, replaces=plan.replaces)
        if not recorded:
            raise EditionRefused(f"another run recorded a different brief as {plan.version.label} meanwhile")
    return plan


def as_sent(item: _Item, version: Version) -> _Item:
    """The brief or edition marked with its correction number (0: the edition, unmarked)."""
    return mark_correction(item, version.correction)


def mark_correction(item: _Item, correction: int) -> _Item:
    """`item` marked as the `correction`-th correction; an edition's story briefs are marked too.

    An edition of one story is shown as that story's brief, which carries the mark there.
    """
    if isinstance(item, Edition):
        stories = [
            s.model_copy(update={"brief": s.brief.model_copy(update={"correction": correction})})
            for s in item.stories
        ]
        return item.model_copy(update={"correction": correction, "stories": stories})
    return item.model_copy(update={"correction": correction})


class Archive:
    """The kept editions: `ROOT/DATE/` and `ROOT/DATE/correction-N/` (see the module docstring)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def folder(self, version: Version) -> Path:
        day = self.root / version.date
        return day if version.correction == 0 else day / f"correction-{version.correction}"

    def keep(self, edition: Edition, version: Version) -> Path:
        """Write `edition` (already marked) as `version`, unless that very version is kept already.

        Each file is replaced whole, never half-written. The folder of a version is only
        ever rewritten with another brief when nobody received the one it held
        (`plan_edition` decides that).

        Raises:
            UserError: The folder or one of its files cannot be written (the path says which).
        """
        folder = self.folder(version)
        if _kept_id(folder) == version.content_id and (folder / "brief.json").exists():
            return folder  # a re-run of the same version: what went out stays as it was
        identity = {"date": version.date, "correction": version.correction, "content_id": version.content_id}
        files = {
            "brief.md": render_edition_markdown(edition),
            "brief.json": render_edition_json(edition),
            "brief.html": render_edition_email_html(edition),
            "stories.json": edition.model_dump_json(indent=2),
            "edition.json": json.dumps(identity, indent=2) + "\n",
        }
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            where = exc.filename or folder
            raise UserError(f"{where}: cannot be written ({exc.strerror}); nothing sent") from None
        for name, text in files.items():
            write_atomically(folder / name, text)
        return folder

    def latest_before(self, date: str) -> tuple[str, Path] | None:
        """The newest version's brief.json of the latest date before `date`, with that date."""
        days = sorted(p.parent.name for p in self.root.glob("*/brief.json") if p.parent.name < date)
        if not days:
            return None
        return days[-1], _newest_version(self.root / days[-1]) / "brief.json"

    def last_sent(self, date: str) -> PastEdition | InputProblem | None:
        """The newest version of the latest day before `date`, as kept (None: the archive holds none).

        An unreadable version is returned as the `InputProblem` that says why.
        """
        found = self.latest_before(date)
        if found is None:
            return None
        return _read_kept(found[1].parent, found[0])

    def sent_on(self, date: str) -> PastEdition | InputProblem | None:
        """The newest version of the edition of `date` itself, as kept (None: none was kept)."""
        day = self.root / date
        if not _is_date(date) or not (day / "brief.json").exists():
            return None
        return _read_kept(_newest_version(day), date)

    def recent(self, date: str, days: int = RECENT_DAYS) -> Recent:
        """The kept editions of the `days` days before `date`, newest first: each day's newest version.

        A version is read from its `stories.json` (the whole `Edition`), else its `brief.json`
        (an `Edition`, or a `Brief`: an edition of one story whose id was not kept, which
        `briefing.stories.continuity` then matches by content alone). A version that cannot
        be read, is neither, or is dated otherwise than its folder is left out with one note.
        """
        recent = Recent()
        try:
            first = (dt.date.fromisoformat(date) - dt.timedelta(days=days)).isoformat()
        except ValueError:
            return recent
        try:
            folders = sorted((p for p in self.root.iterdir() if p.is_dir()), reverse=True)
        except OSError:
            return recent
        for day in folders:
            if not (first <= day.name < date) or not _is_date(day.name):
                continue
            # Any version folder counts here, one holding only `stories.json` too.
            versions = [p for p in day.glob("correction-*") if p.is_dir() and p.name[11:].isdigit()]
            folder = max(versions, key=lambda p: int(p.name[11:]), default=day)
            found = _read_kept(folder, day.name)
            if isinstance(found, InputProblem):
                recent.notes.append(found)
            elif found is not None:
                recent.editions.append(found)
        return recent

    def previous_sources(self, date: str) -> tuple[str, list[str]] | None:
        """The latest earlier edition's date and the article ids of all its sources, if there is one.

        Read from the version's `stories.json`, else (a version kept before there was one)
        from its `brief.json`, a brief or an edition.
        """
        found = self.latest_before(date)
        if found is None:
            return None
        stories = found[1].with_name("stories.json")
        try:
            kept = stories if stories.exists() else found[1]
            data = json.loads(kept.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict):
            return None
        return found[0], source_ids(data)


def keep_for_review(edition: Edition, folder: Path) -> Path:
    """Write a built edition to `folder` for an editor: `stories.json` (the build output), `brief.*`.

    Not a version of the day: nothing here was sent, and `Archive` reads none of it.

    Raises:
        UserError: The folder or one of its files cannot be written.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(
            f"{exc.filename or folder}: cannot be written ({exc.strerror}); nothing sent"
        ) from None
    files = {
        "stories.json": edition.model_dump_json(indent=2),
        "brief.md": render_edition_markdown(edition),
        "brief.html": render_edition_email_html(edition),
    }
    for name, text in files.items():
        write_atomically(folder / name, text)
    return folder / "stories.json"


def _is_date(name: str) -> bool:
    try:
        return dt.date.fromisoformat(name).isoformat() == name
    except ValueError:
        return False


def _newest_version(day: Path) -> Path:
    """The folder of a day's newest kept version: its highest `correction-N` holding a brief, else the day."""
    kept = [p.parent for p in day.glob("correction-*/brief.json") if p.parent.name[11:].isdigit()]
    return max(kept, key=lambda p: int(p.name[11:]), default=day)


def _read_kept(folder: Path, date: str) -> PastEdition | InputProblem | None:
    """The edition kept in `folder` (None: no edition file there), or why it is not used."""
    path = folder / "stories.json"
    if not path.exists():
        path = folder / "brief.json"
        if not path.exists():
            return None
    try:
        data = json.loads(read_file(path, BRIEF_LIMIT))
        if isinstance(data, dict) and "stories" in data:
            edition = Edition.model_validate(data)
        else:
            edition = edition_of_brief(Brief.model_validate(data))
    except FileRefused as exc:
        return _not_followed(path, exc.reason)
    except OSError as exc:
        return _not_followed(path, f"cannot be read ({exc.strerror})")
    except ValidationError as exc:
        return _not_followed(path, f"not an edition ({exc.error_count()} error(s), first at {_where(exc)})")
    except ValueError as exc:
        return _not_followed(path, f"not an edition ({str(exc).splitlines()[0]})")
    if edition.date != date:
        return _not_followed(path, f"dated {edition.date or 'nothing'} but kept under {date}")
    return PastEdition(date=date, edition=edition, where=str(path))


def _not_followed(path: Path, reason: str) -> InputProblem:
    return InputProblem(path=str(path), reason=reason, action="not followed")


def _where(exc: ValidationError) -> str:
    return ".".join(str(part) for part in exc.errors()[0]["loc"]) or "the top"


def _kept_id(folder: Path) -> str | None:
    try:
        return str(json.loads((folder / "edition.json").read_text(encoding="utf-8"))["content_id"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_atomically(path: Path, text: str) -> None:
    """Replace `path` whole; on failure, one line naming it, and no temporary file left behind."""
    tmp_name = ""
    try:
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", dir=path.parent, delete=False, suffix=".tmp"
        ) as tmp:
            tmp_name = tmp.name
            tmp.write(text)
        os.replace(tmp_name, path)
    except OSError as exc:
        if tmp_name:
            Path(tmp_name).unlink(missing_ok=True)
        raise UserError(f"{path}: cannot be written ({exc.strerror}); nothing sent") from None
