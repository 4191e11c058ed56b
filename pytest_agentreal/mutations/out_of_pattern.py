"""``out_of_pattern`` on structured fields: ``wrong_type``, ``out_of_range``, ``unknown_field``.

One case per applicable field (a JSON Pointer target; ``/items/0/qty`` stands for every item).
The free-text operators (``oversize``, ``unicode``, ``injection``, ``off_topic``) live in
:mod:`.out_of_pattern_text`.
"""

from __future__ import annotations

import copy
import random
import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from .. import pointers
from ..model import Sample
from .catalog import builtin
from .dates import parse_date
from .numbers import number_as_words
from .registry import MutationContext
from .schema import numeric_bounds
from .text import is_id_path, leaves, one_per_field, profile, sample_language

_NUMERIC_TEXT = re.compile(r"-?\d+(?:\.\d+)?")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")  # fmt: skip


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _structured_leaves(sample: Sample, ctx: MutationContext) -> list[tuple[str, Any]]:
    texts = set(profile(ctx).text_fields)
    return [
        (leaf.pointer, leaf.value)
        for leaf in leaves(sample)
        if leaf.field not in texts and not is_id_path(leaf.pointer, ctx)
    ]


def _confusable(value: Any) -> bool:
    if isinstance(value, bool) or _is_number(value):
        return True
    return isinstance(value, str) and bool(parse_date(value) or _NUMERIC_TEXT.fullmatch(value))


def _wrong_type_targets(sample: Sample, ctx: MutationContext) -> list[str]:
    return one_per_field([p for p, v in _structured_leaves(sample, ctx) if _confusable(v)])


def _currency(sample: Sample) -> str:
    for pointer, value in pointers.iter_leaves(sample):
        if "currency" in pointer.lower() and isinstance(value, str) and re.fullmatch(r"[A-Z]{3}", value):
            return value
    return "EUR"


def confusions(value: Any, lang: str, currency: str = "EUR") -> list[Any]:
    """What an export, a form or a person writes instead of ``value`` (all of another type)."""
    if isinstance(value, bool):
        yes = {"de": "ja", "fr": "oui", "es": "sí", "it": "sì", "nl": "ja", "pt": "sim"}.get(lang, "yes")
        no = {"de": "nein", "fr": "non", "es": "no", "it": "no", "nl": "nee", "pt": "não"}.get(lang, "no")
        return ["true", "Y", 1, yes] if value else ["false", "N", 0, no]
    if isinstance(value, int):
        options: list[Any] = [str(value), f"{value:,}" if abs(value) >= 1000 else f"{value}.0"]
        words = number_as_words(value, lang)
        return [*options, words] if words else options
    if isinstance(value, float):
        fixed = f"{value:.2f}"
        return [fixed.replace(".", ","), fixed, f"{fixed} {currency}", f"{value:,.2f}".replace(",", " ")]
    if isinstance(value, str):
        when = parse_date(value)
        if when is not None:
            return _date_confusions(when, has_time=len(value) > 10)
        if _NUMERIC_TEXT.fullmatch(value):  # "00123" → 123, "12.50" → 12.5: a spreadsheet's doing
            return [float(value) if "." in value else int(value)]
    return []


def _date_confusions(when: datetime, has_time: bool) -> list[Any]:
    options: list[Any] = [
        f"{when:%d/%m/%Y}",
        f"{when:%m/%d/%Y}",
        f"{when.day}.{when.month}.{when.year}",
        f"{_MONTHS[when.month - 1]} {when.day}, {when.year}",
        f"{when:%Y%m%d}",
    ]
    if has_time:
        options.append(int((when - datetime(1970, 1, 1)).total_seconds()))  # epoch seconds
        options.append(f"{when:%d/%m/%Y %H:%M}")
    return options


@builtin("out_of_pattern", "wrong_type", targets=_wrong_type_targets)
def wrong_type(sample: Sample, target: str, rng: random.Random, ctx: MutationContext) -> list[Sample]:
    """A realistic type confusion: ``"12,50"`` for 12.5, another date format, a number in words."""
    value = pointers.resolve(sample, target)
    options = [o for o in confusions(value, sample_language(sample, ctx), _currency(sample)) if o != value]
    if not options:
        return [copy.deepcopy(sample)]
    return [pointers.replace(sample, target, rng.choice(options))]


def _range_targets(sample: Sample, ctx: MutationContext) -> list[str]:
    return one_per_field(
        [
            p
            for p, v in _structured_leaves(sample, ctx)
            if _is_number(v) or (isinstance(v, str) and parse_date(v) is not None)
        ]
    )


def out_of_range_values(value: Any, bounds: Mapping[str, float]) -> list[Any]:
    """Values just outside the schema's bounds, or negative / zero / huge when it has none."""
    if isinstance(value, str):
        return _date_out_of_range(value)
    is_int = isinstance(value, int)
    step: float = 1 if is_int else 0.01
    outside: list[Any] = []
    if "minimum" in bounds:
        outside.append(bounds["minimum"] - step)
    if "exclusiveMinimum" in bounds:
        outside.append(bounds["exclusiveMinimum"])
    if "maximum" in bounds:
        outside.append(bounds["maximum"] + step)
    if "exclusiveMaximum" in bounds:
        outside.append(bounds["exclusiveMaximum"])
    if not outside:
        outside = [-abs(value) if value else -1, 0, 2**31 if is_int else float(abs(value) or 1) * 1e6]
    typed = [int(v) if is_int and float(v).is_integer() else round(float(v), 2) for v in outside]
    return [v for v in typed if v != value] or [-1]


def _date_out_of_range(value: str) -> list[str]:
    # The sentinels exports really produce (.NET DateTime.MinValue, "never expires"), and a future date.
    prefix_len = 10
    tail = value[prefix_len:]
    when = parse_date(value)
    future = (when + timedelta(days=400)).date().isoformat() if when and when.year < 9999 else "2099-12-31"
    return [d + tail for d in ("0001-01-01", "9999-12-31", future) if d + tail != value]


@builtin("out_of_pattern", "out_of_range", targets=_range_targets)
def out_of_range(sample: Sample, target: str, rng: random.Random, ctx: MutationContext) -> list[Sample]:
    """A value outside what is expected: below/above the schema's bounds, or negative, zero, huge."""
    value = pointers.resolve(sample, target)
    bounds = numeric_bounds(ctx.input_schema, target) if _is_number(value) else {}
    return [pointers.replace(sample, target, rng.choice(out_of_range_values(value, bounds)))]


# Fields that real exports and upstream systems add without telling anyone, with their values.
_TOP_LEVEL_EXTRAS: tuple[tuple[str, tuple[Any, ...]], ...] = (
    ("source_system", ("zendesk-export", "legacy-crm", "email-gateway")),
    ("custom_fields", ({"cf_4417": None, "cf_4418": "web"}, {"cf_1002": "B2B"})),
    ("_schema_version", (2, "2.1")),
)
_NESTED_EXTRAS: tuple[tuple[str, tuple[Any, ...]], ...] = (
    ("legacy_id", ("0048213", 48213)),
    ("crm_ref", ("CRM-7731", None)),
    ("_internal", ({"migrated": True},)),
)


def _extra_name(obj: Mapping[str, Any], extras: tuple[tuple[str, tuple[Any, ...]], ...]) -> str:
    for name, _ in extras:
        if name not in obj:
            return name
    index = 2
    while f"{extras[0][0]}_{index}" in obj:
        index += 1
    return f"{extras[0][0]}_{index}"


def _unknown_targets(sample: Sample, ctx: MutationContext) -> list[str]:
    targets = [pointers.join([_extra_name(sample, _TOP_LEVEL_EXTRAS)])]
    for key, value in sample.items():
        if isinstance(value, dict) and value and not is_id_path(pointers.join([key]), ctx):
            targets.append(pointers.join([key, _extra_name(value, _NESTED_EXTRAS)]))
            break
    return targets


@builtin("out_of_pattern", "unknown_field", targets=_unknown_targets)
def unknown_field(sample: Sample, target: str, rng: random.Random, ctx: MutationContext) -> list[Sample]:
    """A field the agent has never seen, at the top level or in a nested object."""
    tokens = pointers.parse(target)
    extras = _TOP_LEVEL_EXTRAS if len(tokens) == 1 else _NESTED_EXTRAS
    name = tokens[-1]
    values = next((vals for n, vals in extras if name.startswith(n)), extras[0][1])
    return [pointers.replace(sample, target, copy.deepcopy(rng.choice(values)))]
