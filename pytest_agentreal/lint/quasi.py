"""Quasi-identifiers: fields that are harmless alone but single a person out together.

Date of birth + postcode identifies most people even with names pseudonymised (Sweeney: 87% of
the US population by date of birth, ZIP code and gender). A corpus is k-anonymous over a set of
fields when every combination of their values is shared by at least ``k`` samples; a sample whose
combination fewer than ``k`` share is *at risk*. Only the smallest risky combinations are
reported (a risky pair makes every triple containing it risky too), with counts, never values.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from ..model import Sample
from ..pointers import generalise, iter_leaves, parse
from .model import LintContext, LintFinding, show_path
from .registry import register_check

K = 5
MAX_COMBINATION = 3
MAX_FIELDS = 12

QUASI_KINDS = frozenset({"dob", "postcode", "city"})
_WORDS = (
    "gender sex age birthyear yearofbirth nationality maritalstatus ethnicity zip zipcode plz postalcode "
    "postcode dob dateofbirth birthdate birthday town district county"
)
QUASI_WORDS = frozenset(_WORDS.split())


def is_quasi_identifier(pointer: str) -> bool:
    """Whether a field's name says it is a quasi-identifier (birth date, postcode, city, gender, age …)."""
    from ..anonymise.detect import field_kinds

    tokens = tuple(t for t in parse(pointer) if t != "*")
    if not tokens:
        return False
    name = re.sub(r"[^a-z0-9]", "", tokens[-1].lower())
    return name in QUASI_WORDS or bool(QUASI_KINDS.intersection(field_kinds(tokens)))


@dataclass(frozen=True)
class QuasiRisk:
    """Fields under which ``at_risk`` of the ``considered`` samples share values with fewer than k-1 others."""

    fields: tuple[str, ...]
    at_risk: int
    considered: int


def _filled(value: Any) -> bool:
    return value is not None and value != "" and value != [] and value != {}


def _values(sample: Sample, fields: set[str]) -> dict[str, tuple[str, ...]]:
    found: dict[str, list[str]] = {}
    for pointer, value in iter_leaves(sample):
        field = generalise(pointer)
        if field in fields and _filled(value):
            found.setdefault(field, []).append(str(value).strip().casefold())
    return {field: tuple(sorted(values)) for field, values in found.items()}


def quasi_identifier_fields(samples: Sequence[Sample]) -> list[str]:
    """The quasi-identifier fields present in the samples (generalised pointers), in first-seen order."""
    seen: dict[str, bool] = {}
    for sample in samples:
        for pointer, _ in iter_leaves(sample):
            field = generalise(pointer)
            if field not in seen:
                seen[field] = is_quasi_identifier(field)
    return [field for field, quasi in seen.items() if quasi][:MAX_FIELDS]


def quasi_identifier_risks(samples: Sequence[Sample], k: int = K) -> list[QuasiRisk]:
    """The smallest combinations (2 to 3 fields) under which some samples are not k-anonymous."""
    fields = quasi_identifier_fields(samples)
    values = [_values(sample, set(fields)) for sample in samples]
    risks: list[QuasiRisk] = []
    for size in range(2, min(MAX_COMBINATION, len(fields)) + 1):
        for combo in combinations(fields, size):
            if any(set(r.fields) <= set(combo) for r in risks):
                continue
            keys = [tuple(v[f] for f in combo) for v in values if all(f in v for f in combo)]
            counts = Counter(keys)
            at_risk = sum(n for n in counts.values() if n < k)
            if at_risk:
                risks.append(QuasiRisk(combo, at_risk, len(keys)))
    return risks


def check_quasi_identifiers(context: LintContext) -> Iterator[LintFinding]:
    """A warning per risky combination of quasi-identifiers, naming the fields and the samples at risk."""
    if not context.rows:
        return
    k = context.k
    files = sorted({show_path(row.file) for row in context.rows})
    for risk in quasi_identifier_risks([row.sample for row in context.rows], k):
        yield LintFinding(
            files[0], None, "quasi_identifiers",
            f"{' + '.join(risk.fields)}: {risk.at_risk} of {risk.considered} samples that have these fields "
            f"share their combination with fewer than {k - 1} others (k={k})",
            "generalise one of them (birth year instead of the date, the first part of the postcode) "
            "or drop a field the agent does not need", "warning",
        )  # fmt: skip


register_check("quasi_identifiers", check_quasi_identifiers)
