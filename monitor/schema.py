"""Reading TOML into declared structures (msgspec), with errors in the user's words.

Config and regime packs are each declared once, as frozen ``msgspec.Struct`` classes: types, defaults and
constraints (``Annotated[int, Meta(ge=1)]``). From that one declaration come validation, the defaults and the
JSON Schema. A failure becomes one line naming the file and the dotted key, quoting the value as written:
``packs/x.toml: validity.years: 0 must be at least 1``. Checks a type cannot state live in a struct's
``__post_init__`` and raise ``Check("key", Said(...))``, the key relative to that struct, so that the problem is
said in the configured language too. A file that is not TOML at all is said by ``toml_problem`` (tomllib's
English turned into a Said: the line and column, and what is wrong).
"""

from __future__ import annotations

import ast
import datetime as dt
import difflib
import inspect
import re
import tomllib
from collections.abc import Mapping
from typing import Any, TypeVar

import msgspec
from msgspec import inspect as mi

from monitor.errors import Key, Said, Saying

T = TypeVar("T")

_AT = re.compile(r"^(?P<message>.*?)(?: - at (?P<table_key>`key` in )?`\$(?P<path>[^`]*)`)?$", re.DOTALL)
_STEP = re.compile(r"\.([^.\[]+)|\[(\d+|\.\.\.)\]")     # [...]: a table's value, under a key msgspec does not say


class SchemaError(Saying, ValueError):
    """A file's content that does not fit its declaration: "source: key: problem", as a Said."""

    def __init__(self, message: Said) -> None:
        super().__init__(self._say(message, {}))


class Check(ValueError):
    """A check a type cannot state, raised from a struct's ``__post_init__``: the key it is about (relative to the
    struct; ``root``: from the file's root, as an entry named by its name says it, ``web.identity.sso.issuer``) and
    the problem, a Said (``Check("timezone", Said("{value} is not a time zone", value=...))``)."""

    def __init__(self, key: str, problem: Said, root: bool = False) -> None:
        self.key, self.problem, self.root = key, problem, root
        super().__init__(f"{key}: {problem}")


def convert(data: Mapping[str, Any], kind: type[T], source: str, prefix: str = "", keys: str | None = None) -> T:
    """``data`` as ``kind``; a SchemaError (a ValueError) "source: key: problem" if it does not fit. ``keys``:
    the vocabulary whose words name the keys in Chinese (words.toml ``[keys.<keys>]``), if any."""
    try:
        return msgspec.convert(data, kind)
    except msgspec.ValidationError as exc:
        cause = exc.__cause__ or exc.__context__
        raise SchemaError(Said("{source}: {problem}", source=source, problem=explain(
            str(exc), data, kind, prefix, cause if isinstance(cause, Check) else None, keys))) from None


def explain(error: str, data: Any, kind: type, prefix: str = "", check: Check | None = None,
            keys: str | None = None) -> Said:
    """msgspec's message turned into "dotted.key: problem", with the value quoted as the user wrote it; a
    ``__post_init__`` check says its own problem."""
    match = _AT.match(error)
    assert match is not None
    message, path = match["message"], match["path"] or ""
    steps = _keys_of(data, kind, error, [name or (int(index) if index != "..." else index)
                                         for name, index in _STEP.findall(path)])

    def named(steps: list[str | int]) -> str:
        text = dotted(prefix, steps)
        return Key(text, keys) if keys else text

    if check is not None:
        at: list[str | int] = [check.key] if check.root else [*steps, check.key] if check.key else steps
        return Said("{key}: {problem}", key=named(at), problem=check.problem)
    if match["table_key"]:          # a table's key that is not one of those allowed: "Invalid enum value 'x'"
        given = re.search(r"'(.*)'", message)
        return Said("{key}: {value} is not one of {choices}", key=named(steps), value=show(given[1] if given else ""),
                    choices=", ".join(_choices(kind, steps, keys_of_table=True)))
    field = re.match(r"Object (contains unknown|missing required) field `([^`]+)`", message)
    if field is not None:
        steps.append(field[2])
        key = named(steps) if field[1] == "missing required" else dotted(prefix, steps)   # an unknown key has no word
        if field[1] == "missing required":
            return Said("{key}: is missing", key=key)
        allowed = _fields(kind, steps[:-1])
        near = difflib.get_close_matches(field[2], allowed, n=1)
        if near:
            return Said("{key}: unknown key (did you mean {near}?)", key=key, near=near[0])
        return Said("{key}: unknown key (allowed here: {allowed})", key=key, allowed=", ".join(allowed))
    value = _lookup(data, steps)
    key = named(steps)
    bound = re.match(r"Expected `(?:int|float)` (>=|>|<=|<) (\S+)$", message)
    if bound is not None:
        return Said(_BOUNDS[bound[1]], key=key, value=show(value), limit=bound[2].removesuffix(".0"))
    if message.startswith("Expected `str` of length >= 1"):
        return Said("{key}: is empty", key=key)
    longest = re.match(r"Expected `str` of length <= (\d+)$", message)
    if longest is not None:
        return Said("{key}: {value} is longer than {limit} characters", key=key, value=show(value),
                    limit=longest[1])
    items = re.match(r"Expected `(?:array|object)` of length (>=|<=) (\d+)$", message)
    if items is not None:
        return Said("{key}: needs at least {limit} items" if items[1] == ">=" else "{key}: holds more than {limit} items",
                    key=key, limit=items[2])
    pattern = re.match(r"Expected `str` matching regex '(.*)'$", message)
    if pattern is not None and not _choices(kind, steps):
        form = _form(kind, steps)
        if form is not None:
            return Said("{key}: {value} is not {wanted}", key=key, value=show(value), wanted=Said(form))
        return Said("{key}: {value} does not match `{pattern}`", key=key, value=show(value), pattern=pattern[1])
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
        # a __post_init__ check still raising "key: problem" (of a table in a list too: channels[0].name)
        name, problem = message.split(": ", 1)
        return Said("{key}: {problem}", key=named([*steps, name]), problem=problem)
    return Said("{key}: {problem}", key=key, problem=message)


#: what tomllib says of a file that is not TOML, as a Said each (words.toml [said] has their Chinese)
_TOML = {message: Said(message) for message in (
    "Cannot overwrite a value", "Escaped character is not a Unicode scalar value",
    "Expected '=' after a key in a key/value pair", "Expected ']' at the end of a table declaration",
    "Expected ']]' at the end of an array declaration", "Expected newline or end of document after a statement",
    "Invalid date or datetime", "Invalid hex value", "Invalid initial character for a key part", "Invalid statement",
    "Invalid value", "Unclosed array", "Unclosed inline table", "Unescaped '\\' in a string", "Unterminated string")}
#: tomllib's messages with a value in them: the pattern, and what it says
_TOML_WITH = (
    (re.compile(r"Cannot declare (\(.*\)) twice"), "{key} is declared twice"),
    (re.compile(r"Cannot mutate immutable namespace (\(.*\))"), "{key} is an inline table: nothing can be added to it"),
    (re.compile(r"Cannot redefine namespace (\(.*\))"), "{key} is already defined"),
    (re.compile(r"Duplicate inline table key '(.*)'"), "{key} is given twice in an inline table"),
    (re.compile(r"Expected ('.*')"), "expected {key}"),
    (re.compile(r"(?:Found invalid|Illegal) character ('.*')"), "{key} is not allowed here"),
)
_TOML_AT = re.compile(r"^(?P<message>.*) \(at (?:line (?P<line>\d+), column (?P<column>\d+)|end of document)\)$")


def toml_problem(exc: tomllib.TOMLDecodeError) -> Said:
    """What tomllib found wrong, said in the user's language: where (line and column, or the end of the file)
    and what (``Expected '=' after a key in a key/value pair`` is 键后缺少 '='). English as tomllib wrote it."""
    text = str(exc)
    match = _TOML_AT.match(text)
    message = match["message"] if match else text
    problem = _TOML.get(message)
    for pattern, template in _TOML_WITH:
        found = pattern.fullmatch(message)
        if problem is None and found is not None:
            key = found[1]
            if key.startswith("("):         # a key as tomllib holds it, ('general', 'timezone')
                key = ".".join(ast.literal_eval(key))
            problem = Said(template, key=key)
    if problem is None:
        problem = Said("{problem}", problem=message)
    if match is None:
        return problem
    if match["line"] is None:
        return Said("{problem} (at end of document)", problem=problem)
    return Said("{problem} (at line {line}, column {column})", problem=problem, line=int(match["line"]),
                column=int(match["column"]))


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


def dotted(prefix: str, steps: list[str | int]) -> str:
    """``steps`` as a dotted key after ``prefix``: ``channels[0].name``."""
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
    return unwrap(_declared_at(kind, steps))


def _form(kind: type, steps: list[str | int]) -> str | None:
    """How a value at a path is written, as its declaration says (``Meta(extra={"form": ...})``), if it does."""
    current = _declared_at(kind, steps)
    while isinstance(current, mi.UnionType | mi.Metadata):
        if isinstance(current, mi.Metadata):
            if current.extra and "form" in current.extra:
                return str(current.extra["form"])
            current = current.type
        else:
            current = next((t for t in current.types if not isinstance(t, mi.NoneType)), None)
    return None


def _declared_at(kind: type, steps: list[str | int]) -> mi.Type | None:
    """The type at a path as declared, with its metadata."""
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
    return current


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


def _keys_of(data: Any, kind: type, error: str, steps: list[str | int]) -> list[str | int]:
    """``steps`` with each ``[...]`` (a value of a table, its key unsaid) made the key whose value is wrong: the
    first key that, left alone in its table, fails the same way."""
    if "..." not in steps:
        return steps
    at = steps.index("...")
    table = _lookup(data, steps[:at])
    if not isinstance(table, dict):
        return steps[:at]
    for name, value in table.items():
        try:
            msgspec.convert(_replaced(data, steps[:at], {name: value}), kind)
        except (msgspec.ValidationError, ValueError) as exc:
            if str(exc) == error:
                return _keys_of(data, kind, error, [*steps[:at], str(name), *steps[at + 1:]])
    return steps[:at]


def _replaced(data: Any, steps: list[str | int], value: Any) -> Any:
    """``data`` with the value at ``steps`` replaced (the rest shared, not copied)."""
    if not steps:
        return value
    head, *rest = steps
    if isinstance(data, dict):
        return {**data, head: _replaced(data[head], rest, value)}
    copied = list(data)
    copied[int(head)] = _replaced(data[int(head)], rest, value)
    return copied


def _choices(kind: type, steps: list[str | int], keys_of_table: bool = False) -> list[str]:
    found = _type_at(kind, steps)
    if keys_of_table and isinstance(found, mi.DictType):
        found = unwrap(found.key_type)
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
