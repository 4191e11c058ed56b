"""``connector_fault``: a connector answers badly while the input stays exactly the original.

One case per operator and per connector action the original's recorded traffic reads (e.g.
``crm.read``); no case when the original made no connector calls. The fault itself is injected by
the cassette layer for every request to that action in the case — here the input is only copied.
"""

from __future__ import annotations

import copy
import random

from ..model import Sample
from .catalog import builtin
from .registry import MutationContext
from .text import first_unique, sample_id

OPERATORS: dict[str, str] = {
    "http_500": "The connector answers 500 Internal Server Error.",
    "http_429": "The connector answers 429 Too Many Requests (rate limited).",
    "timeout": "The connector never answers (a read timeout).",
    "malformed_json": "The connector answers 200 with a body that is not valid JSON.",
    "empty_result": "The connector answers 200 with an empty result.",
    "duplicate_result": "The connector answers with every record twice.",
    "missing_field": "The connector's answer lacks a field it normally has.",
}


def _reads(sample: Sample, ctx: MutationContext) -> list[str]:
    return first_unique(list(ctx.connector_reads(sample_id(sample, ctx))))


def _identity(sample: Sample, target: str, rng: random.Random, ctx: MutationContext) -> list[Sample]:
    return [copy.deepcopy(sample)]


for _name, _description in OPERATORS.items():
    builtin("connector_fault", _name, targets=_reads, oracle="escalate", description=_description)(_identity)
