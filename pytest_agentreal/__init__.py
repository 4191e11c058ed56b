"""pytest-agentreal: test AI agents against real-data edge cases before they reach production.

The public API is re-exported here lazily, so that loading the pytest plugin stays cheap when no
``--agent-*`` option is given (heavy modules import only when first used).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    "Action": "model",
    "Case": "model",
    "CaseFailed": "model",
    "Finding": "model",
    "Interaction": "model",
    "Mutation": "model",
    "Outcome": "model",
    "ConfigError": "errors",
    "Corpus": "corpus",
    "load_corpus": "corpus",
    "MutationContext": "mutations.registry",
    "register_operator": "mutations.registry",
    "register_oracle": "oracles",
    "connector": "connectors",
}

__all__ = [
    "Action",
    "Case",
    "CaseFailed",
    "ConfigError",
    "Corpus",
    "Finding",
    "Interaction",
    "Mutation",
    "MutationContext",
    "Outcome",
    "__version__",
    "connector",
    "load_corpus",
    "register_operator",
    "register_oracle",
]

if TYPE_CHECKING:
    from .connectors import connector
    from .corpus import Corpus, load_corpus
    from .errors import ConfigError
    from .model import Action, Case, CaseFailed, Finding, Interaction, Mutation, Outcome
    from .mutations.registry import MutationContext, register_operator
    from .oracles import register_oracle


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'pytest_agentreal' has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
