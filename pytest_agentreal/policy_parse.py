"""Shape-check a loaded ``policy.yaml`` document and build the :class:`~.policy.Policy`.

Each part (default, every action, every connector rule, every tool) is checked on its own, so a
collecting :class:`~.policy_yaml.Problems` reports every mistake in one pass; a part with a problem
is left out of the policy that is built.
"""

from __future__ import annotations

import json
from typing import Any

from .errors import ConfigError, did_you_mean, unknown_name_fix
from .policy import (
    ACTION_KEYS,
    APPROVAL_EVENT,
    CONNECTOR_KEYS,
    DEFAULT_MODES,
    HTTP_METHODS,
    MODES,
    TOOL_KEYS,
    TOP_KEYS,
    ActionRule,
    ConnectorRule,
    Policy,
    Schema,
    ToolRule,
)
from .policy_schema import compile_schema, metaschema_problem, schema_problems
from .policy_yaml import Problems, YamlDoc, YamlPath, dotted
from .urlglob import GlobError, UrlGlob

_RULE_EXAMPLE = '{method: GET, url: "https://crm.example.com/**", action: crm.read}'


class _Parser:
    def __init__(self, doc: YamlDoc, problems: Problems) -> None:
        self.doc, self.problems, self.file = doc, problems, doc.file

    def where(self, path: YamlPath) -> str:
        line = self.doc.line(path)
        return f"{self.file.name}:{line}" if line else self.file.name

    def error(self, path: YamlPath, message: str, fix: str | None = None) -> None:
        self.problems.add(ConfigError(self.file, message, key=dotted(path) or None,
                                      line=self.doc.line(path), fix=fix))

    def known_keys(self, entry: dict[Any, Any], path: YamlPath, allowed: tuple[str, ...]) -> None:
        for key in entry:
            if key not in allowed:
                self.error((*path, str(key)), f"unknown key {key!r}", unknown_name_fix(str(key), allowed))

    def mode(self, value: Any, path: YamlPath, choices: tuple[str, ...] = MODES) -> str | None:
        if isinstance(value, str) and value in choices:
            return value
        if value == "auto" and choices == DEFAULT_MODES:
            self.error(path, "default must be approval or forbidden",
                       "an action the policy does not name never runs on its own; "
                       "name it under actions: with mode: auto")
            return None
        self.error(path, f"unknown mode {value!r}", unknown_name_fix(str(value), choices))
        return None

    def schema(self, value: Any, path: YamlPath, what: str) -> Schema | None:
        if not isinstance(value, (dict, bool)):
            self.error(path, f"{what} must be a JSON Schema object, got {type(value).__name__} {value!r:.60}",
                       "e.g. {properties: {amount: {maximum: 50}}, required: [amount]}; "
                       "policy files are never evaluated as code")
            return None
        bad = False
        for sub, message, fix in schema_problems(value):
            self.error((*path, *sub), f"{what}: {message}", fix)
            bad = True
        problem = metaschema_problem(value)
        if problem is not None:
            sub, message = problem
            self.error((*path, *sub), f"{what} is not a valid JSON Schema (2020-12): {message}",
                       "see https://json-schema.org/understanding-json-schema/")
            bad = True
        return None if bad else Schema(value, self.where(path), compile_schema(value))

    def action_name(self, value: Any, path: YamlPath) -> str | None:
        if isinstance(value, str) and value.strip():
            return value
        self.error(path, f"an action name must be a non-empty string, got {value!r}",
                   "e.g. refund.issue")
        return None

    def section(self, data: dict[str, Any], key: str, kind: type) -> Any:
        value = data.get(key)
        if value is None:
            return kind()
        if not isinstance(value, kind):
            self.error((key,), f"{key}: must be a {'list' if kind is list else 'mapping'}, "
                               f"got {type(value).__name__}", f"see the {key}: example in SPEC")
            return kind()
        return value

    # --- parts ---------------------------------------------------------------------------

    def default(self, data: dict[str, Any]) -> str:
        if "default" not in data:
            return "approval"
        return self.mode(data["default"], ("default",), DEFAULT_MODES) or "approval"

    def actions(self, data: dict[str, Any]) -> dict[str, ActionRule]:
        rules: dict[str, ActionRule] = {}
        for name, entry in self.section(data, "actions", dict).items():
            path: YamlPath = ("actions", str(name))
            if self.action_name(name, path) is None:
                continue
            if name == APPROVAL_EVENT:
                self.error(path, f"{APPROVAL_EVENT} is the control event that grants approvals; "
                                 "it is never judged",
                           "remove it from actions: and map approval traffic to it under connectors:")
                continue
            rule = self.action(name, entry, path)
            if rule is not None:
                rules[name] = rule
        return rules

    def action(self, name: str, entry: Any, path: YamlPath) -> ActionRule | None:
        if isinstance(entry, str) or entry is None or isinstance(entry, bool):
            mode = self.mode(entry, path)
            return ActionRule(name, mode, self.where(path)) if mode else None
        if not isinstance(entry, dict):
            self.error(path, f"must be a mode or a mapping, got {type(entry).__name__}",
                       "e.g. auto, or {mode: auto, when: {...}, otherwise: approval, write: false}")
            return None
        self.known_keys(entry, path, ACTION_KEYS)
        if "mode" not in entry:
            self.error(path, "missing mode", "add mode: auto (or approval, forbidden)")
            return None
        mode = self.mode(entry["mode"], (*path, "mode"))
        when = self.schema(entry["when"], (*path, "when"), "when") if "when" in entry else None
        otherwise = None
        if "otherwise" in entry:
            otherwise = self.mode(entry["otherwise"], (*path, "otherwise"))
            if "when" not in entry:
                self.error((*path, "otherwise"), "otherwise: without when:",
                           "add when: (a JSON Schema over the args) or remove otherwise:")
        write = entry.get("write")
        if write is not None and not isinstance(write, bool):
            self.error((*path, "write"), f"write must be true or false, got {write!r}", "e.g. write: false")
            write = None
        if mode is None or ("when" in entry and when is None):
            return None
        return ActionRule(name, mode, self.where(path), when, otherwise, write)

    def connectors(self, data: dict[str, Any]) -> tuple[ConnectorRule, ...]:
        rules = []
        for index, entry in enumerate(self.section(data, "connectors", list)):
            rule = self.connector(index, entry, ("connectors", index))
            if rule is not None:
                rules.append(rule)
        return tuple(rules)

    def connector(self, index: int, entry: Any, path: YamlPath) -> ConnectorRule | None:
        if not isinstance(entry, dict):
            self.error(path, f"a connector rule must be a mapping, got {type(entry).__name__}", _RULE_EXAMPLE)
            return None
        self.known_keys(entry, path, CONNECTOR_KEYS)
        missing = [k for k in ("method", "url", "action") if k not in entry]
        for key in missing:
            self.error((*path, key), f"missing {key}",
                       f"every rule needs method, url and action: {_RULE_EXAMPLE}")
        methods = self.methods(entry["method"], (*path, "method")) if "method" in entry else None
        url = None
        if "url" in entry:
            try:
                url = UrlGlob.compile(entry["url"])
            except GlobError as exc:
                self.error((*path, "url"), exc.message, exc.fix)
        action = self.action_name(entry["action"], (*path, "action")) if "action" in entry else None
        query = self.query(entry.get("query"), (*path, "query"))
        response = (self.schema(entry["response"], (*path, "response"), "response")
                    if "response" in entry else None)
        if missing or methods is None or url is None or action is None or query is None:
            return None
        if "response" in entry and response is None:
            return None
        return ConnectorRule(index, methods if isinstance(methods, frozenset) else None, url, action,
                             self.where(path), query, response)

    def methods(self, value: Any, path: YamlPath) -> frozenset[str] | str | None:
        values = value if isinstance(value, list) else [value]
        found = set()
        for item in values:
            text = item.upper() if isinstance(item, str) else repr(item)
            if text not in HTTP_METHODS:
                self.error(path, f"unknown HTTP method {item!r}", unknown_name_fix(text, HTTP_METHODS))
                return None
            found.add(text)
        if not found:
            self.error(path, "no method given", "e.g. method: POST, or [POST, PUT], or '*'")
            return None
        return "*" if "*" in found else frozenset(found)

    def query(self, value: Any, path: YamlPath) -> dict[str, str] | None:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.error(path, f"query must be a mapping of parameter to value, got {type(value).__name__}",
                       "e.g. query: {status: open, page: '*'}")
            return None
        query = {}
        for name, pattern in value.items():
            if isinstance(pattern, (dict, list)):
                self.error((*path, str(name)), "a query value must be a string ('*' = any value)",
                           "e.g. query: {status: open}")
                return None
            query[str(name)] = "*" if pattern is None else (
                pattern if isinstance(pattern, str) else json.dumps(pattern))
        return query

    def tools(self, data: dict[str, Any]) -> dict[str, ToolRule]:
        rules = {}
        for tool, entry in self.section(data, "tools", dict).items():
            path: YamlPath = ("tools", str(tool))
            if isinstance(entry, dict):
                self.known_keys(entry, path, TOOL_KEYS)
                action = self.action_name(entry.get("action"), (*path, "action"))
                response = (self.schema(entry["response"], (*path, "response"), "response")
                            if "response" in entry else None)
                if action and ("response" not in entry or response is not None):
                    rules[str(tool)] = ToolRule(str(tool), action, self.where(path), response)
            else:
                action = self.action_name(entry, path)
                if action:
                    rules[str(tool)] = ToolRule(str(tool), action, self.where(path))
        return rules


def build_policy(doc: YamlDoc, problems: Problems) -> Policy:
    """Check ``doc`` part by part (problems go to ``problems``) and build the policy."""
    parser = _Parser(doc, problems)
    data = doc.data if doc.data is not None else {}
    if not isinstance(data, dict):
        parser.error((), f"a policy must be a mapping, got {type(data).__name__}",
                     "start with default: approval, then actions:, connectors:, tools:")
        return Policy(file=doc.file)
    for key in data:
        if key not in TOP_KEYS:
            hint = did_you_mean(str(key), TOP_KEYS) or "valid: " + ", ".join(TOP_KEYS)
            parser.error((str(key),), f"unknown key {key!r}", hint)
    default = parser.default(data)
    return Policy(
        file=doc.file,
        default=default,
        default_where=parser.where(("default",)) if "default" in data else "",
        actions=parser.actions(data),
        connectors=parser.connectors(data),
        tools=parser.tools(data),
    )
