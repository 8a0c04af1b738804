"""Email addresses as briefing takes, keeps and sends to them.

Addresses are validated and normalised with `email-validator` (the domain lower-cased
and IDNA-checked, no DNS lookups). Only addresses a relay can be handed are taken: no
quoted local parts, no bracketed IP addresses, no special-use domains (`.test`,
`.local`, `localhost`, ...). International addresses are taken: the domain goes out in
IDNA, and a non-ASCII part before the @ needs a relay offering SMTPUTF8
(`delivery_address`). The subscribers table keys each row by `mailbox_key`, so one
mailbox is one subscriber whatever its spelling.
"""

from __future__ import annotations

from email_validator import EmailNotValidError, ValidatedEmail, validate_email

from briefing.errors import UserError

__all__ = ["delivery_address", "mailbox_key", "normalise_address"]


def _validated(raw: str) -> ValidatedEmail:
    if '"' in raw:  # the validator would read an unbalanced quote as a missing @-sign
        raise UserError(f'{raw.strip()!r} is not an email address: quoted local parts (") are not taken')
    try:
        # The options spelled out are the library's defaults, kept explicit because they are
        # the promise: what passes can be put on an SMTP envelope.
        return validate_email(
            raw.strip(),
            check_deliverability=False,
            allow_smtputf8=True,
            allow_quoted_local=False,
            allow_domain_literal=False,
            allow_display_name=False,
            allow_empty_local=False,
            globally_deliverable=True,
            strict=True,  # RFC 5321's 64 characters before the @
        )
    except EmailNotValidError as exc:
        reason = str(exc).rstrip(".")
        raise UserError(f"{raw.strip()!r} is not an email address: {reason}") from None


def normalise_address(raw: str) -> str:
    """The address as stored and sent to: trimmed, domain lower-cased, syntax checked.

    Raises:
        UserError: Not an email address that can be delivered (the reason is in the message).
    """
    return _validated(raw).normalized


def mailbox_key(address: str) -> str:
    """What makes two spellings one mailbox: the local part casefolded, the domain in lower-case IDNA.

    `ÉMILE@Example.com` and `émile@example.com` have one key (SQLite's NOCASE folds only
    ASCII). An address that no longer validates (stored by an older version) is keyed by
    its casefold.
    """
    try:
        checked = _validated(address)
    except UserError:
        return address.strip().casefold()
    return f"{checked.local_part.casefold()}@{checked.ascii_domain.lower()}"


def delivery_address(address: str) -> tuple[str, bool]:
    """The address for the envelope and the To header, and whether it needs SMTPUTF8.

    ASCII whenever the part before the @ is (an international domain in IDNA,
    `aaa@bücher.example` -> `aaa@xn--bcher-kva.example`), which every relay takes;
    otherwise the UTF-8 form, which only a relay offering SMTPUTF8 (RFC 6531) takes.

    Raises:
        UserError: Not an address that can be delivered (e.g. stored by an older version).
    """
    checked = _validated(address)
    if checked.ascii_email:
        return checked.ascii_email, False
    return f"{checked.local_part}@{checked.ascii_domain}", True
