"""Read ``corpus.yaml`` into a typed :class:`Manifest`, diagnosing every mistake with its line.

Only the manifest's own shape is checked here (keys, types, pointer syntax). What the keys point
to (files, samples, schemas, names of mutations and oracles) is checked by :mod:`corpus`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError, did_you_mean
from .pointers import PointerError, parse

MANIFEST_NAME = "corpus.yaml"

KNOWN_KEYS = (
    "name", "samples", "id", "agent", "input_schema", "output_schema", "policy", "actions", "escalation",
    "decision", "volatile", "match_ignore", "cassettes", "secrets", "baseline", "seed", "timeout",
    "mutations", "expect",
)
REQUIRED_KEYS = ("name", "samples", "id")


@dataclass(frozen=True)
class Escalation:
    """How an output says "a human must look": the value at ``path`` is one of ``values``."""

    path: str
    values: tuple[Any, ...]


@dataclass(frozen=True)
class FamilySelection:
    """One ``mutations:`` entry: which operators of a family run, optionally on which fields."""

    operators: tuple[str, ...] | None  # None = every operator of the family
    fields: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Expectation:
    """One ``expect:`` entry: an oracle to apply instead of the default, and/or a quarantine."""

    oracle: str | None = None
    xfail: str | None = None


@dataclass(frozen=True)
class Manifest:
    """The parsed ``corpus.yaml``; paths are resolved against the corpus folder."""

    path: Path
    name: str
    samples: str
    id: str
    agent: str | None = None
    input_schema: Path | None = None
    output_schema: Path | None = None
    policy: Path | None = None
    actions: str | None = None
    escalation: Escalation | None = None
    decision: tuple[str, ...] = ()
    volatile: tuple[str, ...] = ()
    match_ignore: tuple[str, ...] = ()
    cassettes: Path | None = None
    secrets: tuple[str, ...] = ()
    baseline: Path | None = None
    seed: int = 0
    timeout: float = 60.0
    mutations: dict[str, FamilySelection] | None = None
    expect: dict[str, Expectation] = field(default_factory=dict)
    lines: Mapping[str, int] = field(default_factory=dict)

    @property
    def root(self) -> Path:
        """The corpus folder."""
        return self.path.parent

    def line_of(self, key: str) -> int | None:
        """The line a (dotted) key is on, for diagnostics."""
        return self.lines.get(key)


def _key_lines(node: Any, prefix: str = "") -> dict[str, int]:
    """Map dotted key paths of a composed YAML mapping to 1-based line numbers."""
    import yaml

    lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = f"{prefix}{key_node.value}"
            lines[key] = key_node.start_mark.line + 1
            lines.update(_key_lines(value_node, key + "."))
    return lines


def _load_yaml(path: Path) -> tuple[Any, dict[str, int]]:
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(path, f"cannot read: {exc.strerror}") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.load(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise ConfigError(path, f"YAML syntax error: {exc.problem}", line=line,
                          fix="check indentation and quoting on that line") from None
    except yaml.YAMLError as exc:
        raise ConfigError(path, f"YAML error: {exc}") from None
    return data, _key_lines(node)


class _Reader:
    """Typed access to the manifest's keys, raising errors that name file, line and key."""

    def __init__(self, path: Path, data: Mapping[str, Any], lines: dict[str, int]) -> None:
        self.path, self.data, self.lines = path, data, lines

    def error(self, key: str, message: str, fix: str | None = None) -> ConfigError:
        return ConfigError(self.path, message, key=key, line=self.lines.get(key), fix=fix)

    def string(self, key: str, value: Any = None) -> str:
        value = self.data.get(key) if value is None else value
        if not isinstance(value, str) or not value.strip():
            raise self.error(key, f"must be a non-empty string, got {_kind(value)}")
        return value

    def pointer(self, key: str, value: Any) -> str:
        text = self.string(key, value) if not isinstance(value, str) else value
        try:
            parse(text)
        except PointerError:
            raise self.error(key, f"'{text}' is not a JSON Pointer",
                             fix=f"write it as '/{text.lstrip('/').replace('.', '/')}'") from None
        return text

    def pointers(self, key: str) -> tuple[str, ...]:
        value = self.data.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            raise self.error(key, f"must be a list of JSON Pointers, got {_kind(value)}")
        return tuple(self.pointer(key, v) for v in value)

    def only_keys(self, key: str, mapping: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
        """Refuse a nested key that is not in ``allowed``, suggesting the nearest one."""
        unknown = sorted(str(k) for k in mapping if k not in allowed)
        if unknown:
            raise self.error(key, f"unknown key '{unknown[0]}'",
                             fix=did_you_mean(unknown[0], allowed) or "use " + " and ".join(f"{a}:" for a in allowed))

    def path_value(self, key: str, default: str | None = None) -> Path | None:
        value = self.data.get(key, default)
        if value is None:
            return None
        return (self.path.parent / self.string(key, value)).resolve()


def _kind(value: Any) -> str:
    return "nothing" if value is None else f"{type(value).__name__} {value!r}"[:60]


def _mutations(reader: _Reader) -> dict[str, FamilySelection] | None:
    raw = reader.data.get("mutations")
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise reader.error("mutations", f"must map families to operator lists, got {_kind(raw)}",
                           fix="e.g. mutations: {missing: [drop, null]}")
    result: dict[str, FamilySelection] = {}
    for family, spec in raw.items():
        key = f"mutations.{family}"
        if spec is None or spec == "all":
            result[str(family)] = FamilySelection(None)
        elif isinstance(spec, list):
            result[str(family)] = FamilySelection(tuple(reader.string(key, s) for s in spec))
        elif isinstance(spec, Mapping):
            reader.only_keys(key, spec, ("operators", "fields"))
            ops = spec.get("operators")
            fields = spec.get("fields")
            if ops is not None and not isinstance(ops, list):
                raise reader.error(key, "operators must be a list")
            if fields is not None and not isinstance(fields, list):
                raise reader.error(key, "fields must be a list of JSON Pointers")
            result[str(family)] = FamilySelection(
                tuple(reader.string(key, o) for o in ops) if ops is not None else None,
                tuple(reader.pointer(key, f) for f in fields) if fields is not None else None,
            )
        else:
            raise reader.error(key, f"must be a list of operators or {{operators, fields}}, got {_kind(spec)}")
    return result


def _expect(reader: _Reader) -> dict[str, Expectation]:
    raw = reader.data.get("expect")
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise reader.error("expect", f"must map mutation keys to oracles, got {_kind(raw)}",
                           fix="e.g. expect: {missing.drop:/customer/phone: safe}")
    result: dict[str, Expectation] = {}
    for key, value in raw.items():
        name = f"expect.{key}"
        key = str(key)
        _, _, target = key.partition(":")
        if target.startswith("/"):
            reader.pointer(name, target)
        if isinstance(value, str):
            result[key] = Expectation(oracle=value)
        elif isinstance(value, Mapping):
            reader.only_keys(name, value, ("oracle", "xfail"))
            xfail = value.get("xfail")
            oracle = value.get("oracle")
            if xfail is not None and not isinstance(xfail, str):
                raise reader.error(name, "xfail must be a reason (a string)", fix='xfail: "why, see #123"')
            result[key] = Expectation(oracle=str(oracle) if oracle is not None else None, xfail=xfail)
        else:
            raise reader.error(name, f"must be an oracle name or {{xfail: reason}}, got {_kind(value)}")
    return result


def read_manifest(path: Path) -> Manifest:
    """Parse and shape-check ``corpus.yaml`` (or the ``corpus.yaml`` inside a folder)."""
    if path.is_dir():
        path = path / MANIFEST_NAME
    if not path.is_file():
        folder = path.parent
        hint = "create it (agentreal init DIR writes a skeleton)"
        if folder.is_dir():
            others = [p.name for p in folder.glob("*.y*ml")]
            if others:
                hint = f"found {', '.join(sorted(others))}; the manifest must be named {MANIFEST_NAME}"
        raise ConfigError(path, f"no {MANIFEST_NAME} in {folder}", fix=hint)
    data, lines = _load_yaml(path)
    if not isinstance(data, Mapping):
        raise ConfigError(path, f"must be a mapping of keys, got {_kind(data)}", fix="see SPEC 'The corpus folder'")
    reader = _Reader(path, data, lines)
    for key in data:
        if key not in KNOWN_KEYS:
            raise reader.error(str(key), "unknown key", fix=did_you_mean(str(key), KNOWN_KEYS)
                               or "valid keys: " + ", ".join(KNOWN_KEYS))
    for key in REQUIRED_KEYS:
        if key not in data:
            raise ConfigError(path, "required key is missing", key=key, fix=f"add '{key}:'")

    escalation = None
    if "escalation" in data:
        raw = data["escalation"]
        if isinstance(raw, Mapping):
            reader.only_keys("escalation", raw, ("path", "in"))  # a typo first: `inn` → did you mean 'in'?
        if not isinstance(raw, Mapping) or "path" not in raw or "in" not in raw:
            raise reader.error("escalation", "must be {path: /pointer, in: [values]}",
                               fix="e.g. escalation: {path: /status, in: [escalated]}")
        values = raw["in"] if isinstance(raw["in"], list) else [raw["in"]]
        escalation = Escalation(reader.pointer("escalation.path", raw["path"]), tuple(values))

    seed = data.get("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise reader.error("seed", f"must be an integer, got {_kind(seed)}")
    timeout = data.get("timeout", 60)
    if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout <= 0:
        raise reader.error("timeout", f"must be a positive number of seconds, got {_kind(timeout)}")
    agent = data.get("agent")
    if agent is not None:
        agent = reader.string("agent", agent)
        if ":" not in agent:
            raise reader.error("agent", f"'{agent}' is not 'module:callable'",
                               fix=f"e.g. agent: {agent}:handle" if "." in agent else "e.g. agent: my_agent:handle")
    secrets = data.get("secrets") or []
    if not isinstance(secrets, list) or not all(isinstance(s, str) and s for s in secrets):
        raise reader.error("secrets", "must be a list of environment variable names",
                           fix="e.g. secrets: [OPENAI_API_KEY]")
    actions = data.get("actions")

    return Manifest(
        path=path.resolve(),
        name=reader.string("name"),
        samples=reader.string("samples"),
        id=reader.string("id"),
        agent=agent,
        input_schema=reader.path_value("input_schema"),
        output_schema=reader.path_value("output_schema"),
        policy=reader.path_value("policy"),
        actions=reader.pointer("actions", actions) if actions is not None else None,
        escalation=escalation,
        decision=reader.pointers("decision"),
        volatile=reader.pointers("volatile"),
        match_ignore=reader.pointers("match_ignore"),
        cassettes=reader.path_value("cassettes", "cassettes"),
        secrets=tuple(secrets),
        baseline=reader.path_value("baseline", "baseline"),
        seed=seed,
        timeout=float(timeout),
        mutations=_mutations(reader),
        expect=_expect(reader),
        lines=lines,
    )
