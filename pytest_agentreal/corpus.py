"""A corpus: its manifest, its samples (validated), and compiled schemas, ready to plan cases.

Everything that can be wrong with a corpus is found here, before any agent runs: each problem is
a :class:`ConfigError` naming the file, the key or line, and the fix.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import pointers
from .errors import ConfigError, did_you_mean, unknown_name_fix
from .manifest import Manifest, read_manifest
from .model import Sample
from .samples import read_samples, sample_files
from .schemas import CompiledSchema, load_schema_file, schema_allows_pointer

if TYPE_CHECKING:
    from .policy import Policy


@dataclass
class Corpus:
    """A loaded, validated corpus."""

    manifest: Manifest
    samples: list[Sample]
    ids: list[str]
    origins: list[str]
    input_schema: CompiledSchema | None = None
    output_schema: CompiledSchema | None = None
    _by_id: dict[str, int] = field(default_factory=dict, repr=False)
    # id(sample) → valid? for the corpus's own samples: every `missing` case of a sample asks
    # whether the original is valid.
    _valid: dict[int, bool] = field(default_factory=dict, repr=False)
    _required: dict[tuple[int, str], bool] = field(default_factory=dict, repr=False)

    @property
    def name(self) -> str:
        """The corpus name (``name:``), unique among the corpora of one run."""
        return self.manifest.name

    @property
    def root(self) -> Path:
        """The corpus folder."""
        return self.manifest.root

    def sample(self, sample_id: str) -> Sample:
        """The original sample with this id."""
        return self.samples[self._by_id[sample_id]]

    def has_sample(self, sample_id: str) -> bool:
        """Whether a sample with this id exists."""
        return sample_id in self._by_id

    def origin(self, sample_id: str) -> str:
        """Where a sample was read from (``samples.jsonl:12``)."""
        return self.origins[self._by_id[sample_id]]

    @cached_property
    def policy(self) -> Policy | None:
        """The control-layer policy, parsed on first use (``None`` without ``policy:``)."""
        if self.manifest.policy is None:
            return None
        from .policy import load_policy

        if not self.manifest.policy.is_file():
            raise ConfigError(self.manifest.path, f"policy file {self.manifest.policy} does not exist",
                              key="policy", line=self.manifest.line_of("policy"), fix="fix the path")
        return load_policy(self.manifest.policy)

    def is_required(self, sample: Sample, pointer: str) -> bool:
        """SPEC: a field is required when the input with that field removed fails ``input_schema``.

        Only a valid input can tell: once an input is already invalid (explore mode chains
        mutations), every removal "fails the schema", and optional fields would look required.
        """
        if self.input_schema is None:
            return False
        own = id(sample) in self._own_ids
        if own and (id(sample), pointer) in self._required:
            # drop, null and empty ask about the same field of the same sample
            return self._required[id(sample), pointer]
        try:
            reduced = pointers.remove(sample, pointer)
        except pointers.PointerError:
            return False
        required = self._sample_is_valid(sample) and not self.input_schema.is_valid(reduced)
        if own:
            self._required[id(sample), pointer] = required
        return required

    def _sample_is_valid(self, sample: Sample) -> bool:
        assert self.input_schema is not None
        known = self._valid.get(id(sample))
        if known is not None:
            return known
        valid = self.input_schema.is_valid(sample)
        # Only the corpus's own samples are remembered (the corpus keeps them alive, so their ids
        # stay theirs); explore mode's chained inputs are new objects each time.
        if id(sample) in self._own_ids:
            self._valid[id(sample)] = valid
        return valid

    @cached_property
    def _own_ids(self) -> frozenset[int]:
        return frozenset(id(sample) for sample in self.samples)

    def import_agent(self, rootdir: Path | None = None) -> Any:
        """Import the manifest's ``agent:`` (``module:callable``) with rootdir and the corpus on sys.path."""
        ref = self.manifest.agent
        if ref is None:
            raise ConfigError(self.manifest.path, "no agent: to run", key="agent",
                              fix="add 'agent: module:callable', or define an `agent` fixture in conftest.py")
        return import_object(ref, self.manifest, extra_paths=[p for p in (rootdir, self.root) if p])


def import_object(ref: str, manifest: Manifest, extra_paths: Sequence[Path] = ()) -> Any:
    """Import ``module:attr.path``, naming module and attribute when it fails."""
    module_name, _, attr_path = ref.partition(":")
    for path in reversed(extra_paths):
        text = str(path)
        if text not in sys.path:
            sys.path.insert(0, text)
    line = manifest.line_of("agent")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        missing = exc.name or module_name
        raise ConfigError(manifest.path, f"cannot import module '{module_name}' (no module named '{missing}')",
                          key="agent", line=line,
                          fix="the path is relative to the rootdir or the corpus folder") from None
    except Exception as exc:
        raise ConfigError(manifest.path, f"importing '{module_name}' raised {type(exc).__name__}: {exc}",
                          key="agent", line=line) from None
    obj: Any = module
    for part in attr_path.split("."):
        if not hasattr(obj, part):
            names = [n for n in dir(obj) if not n.startswith("_")]
            raise ConfigError(manifest.path, f"module '{module_name}' has no attribute '{attr_path}'",
                              key="agent", line=line, fix=unknown_name_fix(part, names))
        obj = getattr(obj, part)
    if not callable(obj):
        raise ConfigError(manifest.path, f"'{ref}' is not callable", key="agent", line=line)
    return obj


def _load_samples(manifest: Manifest, schema: CompiledSchema | None) -> tuple[list[Sample], list[str]]:
    samples: list[Sample] = []
    origins: list[str] = []
    for path in sample_files(manifest.samples, manifest.root, manifest.path):
        rows = read_samples(path, schema.schema if schema else None)
        if not rows:
            raise ConfigError(path, "the samples file is empty", key="samples",
                              fix="add at least one sample, or point samples: at the right file")
        try:
            shown = path.relative_to(manifest.root)
        except ValueError:
            shown = path
        samples.extend(rows)
        origins.extend(f"{shown} row {i}" for i in range(1, len(rows) + 1))
    return samples, origins


def _sample_ids(manifest: Manifest, samples: list[Sample], origins: list[str]) -> tuple[list[str], dict[str, int]]:
    ids: list[str] = []
    seen: dict[str, int] = {}
    field_name = manifest.id
    for index, sample in enumerate(samples):
        if field_name not in sample or sample[field_name] in (None, ""):
            keys = list(sample)
            raise ConfigError(manifest.path, f"sample at {origins[index]} has no '{field_name}'", key="id",
                              line=manifest.line_of("id"), fix=did_you_mean(field_name, keys)
                              or f"every sample needs a unique '{field_name}'")
        value = str(sample[field_name])
        if value in seen:
            raise ConfigError(manifest.path, f"duplicate id '{value}' at {origins[seen[value]]} and {origins[index]}",
                              key="id", line=manifest.line_of("id"), fix="ids must be unique; rename or drop one")
        seen[value] = index
        ids.append(value)
    return ids, seen


def _check_expect(manifest: Manifest, samples: Iterable[Sample]) -> None:
    from .mutations.registry import families
    from .oracles import oracle_names

    fams = families()
    known_oracles = oracle_names()
    sample_list = list(samples)
    for key, expectation in manifest.expect.items():
        line = manifest.line_of(f"expect.{key}")
        head, _, target = key.partition(":")
        family, _, operator = head.partition(".")
        if family not in fams:
            raise ConfigError(manifest.path, f"unknown mutation family '{family}'", key=f"expect.{key}", line=line,
                              fix=unknown_name_fix(family, fams))
        if operator and operator != "*" and operator not in fams[family]:
            raise ConfigError(manifest.path, f"unknown operator '{operator}' in family '{family}'",
                              key=f"expect.{key}", line=line, fix=unknown_name_fix(operator, fams[family]))
        if expectation.oracle is not None and expectation.oracle not in known_oracles:
            raise ConfigError(manifest.path, f"unknown oracle '{expectation.oracle}'", key=f"expect.{key}",
                              line=line, fix=unknown_name_fix(expectation.oracle, known_oracles))
        if target.startswith("/") and not any(pointers.exists(s, target) for s in sample_list):
            leaves = {pointers.generalise(p) for s in sample_list[:50] for p, _ in pointers.iter_members(s)}
            raise ConfigError(manifest.path, f"no sample has the path '{target}'", key=f"expect.{key}", line=line,
                              fix=did_you_mean(target, leaves) or "use a JSON Pointer into the samples")


def _check_mutations(manifest: Manifest, samples: Sequence[Sample]) -> None:
    from .mutations.registry import families

    if manifest.mutations is None:
        return
    fams = families()
    for family, selection in manifest.mutations.items():
        line = manifest.line_of(f"mutations.{family}") or manifest.line_of("mutations")
        if family not in fams:
            raise ConfigError(manifest.path, f"unknown mutation family '{family}'", key="mutations", line=line,
                              fix=unknown_name_fix(family, fams))
        for operator in selection.operators or ():
            if operator not in fams[family]:
                raise ConfigError(manifest.path, f"unknown operator '{operator}' in family '{family}'",
                                  key=f"mutations.{family}", line=line, fix=unknown_name_fix(operator, fams[family]))
        for pointer in selection.fields or ():
            if not any(pointers.exists(s, pointer) for s in samples):
                raise ConfigError(manifest.path, f"no sample has the field '{pointer}'", key=f"mutations.{family}",
                                  line=line, fix="fields are JSON Pointers into the samples")


def _check_output_pointers(manifest: Manifest, schema: CompiledSchema | None) -> None:
    if schema is None:
        return
    checks: list[tuple[str, str]] = []
    if manifest.actions:
        checks.append(("actions", manifest.actions))
    if manifest.escalation:
        checks.append(("escalation", manifest.escalation.path))
    checks += [("decision", p) for p in manifest.decision]
    checks += [("volatile", p) for p in manifest.volatile]
    for key, pointer in checks:
        ok, names = schema_allows_pointer(schema.schema, pointers.parse(pointer))
        if not ok:
            last = pointers.parse(pointer)[-1] if pointer else ""
            raise ConfigError(manifest.path, f"'{pointer}' cannot resolve in outputs allowed by the output schema",
                              key=key, line=manifest.line_of(key),
                              fix=did_you_mean(last, names) or "valid names: " + ", ".join(names))


def load_corpus(path: str | Path) -> Corpus:
    """Load and validate a corpus folder (or its ``corpus.yaml``)."""
    manifest = read_manifest(Path(path))
    input_schema = (
        load_schema_file(manifest.input_schema, manifest=manifest.path, key="input_schema")
        if manifest.input_schema else None
    )
    output_schema = (
        load_schema_file(manifest.output_schema, manifest=manifest.path, key="output_schema")
        if manifest.output_schema else None
    )
    samples, origins = _load_samples(manifest, input_schema)
    ids, by_id = _sample_ids(manifest, samples, origins)
    if input_schema is not None:
        for index, sample in enumerate(samples):
            if not input_schema.is_valid(sample):
                violation = input_schema.violations(sample, limit=1)[0]
                raise ConfigError(
                    manifest.path,
                    f"original sample '{ids[index]}' ({origins[index]}) fails the input schema at "
                    f"'{violation.pointer or '/'}': {violation.message}",
                    key="input_schema", line=manifest.line_of("input_schema"),
                    fix="fix the sample, or widen the schema if production really sends this",
                )
    _check_output_pointers(manifest, output_schema)
    _check_mutations(manifest, samples)
    _check_expect(manifest, samples)
    return Corpus(manifest, samples, ids, origins, input_schema, output_schema, by_id)
