"""Constraints: the building blocks of the key tables in ``schema.py``.

A constraint checks one JSON value and returns it normalised: lists become
tuples, enum strings take their canonical spelling, integers are never
booleans. It reports the first problem as a :class:`~openclarify.errors.
ConfigError` naming the dotted key. :class:`Object` checks a JSON object
against a table of :class:`Key` rows (name, constraint, default, one-line
description) and reports all of its problems together as :class:`Problems`,
keeping the keys that were valid so that the cross-key rules can still run.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from openclarify.errors import ConfigError, UnsupportedConfigError

SUPPORTED_SCOPE = (
    "tabular datasets (CSV, JSON Lines, JSON, Parquet) with bias metrics, "
    "Kernel SHAP and PDP"
)
UNKNOWN_KEY_HINT = "Remove the key or correct its spelling."
REQUIRED_HINT = "Add the key."


class _Missing:
    """The value of a key that is absent (or ``null``)."""

    def __repr__(self) -> str:
        return "no value"


MISSING: Any = _Missing()


class _Invalid:
    """Stands for a key that was present but failed its check."""

    def __repr__(self) -> str:
        return "<invalid>"


INVALID: Any = _Invalid()


class Problems(Exception):
    """Several config errors found in one value, with what was still valid.

    Parameters
    ----------
    errors : list of ConfigError
        Every problem, in key order.
    partial : object
        The value with its invalid parts replaced by ``INVALID`` (objects) or
        left out (lists).
    """

    def __init__(self, errors: list[ConfigError], partial: object) -> None:
        super().__init__(f"{len(errors)} problem(s)")
        self.errors = errors
        self.partial = partial


class Constraint:
    """Check one JSON value and return it normalised.

    Subclasses set ``accepted`` (a phrase such as "an integer >= 1") and
    implement :meth:`convert`.
    """

    accepted = "a value"

    def convert(self, value: object, key: str) -> object:
        """Return ``value`` normalised, or raise ConfigError naming ``key``."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement convert(); use one of the "
            "constraints defined in openclarify.config.schema"
        )

    def fail(self, value: object, key: str, hint: str = "") -> ConfigError:
        """Build the error for a value this constraint does not accept."""
        return ConfigError(key, value, f"expected {self.accepted}", hint)


class String(Constraint):
    """A non-empty string, optionally matching a pattern and a length limit."""

    def __init__(
        self,
        *,
        pattern: str | None = None,
        max_length: int | None = None,
        accepted: str = "a non-empty string",
    ) -> None:
        self.pattern = None if pattern is None else re.compile(pattern)
        self.max_length = max_length
        self.accepted = accepted

    def convert(self, value: object, key: str) -> object:
        if not isinstance(value, str) or not value:
            raise self.fail(value, key)
        if self.max_length is not None and len(value) > self.max_length:
            raise self.fail(value, key, f"Shorten it to {self.max_length} characters.")
        if self.pattern is not None and self.pattern.fullmatch(value) is None:
            raise self.fail(value, key)
        return value


class Integer(Constraint):
    """An integer (not a boolean, not a float) no smaller than ``minimum``."""

    def __init__(self, *, minimum: int | None = None) -> None:
        self.minimum = minimum
        self.accepted = "an integer"
        if minimum is not None:
            self.accepted += f" >= {minimum}"

    def convert(self, value: object, key: str) -> object:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(value, key)
        if self.minimum is not None and value < self.minimum:
            raise self.fail(value, key)
        return value


class Number(Constraint):
    """A finite number (integer or float, not a boolean), returned as float."""

    accepted = "a finite number such as 0.5"

    def convert(self, value: object, key: str) -> object:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(value, key, "Write it as a JSON number, without quotes.")
        number = float(value)
        if not math.isfinite(number):
            raise self.fail(value, key)
        return number


class Boolean(Constraint):
    """A JSON ``true`` or ``false``."""

    accepted = "true or false"

    def convert(self, value: object, key: str) -> object:
        if not isinstance(value, bool):
            raise self.fail(value, key, "Write it as a JSON boolean, without quotes.")
        return value


class Enum(Constraint):
    """One string out of ``choices``, compared without regard to case.

    ``unsupported`` strings are recognised Clarify values that openclarify
    rejects with :class:`~openclarify.errors.UnsupportedConfigError`; an entry
    ending in ``/*`` matches every subtype (``image/*``).
    """

    def __init__(
        self,
        choices: Sequence[str],
        *,
        unsupported: Sequence[str] = (),
        feature: str = "",
    ) -> None:
        self.choices = tuple(choices)
        self.unsupported = tuple(unsupported)
        self.feature = feature
        listed = ", ".join(repr(choice) for choice in self.choices)
        self.accepted = f"one of {listed} (any case)"

    def convert(self, value: object, key: str) -> object:
        if not isinstance(value, str):
            raise self.fail(value, key)
        folded = value.casefold()
        for choice in self.choices:
            if choice.casefold() == folded:
                return choice
        if any(_media_match(folded, other) for other in self.unsupported):
            supported = ", ".join(self.choices)
            raise UnsupportedConfigError(
                key, value, f"{self.feature} {value!r}".strip(), supported
            )
        raise self.fail(value, key, _closest_hint(value, self.choices))


class Column(Constraint):
    """A column reference: a name (non-empty string) or a 0-based index."""

    accepted = "a column name (string) or a 0-based column index (integer >= 0)"

    def convert(self, value: object, key: str) -> object:
        if isinstance(value, str) and value:
            return value
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
        raise self.fail(value, key)


class ScalarValue(Constraint):
    """A string or a number (a label value, a facet value or a threshold)."""

    accepted = "a string or a number"

    def convert(self, value: object, key: str) -> object:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise self.fail(value, key)
        if isinstance(value, float) and not math.isfinite(value):
            raise self.fail(value, key)
        return value


class NameOrIndex(Constraint):
    """A string or an integer (a class label header)."""

    accepted = "a string or an integer"

    def convert(self, value: object, key: str) -> object:
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise self.fail(value, key)
        return value


class ListOf(Constraint):
    """A JSON list whose items all meet ``item``; returned as a tuple."""

    def __init__(
        self, item: Constraint, *, non_empty: bool = False, unique: bool = False
    ) -> None:
        self.item = item
        self.non_empty = non_empty
        self.unique = unique
        size = "non-empty " if non_empty else ""
        self.accepted = f"a {size}list, each item {item.accepted}"
        if unique:
            self.accepted += ", without repeats"

    def convert(self, value: object, key: str) -> object:
        if not isinstance(value, list):
            raise self.fail(value, key, "Write it as a JSON list, e.g. [...].")
        if self.non_empty and not value:
            raise self.fail(value, key)

        items: list[object] = []
        errors: list[ConfigError] = []
        for position, raw in enumerate(value):
            try:
                items.append(self.item.convert(raw, f"{key}[{position}]"))
            except ConfigError as err:
                errors.append(err)
            except Problems as group:
                errors.extend(group.errors)
        if errors:
            raise Problems(errors, tuple(items))

        if self.unique:
            seen: set[object] = set()
            for item in items:
                if item in seen:
                    raise self.fail(value, key, f"Remove the repeated {item!r}.")
                seen.add(item)
        return tuple(items)


class MethodCodes(Constraint):
    """``"all"`` or a list of registered metric codes (any case).

    Returns the codes as a tuple in registry order for ``"all"``, else in the
    order given, with repeats dropped.
    """

    def __init__(
        self,
        registry: Sequence[str],
        *,
        other_stage: Sequence[str] = (),
        other_key: str = "",
    ) -> None:
        self.registry = tuple(registry)
        self.other_stage = {code.casefold(): code for code in other_stage}
        self.other_key = other_key
        self.accepted = (
            "'all' or a non-empty list of metric codes out of "
            f"{', '.join(self.registry)} (any case)"
        )

    def convert(self, value: object, key: str) -> object:
        if isinstance(value, str):
            if value.casefold() == "all":
                return self.registry
            raise self.fail(value, key, "Give a list, e.g. [\"CI\"], or 'all'.")
        if not isinstance(value, list) or not value:
            raise self.fail(value, key)

        by_fold = {code.casefold(): code for code in self.registry}
        codes: list[str] = []
        for position, raw in enumerate(value):
            code = by_fold.get(raw.casefold()) if isinstance(raw, str) else None
            if code is None:
                raise self.fail(raw, f"{key}[{position}]", self._hint(raw))
            if code not in codes:
                codes.append(code)
        return tuple(codes)

    def _hint(self, raw: object) -> str:
        if not isinstance(raw, str):
            return "Write each code as a string."
        other = self.other_stage.get(raw.casefold())
        if other is not None:
            return f"{other} belongs in {self.other_key}; move it there."
        return _closest_hint(raw, self.registry)


class Baseline(Constraint):
    """A SHAP baseline: a file URI, a list of rows, or one JSON object.

    A row is a list of feature values (CSV, Parquet) or a JSON object (JSON
    Lines); rows become tuples, objects stay dicts.
    """

    accepted = (
        "a file URI (string), a non-empty list of rows (each a list of values "
        "or an object), or a JSON object"
    )

    def convert(self, value: object, key: str) -> object:
        if isinstance(value, str) and value:
            return value
        if isinstance(value, dict):
            return value
        if not isinstance(value, list) or not value:
            raise self.fail(value, key)

        rows: list[object] = []
        for position, row in enumerate(value):
            if isinstance(row, dict):
                rows.append(row)
            elif isinstance(row, list) and all(
                cell is None or (isinstance(cell, str | int | float)) for cell in row
            ):
                rows.append(tuple(row))
            else:
                raise self.fail(row, f"{key}[{position}]")
        return tuple(rows)


@dataclass(frozen=True)
class Key:
    """One row of a key table.

    Parameters
    ----------
    name : str
        The JSON key, spelled as Clarify spells it.
    constraint : Constraint or None
        What the value must be; ``None`` for a key that is only recognised in
        order to reject it (see ``unsupported``).
    description : str
        One line saying what the key does.
    default : object, default=MISSING
        The value used when the key is absent or ``null``.
    required : bool, default=False
        Whether the key must be given.
    unsupported : str, default=""
        When set, the key is a Clarify feature that openclarify rejects; the
        text names the feature.
    """

    name: str
    constraint: Constraint | None
    description: str
    default: object = MISSING
    required: bool = False
    unsupported: str = ""


class Object(Constraint):
    """A JSON object checked key by key against a table of :class:`Key` rows.

    Every problem in the object is collected. Unknown keys are rejected with
    the closest accepted key as a hint. Absent keys take their default.
    """

    def __init__(self, keys: Sequence[Key], *, what: str) -> None:
        self.keys = tuple(keys)
        self.what = what
        self.accepted = f"a JSON object ({what})"

    @property
    def names(self) -> tuple[str, ...]:
        """Every key this object recognises, in table order."""
        return tuple(spec.name for spec in self.keys)

    def convert(self, value: object, key: str) -> object:
        if not isinstance(value, Mapping):
            raise self.fail(value, key, "Write it as a JSON object, e.g. {...}.")

        errors: list[ConfigError] = []
        for name in value:
            if name not in self.names:
                errors.append(self._unknown(name, value[name], key))

        result: dict[str, object] = {}
        for spec in self.keys:
            path = _join(key, spec.name)
            raw = value.get(spec.name)
            try:
                result[spec.name] = self._convert_key(spec, raw, path)
            except ConfigError as err:
                errors.append(err)
                result[spec.name] = INVALID
            except Problems as group:
                errors.extend(group.errors)
                result[spec.name] = group.partial
        if errors:
            raise Problems(errors, result)
        return result

    def _convert_key(self, spec: Key, raw: object, path: str) -> object:
        if raw is None:
            if spec.required:
                raise ConfigError(path, MISSING, f"{self.what} needs it", REQUIRED_HINT)
            return spec.default
        if spec.unsupported:
            raise UnsupportedConfigError(path, raw, spec.unsupported, SUPPORTED_SCOPE)
        if spec.constraint is None:
            raise ConfigError(path, raw, "no value is accepted", UNKNOWN_KEY_HINT)
        return spec.constraint.convert(raw, path)

    def _unknown(self, name: object, value: object, key: str) -> ConfigError:
        listed = ", ".join(spec.name for spec in self.keys if not spec.unsupported)
        hint = UNKNOWN_KEY_HINT
        if isinstance(name, str):
            hint = _closest_hint(name, self.names) or hint
        return ConfigError(
            _join(key, str(name)),
            value,
            f"unknown key; {self.what} accepts {listed}",
            hint,
        )


def _media_match(folded: str, pattern: str) -> bool:
    pattern = pattern.casefold()
    if pattern.endswith("/*"):
        return folded.startswith(pattern[:-1])
    return folded == pattern


def _join(parent: str, name: str) -> str:
    return f"{parent}.{name}" if parent else name


def _closest_hint(word: str, choices: Sequence[str]) -> str:
    folded = {choice.casefold(): choice for choice in choices}
    close = difflib.get_close_matches(word.casefold(), list(folded), n=1, cutoff=0.6)
    if not close:
        return ""
    return f"Did you mean {folded[close[0]]!r}?"
