"""``policy.yaml`` → :class:`Policy`: which actions run on their own, need approval, or are forbidden.

The file is data only: it is read with PyYAML's ``SafeLoader`` (no tags, no code) and every
``when``/``response`` is a JSON Schema (2020-12) compiled once at load. Every rule keeps its line so
findings cite ``policy.yaml:12``. Parsing collects problems so ``agentreal lint`` can show them all;
:func:`load_policy` raises the first as a :class:`ConfigError`.

Naming of traffic no rule maps (:func:`default_action_name`): ``<connector>.read`` for GET, HEAD and
OPTIONS, ``<connector>.write`` otherwise, where the connector is the host's first label, skipping a
leading ``www``/``api`` (``crm.example.com`` → ``crm``, ``api.openai.com`` → ``openai``); an IP
address or single-label host uses host and port with ``_`` (``127_0_0_1_8000``). Such actions are
not named by the policy, so they take ``default``.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .errors import ConfigError
from .policy_yaml import Problems, YamlDoc, read_yaml
from .urlglob import GlobError, GlobMatch, UrlGlob

MODES = ("auto", "approval", "forbidden")
DEFAULT_MODES = ("approval", "forbidden")
APPROVAL_EVENT = "approval.granted"
TOP_KEYS = ("default", "actions", "connectors", "tools")
ACTION_KEYS = ("mode", "when", "otherwise", "write")
CONNECTOR_KEYS = ("method", "url", "action", "query", "response")
TOOL_KEYS = ("action", "response")
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
HTTP_METHODS = ("GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE", "*")


@dataclass(frozen=True, eq=False)
class Schema:
    """A JSON Schema compiled once; ``where`` cites it (``policy.yaml:9``)."""

    schema: Any
    where: str
    validator: Any = field(repr=False)

    def is_valid(self, instance: Any) -> bool:
        """Whether ``instance`` satisfies the schema."""
        return bool(self.validator.is_valid(instance))

    def describe(self) -> str:
        """The schema as compact JSON, for findings."""
        return json.dumps(self.schema, sort_keys=True, default=str)


@dataclass(frozen=True)
class ActionRule:
    """One entry of ``actions:``: its mode, optional ``when``/``otherwise``, and whether it writes."""

    name: str
    mode: str
    where: str
    when: Schema | None = None
    otherwise: str | None = None
    write: bool | None = None


@dataclass(frozen=True, eq=False)
class ConnectorRule:
    """One entry of ``connectors:``: requests it matches and the action they are."""

    index: int
    methods: frozenset[str] | None  # None = any method
    url: UrlGlob
    action: str
    where: str
    query: Mapping[str, str] = field(default_factory=dict)
    response: Schema | None = None

    def match(self, method: str, url: str) -> GlobMatch | None:
        """The glob's captures when the request matches this rule (query included), else ``None``."""
        if self.methods is not None and method.upper() not in self.methods:
            return None
        found = self.url.match(url)
        if found is None or not _query_matches(self.query, url):
            return None
        return found


@dataclass(frozen=True)
class ToolRule:
    """One entry of ``tools:``: a tool function's name → action, with an optional ``response:``."""

    tool: str
    action: str
    where: str
    response: Schema | None = None


@dataclass(frozen=True)
class Ruling:
    """The mode an action gets, the rule that gave it (``policy.yaml:8``), and why."""

    mode: str
    where: str
    reason: str


@dataclass(frozen=True)
class RequestMatch:
    """A request matched by a connector rule: its action, args and the wildcard captures."""

    action: str
    args: dict[str, Any]
    rule: ConnectorRule
    captures: tuple[str, ...] = ()


_MATCH_CACHE_SIZE = 65_536


@dataclass(frozen=True, eq=False)
class Policy:
    """The control layer of one corpus. ``enabled=False`` (:func:`no_policy`) judges nothing."""

    file: Path | None = None
    default: str = "approval"
    default_where: str = ""
    actions: Mapping[str, ActionRule] = field(default_factory=dict)
    connectors: tuple[ConnectorRule, ...] = ()
    tools: Mapping[str, ToolRule] = field(default_factory=dict)
    enabled: bool = True
    # (METHOD, url) → the first matching rule and its glob captures. Which rule matches depends on
    # nothing else, and every case of a sample sends the same URLs again (and faults, timelines and
    # planning all ask): the URL globs run once per distinct request line.
    _matches: dict[tuple[str, str], tuple[ConnectorRule, GlobMatch] | None] = field(
        default_factory=dict, repr=False, compare=False)

    def match_request(self, method: str, url: str, body: Any = None) -> RequestMatch | None:
        """The first connector rule matching the request, with the action's args; ``None`` if none."""
        key = (method.upper(), url)
        if key in self._matches:
            hit = self._matches[key]
        else:
            hit = next(((rule, found) for rule in self.connectors
                        if (found := rule.match(method, url)) is not None), None)
            if len(self._matches) >= _MATCH_CACHE_SIZE:
                self._matches.clear()
            self._matches[key] = hit
        if hit is None:
            return None
        rule, found = hit
        return RequestMatch(rule.action, request_args(url, body, found.named), rule, found.captures)

    def action_for_request(self, method: str, url: str, body: Any = None) -> str:
        """The request's action: the first matching rule's, else :func:`default_action_name`."""
        found = self.match_request(method, url, body)
        return found.action if found else default_action_name(method, url)

    def action_for_tool(self, tool_name: str) -> str:
        """The action a tool function's call is: ``tools:`` mapping, default the function's name."""
        rule = self.tools.get(tool_name)
        return rule.action if rule else tool_name

    def is_write(self, action_name: str, method: str | None = None) -> bool:
        """Whether an action writes: a named action unless ``write: false``; else by HTTP method; else yes.

        The control event ``approval.granted`` is never a write.
        """
        if action_name == APPROVAL_EVENT:
            return False
        rule = self.actions.get(action_name)
        if rule is not None:
            return rule.write is not False
        if method is not None:
            return method.upper() not in READ_METHODS
        return True

    def ruling(self, action_name: str, args: Mapping[str, Any]) -> Ruling:
        """The mode ``action_name`` gets with these args: its rule (``when``/``otherwise``) or ``default``."""
        rule = self.actions.get(action_name)
        if rule is None:
            return Ruling(self.default, self.default_where or self.where(None),
                          f"{action_name} is not named in actions:, so default: {self.default} applies")
        if rule.when is None:
            return Ruling(rule.mode, rule.where, f"{action_name}: {rule.mode}")
        if rule.when.is_valid(_plain(args)):
            return Ruling(rule.mode, rule.where, f"{action_name}: {rule.mode}, its args satisfy when:")
        otherwise = rule.otherwise or self.default
        return Ruling(otherwise, rule.where,
                      f"{action_name}: args fail when: {rule.when.describe()}, so otherwise: {otherwise}")

    def where(self, line: int | None) -> str:
        """``policy.yaml:12`` (the file's name, and the line when known)."""
        name = self.file.name if self.file else "policy"
        return f"{name}:{line}" if line else name


def _plain(value: Any) -> Any:
    """Mappings and sequences as dicts and lists, so JSON Schema sees objects and arrays."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _query_matches(wanted: Mapping[str, str], url: str) -> bool:
    if not wanted:
        return True
    from fnmatch import fnmatchcase

    got = parse_qs(urlsplit(url).query, keep_blank_values=True)
    return all(any(fnmatchcase(v, pattern) for v in got.get(name, ())) for name, pattern in wanted.items())


def request_args(url: str, body: Any, named: Mapping[str, str] | None = None) -> dict[str, Any]:
    """An HTTP request's args: query parameters, then ``{name}`` captures, then the body's members.

    Later sources win on a clash. A JSON (or form-encoded) object body contributes its members;
    any other body is the arg ``body``. A repeated query parameter becomes a list.
    """
    args: dict[str, Any] = {}
    for name, values in parse_qs(urlsplit(url).query, keep_blank_values=True).items():
        args[name] = values[0] if len(values) == 1 else values
    args.update(named or {})
    decoded = _decode_body(body)
    if isinstance(decoded, Mapping):
        args.update({str(k): v for k, v in decoded.items()})
    elif decoded is not None:
        args["body"] = decoded
    return args


def _decode_body(body: Any) -> Any:
    if isinstance(body, bytes):
        try:
            body = body.decode("utf-8")
        except UnicodeDecodeError:
            return None
    if not isinstance(body, str):
        return body
    text = body.strip()
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        form = parse_qs(text, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        return body
    return {k: v[0] if len(v) == 1 else v for k, v in form.items()}


def default_action_name(method: str, url: str) -> str:
    """The action of traffic no connector rule maps: ``<connector>.read`` or ``<connector>.write``."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    kind = "read" if method.upper() in READ_METHODS else "write"
    try:
        ipaddress.ip_address(host)
        is_ip = True
    except ValueError:
        is_ip = False
    labels = host.split(".")
    if is_ip or len(labels) < 2:
        try:
            port = parts.port
        except ValueError:
            port = None
        name = "_".join(filter(None, [host.replace(".", "_").replace(":", "_"), str(port or "")]))
        return f"{name or 'unknown'}.{kind}"
    while len(labels) > 2 and labels[0] in ("www", "api"):
        labels = labels[1:]
    return f"{labels[0]}.{kind}"


def no_policy() -> Policy:
    """The policy of a corpus without ``policy:``: no verdicts; POST, PUT, PATCH, DELETE are writes."""
    return Policy(enabled=False)


def load_policy(path: Path) -> Policy:
    """Read and validate ``policy.yaml``; the first problem is raised as a :class:`ConfigError`."""
    policy, _ = parse_policy(path, collect=False)
    return policy


def parse_policy(path: Path, *, collect: bool) -> tuple[Policy, list[ConfigError]]:
    """Parse a policy; with ``collect`` return every problem found (invalid parts are left out)."""
    from .policy_parse import build_policy

    problems = Problems(path, collect=collect)
    doc: YamlDoc = read_yaml(path)
    return build_policy(doc, problems), problems.items


__all__ = [
    "APPROVAL_EVENT",
    "MODES",
    "ActionRule",
    "ConnectorRule",
    "GlobError",
    "Policy",
    "RequestMatch",
    "Ruling",
    "Schema",
    "ToolRule",
    "default_action_name",
    "load_policy",
    "no_policy",
    "parse_policy",
    "request_args",
]
