"""Safe YAML with line numbers for every member, for diagnostics that cite ``policy.yaml:12``.

Only PyYAML's ``SafeLoader`` constructs values (plain data, no tags that run code). The composed
node tree is walked once to record the 1-based line of every mapping key and sequence item by its
path (a tuple of keys and indices), and to refuse duplicate keys, which YAML silently collapses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError

YamlPath = tuple[str | int, ...]


@dataclass
class YamlDoc:
    """A loaded YAML document: its data and the line of each member, by path."""

    file: Path
    data: Any
    lines: dict[YamlPath, int] = field(default_factory=dict)

    def line(self, path: YamlPath) -> int | None:
        """The line of ``path``, else of its nearest ancestor that has one."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get(())


class Problems:
    """Where parse problems go: raised at once, or collected (for ``agentreal lint``)."""

    def __init__(self, file: Path, *, collect: bool) -> None:
        self.file = file
        self.collect = collect
        self.items: list[ConfigError] = []

    def add(self, error: ConfigError) -> None:
        """Record ``error``, or raise it when not collecting."""
        if not self.collect:
            raise error
        self.items.append(error)


def read_yaml(path: Path) -> YamlDoc:
    """Load ``path`` with ``SafeLoader``, keeping lines; syntax errors raise :class:`ConfigError`."""
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(path, "file not found",
                          fix="create it, or remove policy: from corpus.yaml") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, f"cannot read: {exc}") from None
    loader = yaml.SafeLoader(text)
    doc = YamlDoc(path, None, {(): 1})
    try:
        node = loader.get_single_node()
        if node is not None:
            # Walk before constructing: construction flattens `<<` merges into the node tree,
            # which would look like duplicate keys.
            doc.lines[()] = node.start_mark.line + 1
            _walk(node, (), doc)
            doc.data = loader.construct_document(node)
    except yaml.constructor.ConstructorError as exc:
        raise ConfigError(path, f"YAML tag not allowed: {exc.problem}", line=_line(exc),
                          fix="policy files are plain data; remove the '!' tag") from None
    except yaml.MarkedYAMLError as exc:
        raise ConfigError(path, f"YAML syntax error: {exc.problem}", line=_line(exc),
                          fix="check indentation, colons and quoting on that line") from None
    except yaml.YAMLError as exc:
        raise ConfigError(path, f"YAML error: {exc}") from None
    finally:
        loader.dispose()
    return doc


def _line(exc: Any) -> int | None:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    return mark.line + 1 if mark is not None else None


def _walk(node: Any, path: YamlPath, doc: YamlDoc) -> None:
    import yaml

    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in seen:
                raise ConfigError(doc.file, f"duplicate key {key!r}", key=_dotted((*path, key)), line=line,
                                  fix="YAML keeps only the last one; merge the two entries")
            seen.add(key)
            here: YamlPath = (*path, key)
            doc.lines[here] = line
            _walk(value_node, here, doc)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            at: YamlPath = (*path, index)
            doc.lines[at] = item.start_mark.line + 1
            _walk(item, at, doc)


def _dotted(path: YamlPath) -> str:
    """``actions.refund.issue.when`` / ``connectors[2].url``: a readable key for diagnostics."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


dotted = _dotted
