"""The desk's web application: Starlette routes over one `Review`, served on 127.0.0.1 only.

Safe by default, since the page can change what subscribers receive:
- every request carries the access token (in the URL the command prints, then in a
  same-site, HTTP-only cookie); without it the answer is 403;
- every POST also carries the page's CSRF token in a hidden field, checked before anything;
- the pages run no script (the Content-Security-Policy forbids it), all text is escaped by
  the templates, and the email shown is the email's own sanitised HTML (`desk.email`);
- the source view looks an article up by its id among the edition's sources only: no
  path from the request is ever opened.

Every act goes through `Review.act` or `Review.approve`, so it is checked by `verify`'s rules
and appended to the edits log on disk; a restart of the desk reads the log again.
"""

from __future__ import annotations

import secrets
import socket
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from briefing.app.desk.view import find_passage, line_view, story_view
from briefing.contracts import EditionStory
from briefing.errors import UserError
from briefing.review.edits import Edit, EditAction
from briefing.review.session import EditRefused, Review
from briefing.stories.continuity import PastEdition

__all__ = ["Desk", "desk_app", "listen", "serve"]

COOKIE = "briefing_desk"
_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
_ACTIONS = {a.value: a for a in EditAction if a != EditAction.approve}


@cache
def _templates() -> Environment:
    return Environment(
        loader=PackageLoader("briefing.app.desk", "templates"),
        undefined=StrictUndefined,
        autoescape=True,
    )


@dataclass
class Desk:
    """One edition under review, who is editing it, and the desk's two secrets."""

    review: Review
    editor: str
    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    message: str = ""
    since: PastEdition | None = None
    """The last edition sent before this one, to compare with (None: nothing was sent before)."""
    archive: Path | None = None
    """The editions folder `since` was read from, where a correction of it is recorded."""
    lock: threading.Lock = field(default_factory=threading.Lock)


def _page(name: str, status: int = 200, **context: Any) -> HTMLResponse:
    html = _templates().get_template(name).render(**context)
    return HTMLResponse(html, status_code=status)


class _Gate(BaseHTTPMiddleware):
    """403 without the access token; on the first visit with it in the URL, it is kept in a cookie."""

    def __init__(self, app: Any, desk: Desk) -> None:
        super().__init__(app)
        self.desk = desk

    async def dispatch(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        given = request.query_params.get("token", "")
        kept = request.cookies.get(COOKIE, "")
        from_url = secrets.compare_digest(given.encode(), self.desk.token.encode())
        if not (from_url or secrets.compare_digest(kept.encode(), self.desk.token.encode())):
            return PlainTextResponse("403: this desk needs its access token (the URL it printed)", 403)
        response = await call_next(request)
        if from_url:
            response.set_cookie(COOKIE, self.desk.token, httponly=True, samesite="strict", path="/")
        response.headers["Content-Security-Policy"] = _POLICY
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "no-store"
        return response


def desk_app(desk: Desk) -> Starlette:
    """The desk's routes: the page, the email preview, a source, an act, the approval, a correction."""

    def home(request: Request) -> Response:
        with desk.lock:
            edition, applied = desk.review.current()
            verdict = desk.review.verdict()
            unsupported = desk.review.unsupported()
            message, desk.message = desk.message, ""
        from markupsafe import Markup

        from briefing.app.desk.email import annotated_email
        from briefing.render.edition import render_edition_email_html
        from briefing.review.compare import compare

        comparison = compare(edition, desk.since) if desk.since is not None else None
        since = desk.since.edition if desk.since is not None else None
        fresh = {i for u in comparison.updated for i in u.new_claim_ids} if comparison else set()

        email = Markup(annotated_email(edition, render_edition_email_html(edition)))
        notes: dict[str | None, list[str]] = {}
        for note in applied.notes:
            notes.setdefault(note.story_id, []).append(f"{note.text} ({note.editor})")
        return _page(
            "desk.html.j2",
            edition=edition,
            email=email,
            stories=[story_view(s, n, notes.get(s.id, [])) for n, s in enumerate(edition.stories, start=1)],
            lines=[line_view(a, notes.get(a.id, [])) for a in edition.also_reported],
            edition_notes=notes.get(None, []),
            comparison=comparison,
            fresh=fresh,
            sent_stories=[*since.stories, *since.also_reported] if since else [],
            gone=applied.gone + desk.review.notes,
            verdict=verdict,
            unsupported=[f.line() for f in unsupported],
            overrides=applied.overrides,
            message=message,
            editor=desk.editor,
            csrf=desk.csrf,
            path=str(desk.review.path),
        )

    def email(request: Request) -> Response:
        from briefing.render.edition import render_edition_email_html

        with desk.lock:
            edition, _ = desk.review.current()
        return HTMLResponse(render_edition_email_html(edition))

    def source(request: Request) -> Response:
        article_id = request.path_params["article_id"]
        article = next((a for a in desk.review.articles if a.id == article_id), None)
        if article is None:
            return PlainTextResponse("404: no source of this edition has that id", 404)
        with desk.lock:
            edition, _ = desk.review.current()
        passage = _passage(edition.stories, request.query_params, article_id)
        return _page("source.html.j2", article=article, cut=find_passage(article, passage), passage=passage)

    async def act(request: Request) -> Response:
        form = await request.form()
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        if not secrets.compare_digest(fields.get("csrf", "").encode(), desk.csrf.encode()):
            return PlainTextResponse("403: the form's CSRF token is missing or wrong; reload the desk", 403)
        action = _ACTIONS.get(fields.get("action", ""))
        if action is None:
            return PlainTextResponse("400: unknown action", 400)
        try:
            edit = Edit(
                editor=desk.editor,
                at=datetime.now(UTC),
                action=action,
                story_id=fields.get("story_id") or None,
                claim_id=fields.get("claim_id") or None,
                position=int(fields["position"]) if fields.get("position", "").strip() else None,
                after=fields.get("text"),
                override=fields.get("override") or None,
            )
        except (ValidationError, ValueError) as exc:
            return PlainTextResponse(f"400: {str(exc).splitlines()[0]}", 400)
        try:
            with desk.lock:
                recorded = desk.review.act(edit)
        except EditRefused as exc:
            return _page(
                "refused.html.j2", 409, message=str(exc), reasons=exc.reasons, fields=fields, csrf=desk.csrf
            )
        except UserError as exc:
            return _page("refused.html.j2", 500, message=str(exc), reasons=[], fields={}, csrf=desk.csrf)
        kept = f" (override: {'; '.join(recorded.overridden)})" if recorded.overridden else ""
        desk.message = f"recorded: {recorded.line()}{kept}"
        return RedirectResponse("/", status_code=303)

    async def approve(request: Request) -> Response:
        form = await request.form()
        given = form.get("csrf")
        if not isinstance(given, str) or not secrets.compare_digest(given.encode(), desk.csrf.encode()):
            return PlainTextResponse("403: the form's CSRF token is missing or wrong; reload the desk", 403)
        try:
            with desk.lock:
                edit = desk.review.approve(desk.editor, datetime.now(UTC))
        except UserError as exc:
            reasons = exc.reasons if isinstance(exc, EditRefused) else []
            return _page("refused.html.j2", 409, message=str(exc), reasons=reasons, fields={}, csrf=desk.csrf)
        desk.message = f"approved {edit.content_id} by {edit.editor}"
        return RedirectResponse("/", status_code=303)

    async def correct(request: Request) -> Response:
        form = await request.form()
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        if not secrets.compare_digest(fields.get("csrf", "").encode(), desk.csrf.encode()):
            return PlainTextResponse("403: the form's CSRF token is missing or wrong; reload the desk", 403)
        if desk.since is None or desk.archive is None:
            return PlainTextResponse("409: no edition was sent before this one: nothing to correct", 409)
        from briefing.deliver.corrections import record_correction

        date = desk.since.date
        try:
            with desk.lock:
                record_correction(
                    desk.archive,
                    date,
                    fields.get("text", ""),
                    story_id=fields.get("story_id") or None,
                    editor=desk.editor,
                    at=datetime.now(UTC),
                )
        except UserError as exc:
            return _page("refused.html.j2", 409, message=str(exc), reasons=[], fields={}, csrf=desk.csrf)
        desk.message = f"recorded a correction of the {date} edition: the next edition opens with it"
        return RedirectResponse("/", status_code=303)

    routes = [
        Route("/", home),
        Route("/email", email),
        Route("/source/{article_id}", source),
        Route("/act", act, methods=["POST"]),
        Route("/approve", approve, methods=["POST"]),
        Route("/correct", correct, methods=["POST"]),
    ]
    return Starlette(routes=routes, middleware=[Middleware(_Gate, desk=desk)])


def _passage(stories: list[EditionStory], query: Any, article_id: str) -> str:
    """The evidence passage a citation points at: by story and claim id (or disagreement), never by text."""
    story = next((s for s in stories if s.id == query.get("story")), None)
    if story is None:
        return ""
    claim = next((c for c in story.brief.claims if c.id == query.get("claim")), None)
    evidence = claim.evidence if claim is not None else []
    discrepancy = next((d for d in story.brief.discrepancies if d.id == query.get("disagreement")), None)
    if discrepancy is not None:
        evidence = [e for v in discrepancy.values for e in v.evidence]
    return next((e.text for e in evidence if e.article_id == article_id), "")


def listen(port: int) -> socket.socket:
    """A socket bound to 127.0.0.1 (never another address) on `port`, 0 for a free one.

    Raises:
        UserError: The port cannot be bound (in use, or not allowed).
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        sock.listen(64)
    except OSError as exc:
        sock.close()
        raise UserError(f"cannot listen on 127.0.0.1:{port} ({exc.strerror})") from None
    return sock


def serve(desk: Desk) -> Any:
    """An uvicorn server for the desk: `.run(sockets=[listen(port)])` blocks until it is stopped."""
    import uvicorn

    config = uvicorn.Config(desk_app(desk), log_level="warning", access_log=False, lifespan="off")
    return uvicorn.Server(config)
