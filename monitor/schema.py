"""Reading TOML into declared structures (msgspec), with errors in the user's words.

Config and regime packs are each declared once, as frozen ``msgspec.Struct`` classes: types, defaults and
constraints (``Annotated[int, Meta(ge=1)]``). From that one declaration come validation, the defaults and the
JSON Schema. A failure becomes one line naming the file and the dotted key, quoting the value as written:
``packs/x.toml: validity.years: 0 must be at least 1``. Checks a type cannot state live in a struct's
``__post_init__`` and raise ``ValueError("key: problem")``, the key relative to that struct.
"""

from __future__ import annotations

import datetime as dt
import difflib
import inspect
import re
from collections.abc import Mapping
from typing import Any, TypeVar

import msgspec
from msgspec import inspect as mi

from monitor.errors import Said, Saying

T = TypeVar("T")

_AT = re.compile(r"^(?P<message>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.DOTALL)
_STEP = re.compile(r"\.([^.\[]+)|\[(\d+)\]")


class SchemaError(Saying, ValueError):
    """A file's content that does not fit its declaration: "source: key: problem", as a Said."""

    def __init__(self, message: Said) -> None:
        super().__init__(self._say(message, {}))


def convert(data: Mapping[str, Any], kind: type[T], source: str, prefix: str = "") -> T:
    """``data`` as ``kind``; a SchemaError (a ValueError) "source: key: problem" if it does not fit."""
    try:
        return msgspec.convert(data, kind)
    except msgspec.ValidationError as exc:
        raise SchemaError(Said("{source}: {problem}", source=source,
                               problem=explain(str(exc), data, kind, prefix))) from None


def explain(error: str, data: Any, kind: type, prefix: str = "") -> Said:
    """msgspec's message turned into "dotted.key: problem", with the value quoted as the user wrote it."""
    match = _AT.match(error)
    assert match is not None
    message, path = match["message"], match["path"] or ""
    steps: list[str | int] = [name if name else int(index) for name, index in _STEP.findall(path)]
    field = re.match(r"Object (contains unknown|missing required) field `([^`]+)`", message)
    if field is not None:
        steps.append(field[2])
        key = _dotted(prefix, steps)
        if field[1] == "missing required":
            return Said("{key}: is missing", key=key)
        allowed = _fields(kind, steps[:-1])
        near = difflib.get_close_matches(field[2], allowed, n=1)
        if near:
            return Said("{key}: unknown key (did you mean {near}?)", key=key, near=near[0])
        return Said("{key}: unknown key (allowed here: {allowed})", key=key, allowed=", ".join(allowed))
    value = _lookup(data, steps)
    key = _dotted(prefix, steps)
    bound = re.match(r"Expected `(?:int|float)` (>=|>|<=|<) (\S+)$", message)
    if bound is not None:
        return Said(_BOUNDS[bound[1]], key=key, value=show(value), limit=bound[2].removesuffix(".0"))
    if message.startswith("Expected `str` of length >= 1"):
        return Said("{key}: is empty", key=key)
    if message.startswith(("Invalid enum value", "Expected `str` matching")):
        return Said("{key}: {value} is not one of {choices}", key=key, value=show(value),
                    choices=", ".join(_choices(kind, steps)))
    if "date" in message and ("Invalid" in message or "Expected" in message):
        return Said("{key}: {value} is not a date (write it as 2027-01-01)", key=key, value=show(value))
    expected = re.match(r"Expected `([^`]+)`, got `([^`]+)`", message)
    if expected is not None:
        wanted = expected[1].removesuffix(" | null")
        return Said("{key}: {value} is not {wanted}", key=key, value=show(value),
                    wanted=Said(_WORDS[wanted]) if wanted in _WORDS else wanted)
    if ": " in message and (not path.endswith("]") or message.split(": ", 1)[0] in _fields(kind, steps)):
        # a __post_init__ check: "key: problem" (of a table in a list too: channels[0].name)
        check, problem = message.split(": ", 1)
        return Said("{key}: {problem}", key=_dotted(prefix, [*steps, check]), problem=problem)
    return Said("{key}: {problem}", key=key, problem=message)


_BOUNDS = {">=": "{key}: {value} must be at least {limit}", ">": "{key}: {value} must be more than {limit}",
           "<=": "{key}: {value} must be at most {limit}", "<": "{key}: {value} must be less than {limit}"}
_WORDS = {
    "int": "a whole number", "str": "text in quotes", "bool": "true or false", "float": "a number",
    "int | float": "a number", "object": "a table", "array": "a list", "date": "a date",
}


def show(value: object) -> str:
    """A value as the user wrote it: text in quotes, numbers and dates bare (never a Python repr)."""
    if isinstance(value, str):
        return f"'{value}'" if value.isprintable() else repr(value)     # a line break quoted as \n, never raw
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date | int | float):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(show(v) for v in value) + "]"
    if isinstance(value, dict):
        return "a table"
    return str(value)


def _dotted(prefix: str, steps: list[str | int]) -> str:
    text = prefix.rstrip(".")
    for step in steps:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else step)
    return text


def _lookup(data: Any, steps: list[str | int]) -> Any:
    for step in steps:
        try:
            data = data[step]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _type_at(kind: type, steps: list[str | int]) -> mi.Type | None:
    """The declared type at a path, through optionals, lists and tables."""
    current: mi.Type | None = mi.type_info(kind)
    for step in steps:
        current = unwrap(current)
        if isinstance(current, mi.StructType) and isinstance(step, str):
            current = next((f.type for f in current.fields if f.encode_name == step), None)
        elif isinstance(current, mi.VarTupleType | mi.ListType) and isinstance(step, int):
            current = current.item_type
        elif isinstance(current, mi.DictType):
            current = current.value_type
        else:
            return None
    return unwrap(current)


def unwrap(current: mi.Type | None) -> mi.Type | None:
    """The type under its metadata and its ``| None``."""
    while isinstance(current, mi.UnionType | mi.Metadata):
        if isinstance(current, mi.Metadata):
            current = current.type
        else:
            current = next((t for t in current.types if not isinstance(t, mi.NoneType)), None)
    return current


def _fields(kind: type, steps: list[str | int]) -> list[str]:
    found = _type_at(kind, steps)
    return [f.encode_name for f in found.fields] if isinstance(found, mi.StructType) else []


def _choices(kind: type, steps: list[str | int]) -> list[str]:
    found = _type_at(kind, steps)
    if isinstance(found, mi.VarTupleType | mi.ListType):
        found = unwrap(found.item_type)
    if isinstance(found, mi.EnumType):
        return [str(member.value) for member in found.cls]
    if isinstance(found, mi.LiteralType):
        return sorted(str(v) for v in found.values)
    return []


def json_schema(kind: type, title: str) -> dict[str, Any]:
    """The JSON Schema of a declared structure (for editors that validate TOML as you type).

    Descriptions come from docstrings, whose indentation depends on the Python release (3.13 strips it when
    compiling) and on msgspec's version: each is cleaned the same way here, so the file in docs/ is the same
    whatever Python or msgspec made it.
    """
    schema: dict[str, Any] = msgspec.json.schema(kind)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": title, **_cleaned(schema)}


def _cleaned(node: Any) -> Any:
    if isinstance(node, dict):
        return {key: inspect.cleandoc(value) if key == "description" and isinstance(value, str) else _cleaned(value)
                for key, value in node.items()}
    if isinstance(node, list):
        return [_cleaned(item) for item in node]
    return node
