"""Configuration keys as a schema: each key's type, bounds and choices, checked in one place.

A TOML file is read by its own rules (``"false"`` is a string, ``1.5`` a float,
``"public"`` not a list), and a value of the wrong kind is an error naming the key,
never silently read as something else.  :func:`check_table` checks a table against
its :class:`Option` rows and fills the defaults; it imports nothing of the collector,
so every part (the top-level keys, each output's table) can use it.
"""

from __future__ import annotations

import difflib
import math
from typing import Any, Mapping, NamedTuple, Optional, Sequence

__all__ = ["ConfigError", "Option", "check_table", "MISSING"]


class ConfigError(ValueError):
    """A configuration the collector cannot start with; the message says what to fix."""


MISSING = object()

_KIND_NAMES = {bool: "true or false", int: "an integer", float: "a number", str: "a string",
               list: "a list", dict: "a table"}


class Option(NamedTuple):
    """One key: its kind (a type or a tuple of types), default, bounds, choices, what it means."""

    name: str
    kind: Any
    default: Any = MISSING
    minimum: Optional[float] = None
    maximum: Optional[float] = None
    choices: Optional[Sequence[Any]] = None
    meaning: str = ""
    item: Any = None  # the kind of each element when kind is list


def _kind_text(kind: Any) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(_KIND_NAMES.get(k, k.__name__) for k in kinds)


def _is(value: Any, kind: Any) -> bool:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    for k in kinds:
        if k is float and type(value) in (int, float):
            return True
        if k is int and type(value) is int:
            return True
        if k not in (int, float) and isinstance(value, k) and not (k is not bool and type(value) is bool):
            return True
    return False


def check_value(option: Option, value: Any, where: str) -> Any:
    """``value`` if it is what ``option`` allows, else ConfigError naming ``where`` and the key."""
    at = f"{where}: {option.name}"
    if not _is(value, option.kind):
        raise ConfigError(f"{at}: expected {_kind_text(option.kind)}, not {value!r}")
    if type(value) is float and not math.isfinite(value):
        raise ConfigError(f"{at}: expected a finite number, not {value!r}")
    if option.minimum is not None and type(value) in (int, float) and value < option.minimum:
        raise ConfigError(f"{at}: {value!r} is below the least allowed, {option.minimum:g}")
    if option.maximum is not None and type(value) in (int, float) and value > option.maximum:
        raise ConfigError(f"{at}: {value!r} is over the most allowed, {option.maximum:g}")
    if option.choices is not None and value not in option.choices:
        raise ConfigError(f"{at}: {value!r} is not one of {', '.join(map(repr, option.choices))}")
    if option.item is not None and isinstance(value, list):
        for i, item in enumerate(value):
            if not _is(item, option.item):
                raise ConfigError(f"{at}[{i}]: expected {_kind_text(option.item)}, not {item!r}")
    return value


def check_table(table: Mapping[str, Any], options: Sequence[Option], where: str) -> dict:
    """The checked table with defaults filled; an unknown key is named with the closest known one."""
    if not isinstance(table, Mapping):
        raise ConfigError(f"{where}: expected a table, not {table!r}")
    known = {option.name: option for option in options}
    for key in table:
        if key not in known:
            close = difflib.get_close_matches(str(key), list(known), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(sorted(known))})"
            raise ConfigError(f"{where}: unknown key {key!r}{hint}")
    out = {}
    for option in options:
        if option.name in table:
            out[option.name] = check_value(option, table[option.name], where)
        elif option.default is not MISSING:
            out[option.name] = option.default
    return out
