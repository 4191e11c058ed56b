"""``agentreal.connector``: record and replay plain Python tool functions with a case's traffic.

MCP tools, SMTP clients and SDK wrappers do not speak HTTP through an intercepted client, so the
agent's tool functions are wrapped instead::

    @connector                       # recorded as "lookup_customer"
    def lookup_customer(email: str) -> dict: ...

    @connector(name="crm.lookup")    # recorded under an action-like name
    async def lookup(email: str) -> dict: ...

    send = connector(smtp.send, name="send_email")   # wrap a function you do not own

Outside a case the function simply runs. Inside one, the call's arguments and result (or
exception) go into the case's cassette; under replay the recorded result is returned without
calling the function, and a call that was never recorded fails naming the closest recorded call.
Arguments and results must be JSON data (dict, list, str, int, float, bool, None), because that is
what replay can give back unchanged.
"""

from __future__ import annotations

import copy
import functools
import inspect
import math
from collections.abc import Callable
from typing import Any, TypeVar, overload

from .cassettes import active

F = TypeVar("F", bound=Callable[..., Any])


class ConnectorDataError(TypeError):
    """A tool function's arguments or result are not JSON data, so they cannot be replayed."""


@overload
def connector(fn: F, *, name: str | None = None) -> F: ...


@overload
def connector(fn: None = None, *, name: str | None = None) -> Callable[[F], F]: ...


def connector(fn: F | None = None, *, name: str | None = None) -> F | Callable[[F], F]:
    """Record/replay ``fn`` as a connector: ``@connector``, ``@connector(name=...)`` or ``connector(fn)``."""
    if fn is None:
        return lambda function: connector(function, name=name)
    tool = name or getattr(fn, "__name__", None) or repr(fn)
    signature = _signature(fn)
    drop_first = _is_method(fn, signature)

    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            recording = active.current()
            if recording is None:
                return await fn(*args, **kwargs)
            plan = recording.begin_tool(tool, _arguments(tool, signature, drop_first, args, kwargs))
            if not plan.run:
                return _replayed(plan)
            try:
                result = await fn(*args, **kwargs)
            except Exception as error:
                recording.end_tool(plan, error=error)
                raise
            return _finish(recording, plan, tool, result)

        wrapper: Any = async_wrapper
    else:

        @functools.wraps(fn)
        def sync_wrapper(*args: Any, **kwargs: Any) -> Any:
            recording = active.current()
            if recording is None:
                return fn(*args, **kwargs)
            plan = recording.begin_tool(tool, _arguments(tool, signature, drop_first, args, kwargs))
            if not plan.run:
                return _replayed(plan)
            try:
                result = fn(*args, **kwargs)
            except Exception as error:
                recording.end_tool(plan, error=error)
                raise
            return _finish(recording, plan, tool, result)

        wrapper = sync_wrapper
    wrapper.__agentreal_connector__ = tool
    return wrapper  # type: ignore[no-any-return]


def _replayed(plan: Any) -> Any:
    if plan.error is not None:
        raise plan.error
    return copy.deepcopy(plan.result)  # the agent may mutate it; the recording must not change


def _finish(recording: Any, plan: Any, tool: str, result: Any) -> Any:
    try:
        check_json(result, f"connector {tool!r}: its result")
    except ConnectorDataError as error:
        recording.end_tool(plan, error=error)
        raise
    return recording.end_tool(plan, result=result)


def _signature(fn: Callable[..., Any]) -> inspect.Signature | None:
    try:
        return inspect.signature(fn)
    except (TypeError, ValueError):  # some builtins have none: record positional args as a list
        return None


def _is_method(fn: Callable[..., Any], signature: inspect.Signature | None) -> bool:
    # A plain function defined in a class body, decorated before it becomes a bound method.
    if signature is None or inspect.ismethod(fn):
        return False
    params = list(signature.parameters)
    return bool(params) and params[0] in ("self", "cls") and "." in getattr(fn, "__qualname__", "")


def _arguments(
    tool: str, signature: inspect.Signature | None, drop_first: bool, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> dict[str, Any]:
    if signature is None:
        arguments: dict[str, Any] = {"args": list(args), **kwargs}
    else:
        bound = signature.bind(*args, **kwargs)
        arguments = {}
        for index, (param, value) in enumerate(bound.arguments.items()):
            if index == 0 and drop_first:
                continue
            kind = signature.parameters[param].kind
            if kind is inspect.Parameter.VAR_KEYWORD:
                arguments.update(value)
            elif kind is inspect.Parameter.VAR_POSITIONAL:
                arguments[param] = list(value)
            else:
                arguments[param] = value
    check_json(arguments, f"connector {tool!r}: its arguments")
    return arguments


def check_json(value: Any, what: str) -> None:
    """Raise :class:`ConnectorDataError` naming the first place where ``value`` is not JSON data."""
    problem = _first_non_json(value, "")
    if problem is not None:
        where, kind = problem
        raise ConnectorDataError(
            f"{what} at {where or '/'} is {kind}, which a cassette cannot replay unchanged; "
            "pass and return JSON data (dict with str keys, list, str, int, float, bool, None), "
            "e.g. convert models with .model_dump(mode='json') and datetimes with .isoformat()"
        )


def _first_non_json(value: Any, path: str) -> tuple[str, str] | None:
    if value is None or isinstance(value, (str, bool, int)):
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else (path, f"the float {value!r}")
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _first_non_json(item, f"{path}/{index}")
            if found:
                return found
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return (path, f"a dict with a {type(key).__name__} key {key!r}")
            found = _first_non_json(item, f"{path}/{key}")
            if found:
                return found
        return None
    if isinstance(value, tuple):
        return (path, "a tuple (replay would return a list)")
    return (path, f"a {type(value).__module__}.{type(value).__qualname__}")
