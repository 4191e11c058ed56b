"""Connector faults the harness injects between the agent and the sandbox while recording.

Each operator is registered by name (``connector_fault.<name>`` in the manifest). ``before``
operators answer instead of the sandbox (an error status, or a timeout that the client sees as its
own timeout exception); ``after`` operators let the request through and damage what comes back
(a malformed body, no records, a duplicated record, a record missing a field). The damaged answer
is what the cassette keeps, so replay is exact.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from ..errors import unknown_name_fix

FAULT_HEADER = "x-agentreal-fault"
"""Marks an injected answer in the cassette, so a reader (or plain vcrpy) sees it was faked."""


class NotApplicable(Exception):
    """The fault cannot damage this answer (not JSON, no records): it is passed through unchanged."""


class ConnectorFault(Exception):
    """An injected error status from a tool function (the HTTP faults' counterpart for tools)."""

    def __init__(self, message: str, status: int, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


@dataclass(frozen=True)
class FaultOperator:
    """One ``connector_fault`` operator.

    ``before``: answered without reaching the sandbox with ``status`` (``None`` = a timeout).
    ``after``: the sandbox's answer passes through ``damage`` (JSON value → JSON value, or text →
    text when ``on_text``), which raises :class:`NotApplicable` when it cannot apply.
    """

    name: str
    stage: Literal["before", "after"]
    status: int | None = None
    reason: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    damage: Callable[[Any], Any] | None = None
    on_text: bool = False

    def http_body(self) -> bytes:
        """The JSON error body of a ``before`` answer."""
        payload = {
            "error": {
                "message": f"{self.reason} (injected by pytest-agentreal: connector_fault.{self.name})",
                "type": self.name,
                "code": self.status,
            }
        }
        return json.dumps(payload).encode("utf-8")

    def tool_error(self, tool: str) -> BaseException:
        """What a tool function raises under a ``before`` fault."""
        if self.status is None:
            return TimeoutError(f"{tool} timed out (injected by pytest-agentreal: connector_fault.{self.name})")
        retry_after = 0.0 if self.status == 429 else None
        return ConnectorFault(
            f"{tool}: HTTP {self.status} {self.reason} (injected by pytest-agentreal: connector_fault.{self.name})",
            self.status,
            retry_after,
        )

    def damage_text(self, text: str) -> str:
        """An ``after`` fault applied to a response body's text."""
        assert self.damage is not None
        if self.on_text:
            return str(self.damage(text))
        try:
            value = json.loads(text)
        except ValueError:
            raise NotApplicable("the answer is not JSON") from None
        return json.dumps(self.damage(value), ensure_ascii=False)

    def damage_value(self, value: Any) -> Any:
        """An ``after`` fault applied to a tool function's result."""
        assert self.damage is not None
        if self.on_text:
            return self.damage(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
        return self.damage(copy.deepcopy(value))


FAULTS: dict[str, FaultOperator] = {}


def register_fault(operator: FaultOperator) -> FaultOperator:
    """Add (or replace) a fault operator; the mutation family plans one case per registered name."""
    FAULTS[operator.name] = operator
    return operator


def get_fault(name: str) -> FaultOperator:
    """The registered operator, or a ``ValueError`` naming the nearest valid one."""
    try:
        return FAULTS[name]
    except KeyError:
        raise ValueError(f"unknown connector fault {name!r} ({unknown_name_fix(name, FAULTS)})") from None


@dataclass(frozen=True)
class FaultSpec:
    """The fault of one case: ``operator`` on every request to connector ``action``.

    ``applies(method, url, body)`` tells whether a request belongs to the action; for tool
    functions it is called as ``applies("CALL", tool_name, args)``.
    """

    operator: str
    action: str
    applies: Callable[[str, str, Any], bool] = field(compare=False)

    def __post_init__(self) -> None:
        get_fault(self.operator)

    @property
    def fault(self) -> FaultOperator:
        """The registered operator."""
        return get_fault(self.operator)


# -- finding the records in an answer -------------------------------------------------------------
_RECORD_KEYS = ("data", "items", "results", "records", "hits", "entries", "rows", "objects", "customers")


def _records(value: Any) -> list[Any] | None:
    """The list of records in an answer: the answer itself, or its first list-valued member."""
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        for key in (*_RECORD_KEYS, *value.keys()):
            child = value.get(key)
            if isinstance(child, list):
                return child
    return None


def _empty(value: Any) -> Any:
    records = _records(value)
    if records is not None:
        records.clear()
        return value
    if isinstance(value, dict):
        return {}
    raise NotApplicable("no records in the answer")


def _duplicate(value: Any) -> Any:
    records = _records(value)
    if records:
        records.insert(1, copy.deepcopy(records[0]))
        return value
    if isinstance(value, dict) and value:
        return [value, copy.deepcopy(value)]
    raise NotApplicable("no record to duplicate")


def _is_id(key: str) -> bool:
    lowered = key.lower()
    return lowered == "id" or lowered.endswith(("_id", "-id")) or (key.endswith("Id") and len(key) > 2)


def _missing_field(value: Any) -> Any:
    records = _records(value)
    record = records[0] if records else value
    if not isinstance(record, dict) or not record:
        raise NotApplicable("no record with fields")
    candidates = sorted(k for k, v in record.items() if not _is_id(str(k)) and v is not None) or sorted(record)
    del record[candidates[0]]
    return value


def _malformed(text: str) -> str:
    # Cut mid-document, as a proxy that drops the connection would: no parser accepts it.
    cut = text[: max(1, len(text) // 2)]
    return cut if cut.strip() not in ("", "{}", "[]") else "{"


for _operator in (
    FaultOperator("http_500", "before", 500, "Internal Server Error", (("retry-after-ms", "1"),)),
    FaultOperator("http_429", "before", 429, "Too Many Requests", (("retry-after", "0"), ("retry-after-ms", "1"))),
    FaultOperator("timeout", "before", None, "Gateway Timeout"),
    FaultOperator("malformed_json", "after", damage=_malformed, on_text=True),
    FaultOperator("empty_result", "after", damage=_empty),
    FaultOperator("duplicate_result", "after", damage=_duplicate),
    FaultOperator("missing_field", "after", damage=_missing_field),
):
    register_fault(_operator)
