"""What the console writes to its log, with every secret a URL can carry masked: uvicorn's access log records
each request's path and query string, and a calendar subscription address (``/calendar/mon_….ics``) is a key
to the account's due dates, so whoever reads the journal could subscribe with it.

The address itself stays as it is (calendar apps cannot send a header: the secret must be in the URL); what
is masked is the log line. ``MaskSecrets`` is a filter on every handler of ``monitor serve``'s logging
(uvicorn's access and error logs, and monitor's own), so no record reaches the journal unmasked."""

from __future__ import annotations

import copy
import logging
import re
from typing import Any

#: a token of ours (API, calendar, unlock code): ``mon_`` and its random part
_TOKEN = re.compile(r"\bmon_[A-Za-z0-9_\-]{6,}")
#: the calendar address, whatever stands in it (a mistyped or foreign token too)
_CALENDAR = re.compile(r"(/calendar/)[^/?#\s\"]+?(\.ics)")
#: a query parameter that names a credential (a client that put its token in the query string, say)
_QUERY = re.compile(r"([?&;](?:[\w.\-]*(?:token|key|secret|passw(?:or)?d|pwd|sign|signature|code|auth|session|"
                    r"csrf|upload|state|nonce)[\w.\-]*)=)[^&;#\s\"]*", re.IGNORECASE)
#: a password in a URL's user part (``scheme://user:password@host``)
_USERINFO = re.compile(r"(://[^:/@\s]*:)[^@/\s]*@")
MASK = "***"


def mask(text: str) -> str:
    """The text with every secret a URL can carry replaced by ``***``."""
    text = _CALENDAR.sub(rf"\g<1>{MASK}\g<2>", text)
    text = _TOKEN.sub(f"mon_{MASK}", text)
    text = _QUERY.sub(rf"\g<1>{MASK}", text)
    return _USERINFO.sub(rf"\g<1>{MASK}@", text)


def _masked(value: object) -> object:
    return mask(value) if isinstance(value, str) else value


class MaskSecrets(logging.Filter):
    """Masks the record's message, its arguments (uvicorn's access formatter reads the path from them) and its
    exception text; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = mask(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_masked(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: _masked(value) for key, value in record.args.items()}
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask(record.exc_text)
        return True


def log_config() -> dict[str, Any]:
    """uvicorn's logging, with MaskSecrets on each of its handlers, and monitor's own loggers (sign-ins refused,
    accounts locked) written by the same handler as uvicorn's errors, from INFO up."""
    from uvicorn.config import LOGGING_CONFIG

    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["mask_secrets"] = {"()": f"{__name__}.MaskSecrets"}
    for handler in config["handlers"].values():
        handler["filters"] = [*handler.get("filters", []), "mask_secrets"]
    config["loggers"]["monitor"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config
