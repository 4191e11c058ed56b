"""``agentreal lint`` for a policy: every load error at once, plus likely mistakes that load fine.

Severities: ``error`` (the policy does not load), ``warning`` (it loads but almost surely does not
say what was meant: a connector rule an earlier rule shadows, an action name ``actions:`` does not
know, a ``when`` whose properties are optional or untyped, ``response:`` where it has no effect, approval
actions with no way to grant an approval), ``info`` (worth a look: an action no connector or tool
maps to, which only an output can then name).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import ConfigError, did_you_mean
from .policy import APPROVAL_EVENT, ConnectorRule, Policy
from .policy_schema import unrequired_properties, untyped_numeric_properties
from .policy_yaml import Problems, YamlDoc, YamlPath, dotted, read_yaml


@dataclass(frozen=True)
class LintIssue:
    """One lint finding: where (file, line, key), what, and the fix."""

    file: str
    line: int | None
    key: str | None
    message: str
    fix: str | None = None
    severity: str = "error"

    def render(self) -> str:
        """``policy.yaml:12: warning: key 'connectors[3]': message (fix)``."""
        where = f"{self.file}:{self.line}" if self.line else self.file
        key = f"key '{self.key}': " if self.key else ""
        fix = f" ({self.fix})" if self.fix else ""
        return f"{where}: {self.severity}: {key}{self.message}{fix}"


def _from_error(error: ConfigError) -> LintIssue:
    return LintIssue(error.file or "", error.line, error.key, error.message, error.fix, "error")


def lint_policy(path: Path) -> list[LintIssue]:
    """Every problem of the policy at ``path``, ordered by line."""
    from .policy_parse import build_policy

    try:
        doc = read_yaml(path)
    except ConfigError as exc:
        return [_from_error(exc)]
    problems = Problems(path, collect=True)
    policy = build_policy(doc, problems)
    issues = [_from_error(e) for e in problems.items]
    linter = _Linter(doc, policy)
    linter.shadowed()
    linter.names()
    linter.schemas()
    issues += linter.issues
    return sorted(issues, key=lambda i: (i.line or 0, i.severity != "error"))


def _rule_text(rule: ConnectorRule) -> str:
    methods = "*" if rule.methods is None else ",".join(sorted(rule.methods))
    return f"{methods} {rule.url.text}"


def _rule_covers(a: ConnectorRule, b: ConnectorRule) -> bool:
    """Whether every request ``b`` matches is matched by ``a`` (so ``b`` after ``a`` never wins)."""
    if a.methods is not None and (b.methods is None or not b.methods <= a.methods):
        return False
    for name, pattern in a.query.items():
        if name not in b.query or (pattern != "*" and b.query[name] != pattern):
            return False
    return a.url.covers(b.url)


class _Linter:
    def __init__(self, doc: YamlDoc, policy: Policy) -> None:
        self.doc, self.policy = doc, policy
        self.issues: list[LintIssue] = []

    def warn(self, path: YamlPath, message: str, fix: str | None, severity: str = "warning") -> None:
        self.issues.append(LintIssue(str(self.doc.file), self.doc.line(path), dotted(path) or None,
                                     message, fix, severity))

    def shadowed(self) -> None:
        rules = self.policy.connectors
        for later in rules:
            earlier = next((r for r in rules if r.index < later.index and _rule_covers(r, later)), None)
            if earlier is not None:
                self.warn(("connectors", later.index),
                          f"this rule never matches: the earlier rule at {earlier.where} "
                          f"({_rule_text(earlier)}) matches every request it would (first match wins)",
                          f"move it above {earlier.where} or narrow that rule")

    def names(self) -> None:
        known = set(self.policy.actions)
        used: set[str] = set()
        mapped: list[tuple[YamlPath, str]] = [(("connectors", r.index, "action"), r.action)
                                              for r in self.policy.connectors]
        mapped += [(("tools", t.tool), t.action) for t in self.policy.tools.values()]
        for path, name in mapped:
            used.add(name)
            if name == APPROVAL_EVENT or name in known:
                continue
            hint = did_you_mean(name, known)
            self.warn(path, f"action {name!r} is not in actions:, so it takes default: {self.policy.default}",
                      hint or f"add {name} under actions:")
        for name in self.policy.actions:
            if name not in used:
                self.warn(("actions", name),
                          f"no connector rule or tool maps to {name!r}; only an output can name it",
                          did_you_mean(name, used - known) or "map its traffic under connectors: or tools:",
                          "info")
        needs_approval = any(r.mode == "approval" or r.otherwise == "approval"
                             for r in self.policy.actions.values())
        if needs_approval and APPROVAL_EVENT not in used:
            self.warn(("actions",), f"approval actions are named but nothing maps to {APPROVAL_EVENT}, "
                                    "so executing them is always a violation",
                      f"add a connectors: rule (or tools: entry) with action: {APPROVAL_EVENT}")

    def schemas(self) -> None:
        for rule in self.policy.actions.values():
            if rule.when is not None:
                loose = unrequired_properties(rule.when.schema)
                if loose:
                    names = ", ".join(loose)
                    self.warn(("actions", rule.name, "when"),
                              f"when: constrains {names} but does not require it: args without {names} "
                              f"satisfy it and get mode {rule.mode}",
                              f"add required: [{names}]")
                for name in untyped_numeric_properties(rule.when.schema):
                    self.warn(("actions", rule.name, "when", "properties", name),
                              f"when: limits {name} by number but does not say type: number; a string {name} "
                              "(query and form args are strings) passes the limit unchecked",
                              "add type: number")
        for connector in self.policy.connectors:
            if connector.response is not None and connector.action != APPROVAL_EVENT:
                self.warn(("connectors", connector.index, "response"),
                          f"response: only decides whether an {APPROVAL_EVENT} was granted; "
                          f"on {connector.action} it has no effect", "remove it")
        for tool in self.policy.tools.values():
            if tool.response is not None and tool.action != APPROVAL_EVENT:
                self.warn(("tools", tool.tool, "response"),
                          f"response: only decides whether an {APPROVAL_EVENT} was granted; "
                          f"on {tool.action} it has no effect", "remove it")
