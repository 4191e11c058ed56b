"""Cassettes: record a case's connector traffic once, replay it in CI, never leak a secret.

``Recorder(settings).open(case_id, fault=...)`` gives a :class:`CaseRecording` for one case;
the submodules (settings, paths, store, redact, match, sse, faults, wire, stubs, netblock,
recording, recorder) each do one job. Names are exported lazily to keep imports cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "CassetteSettings": "settings",
    "RECORD_MODES": "settings",
    "Recorder": "recorder",
    "CaseRecording": "recording",
    "RequestNotRecorded": "recording",
    "ToolCallNotRecorded": "recording",
    "RecordedToolError": "recording",
    "FaultSpec": "faults",
    "FaultOperator": "faults",
    "ConnectorFault": "faults",
    "FAULTS": "faults",
    "register_fault": "faults",
    "cassette_path": "paths",
    "read_interactions": "api",
    "scrub_cassette": "api",
    "scrub_directory": "api",
    "scan_cassette": "scan",
    "iter_cassettes": "api",
    "load_cassette": "api",
    "Redactor": "redact",
    "NetworkBlocked": "netblock",
}

__all__ = [
    "FAULTS",
    "RECORD_MODES",
    "CaseRecording",
    "CassetteSettings",
    "ConnectorFault",
    "FaultOperator",
    "FaultSpec",
    "NetworkBlocked",
    "RecordedToolError",
    "Recorder",
    "Redactor",
    "RequestNotRecorded",
    "ToolCallNotRecorded",
    "cassette_path",
    "iter_cassettes",
    "load_cassette",
    "read_interactions",
    "register_fault",
    "scan_cassette",
    "scrub_cassette",
    "scrub_directory",
]

if TYPE_CHECKING:
    from .api import iter_cassettes, load_cassette, read_interactions, scrub_cassette, scrub_directory
    from .faults import FAULTS, ConnectorFault, FaultOperator, FaultSpec, register_fault
    from .netblock import NetworkBlocked
    from .paths import cassette_path
    from .recorder import Recorder
    from .recording import CaseRecording, RecordedToolError, RequestNotRecorded, ToolCallNotRecorded
    from .redact import Redactor
    from .scan import scan_cassette
    from .settings import RECORD_MODES, CassetteSettings


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
