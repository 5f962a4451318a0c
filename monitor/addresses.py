"""Whether a text can be a recipient's address: checked with email-validator, a kept library, on import.

Refused: control and non-ASCII characters (a digest's To header must say exactly what was imported), quoted or
commented local parts, display names, over-long addresses, and anything that a mail header would read as
something else (``=?utf-8?q?…?=``, an encoded word; ``undisclosed:…``, a group).
"""

from __future__ import annotations

from monitor.errors import Said


def address_problem(text: str) -> Said | None:
    """Why ``text`` cannot be a recipient's address; None when it can."""
    from email_validator import EmailNotValidError, validate_email

    shown = text if len(text) <= 60 else text[:60] + "…"
    if "=?" in text:
        return Said("{address!r} would be read as an encoded header word, not as an address", address=shown)
    try:
        validate_email(text, check_deliverability=False, allow_smtputf8=False, allow_display_name=False,
                       allow_quoted_local=False, allow_domain_literal=False)
    except EmailNotValidError as exc:
        return Said("{address!r} is not an e-mail address: {reason}", address=shown.encode("unicode_escape").decode(),
                    reason=str(exc))
    return None
