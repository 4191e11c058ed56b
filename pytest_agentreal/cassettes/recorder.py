"""The recorder of one corpus: opens a recording per case and keeps parsed cassettes cached.

Interception (client stubs and the network guard) is installed once per process on first use;
each case only swaps the active recording, so a case costs no patching.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .faults import FaultSpec
from .match import RequestKey, json_key, normalise_body, normalise_url
from .paths import cassette_path
from .recording import CaseRecording
from .redact import Redactor
from .settings import CassetteSettings
from .store import CassetteCache, CassetteData, load
from .timeline import header_dict

_MEMO_SIZE = 16_384


@dataclass
class LoadedCassette:
    """A parsed cassette with its request keys computed once (the index replay matches against)."""

    data: CassetteData
    http_keys: list[RequestKey] = field(default_factory=list)
    http_meta: dict[int, dict[str, Any]] = field(default_factory=dict)
    tool_entries: list[dict[str, Any]] = field(default_factory=list)
    tool_keys: list[RequestKey] = field(default_factory=list)


class Recorder:
    """One corpus's cassettes for one pytest session: ``with recorder.open(case_id) as rec: ...``."""

    def __init__(self, settings: CassetteSettings) -> None:
        self.settings = settings
        self.redactor = Redactor(settings.secret_values(), settings.allow_headers)
        self._cache = CassetteCache()
        self._keys: dict[tuple[str, str, str, str], tuple[str, str, RequestKey]] = {}
        self._headers: dict[tuple[tuple[str, str], ...], dict[str, list[str]]] = {}

    def path_for(self, case_id: str) -> Path:
        """The cassette file of a case."""
        return cassette_path(self.settings.directory, case_id)

    def open(self, case_id: str, fault: FaultSpec | None = None) -> CaseRecording:
        """The recording of one case; use it as a context manager around the agent's deliveries."""
        from .intercept import install

        install()
        recording = CaseRecording(self, case_id, self.path_for(case_id), fault)
        recording._prepare()
        return recording

    def loaded(self, path: Path) -> LoadedCassette:
        """The parsed, validated and indexed cassette at ``path`` (cached while unchanged)."""
        return self._cache.get(path, self._load)  # type: ignore[no-any-return]

    def forget(self, path: Path) -> None:
        """Drop a rewritten cassette from the cache."""
        self._cache.forget(path)

    def request_key(self, method: str, url: str, body: str, content_type: str) -> tuple[str, str, RequestKey]:
        """The redacted URL and body text of a request, and the key it matches on.

        A pure function of its arguments (the redactor and ``match_ignore`` are fixed), memoised:
        every case of a sample sends (and its cassette holds) the same requests again.
        """
        memo = (method, url, body, content_type)
        found = self._keys.get(memo)
        if found is None:
            text = self.redactor.body(body, content_type)[0] if body else body
            redacted_url, _ = self.redactor.url(url)
            key = RequestKey(method.upper(), normalise_url(redacted_url),
                             normalise_body(text, content_type, self.settings.match_ignore))
            if len(self._keys) >= _MEMO_SIZE:
                self._keys.clear()
            found = self._keys[memo] = (redacted_url, text, key)
        return found

    def kept_headers(self, headers: list[tuple[str, str]]) -> dict[str, list[str]]:
        """A request's headers as kept in a cassette (allowlist, values redacted); memoised, copied."""
        memo = tuple((name, value) for name, value in headers)
        kept = self._headers.get(memo)
        if kept is None:
            kept, _ = self.redactor.headers(header_dict(headers))
            if len(self._headers) >= _MEMO_SIZE:
                self._headers.clear()
            self._headers[memo] = kept
        return {name: list(values) for name, values in kept.items()}

    def _load(self, path: Path) -> LoadedCassette:
        data = load(path, self.settings.hint)
        loaded = LoadedCassette(data)
        ignore = self.settings.match_ignore
        for interaction in data.interactions:
            request = interaction["request"]
            ctype = next((v[0] for k, v in request["headers"].items() if k.lower() == "content-type" and v), "")
            _, _, key = self.request_key(request["method"], request["uri"], request["body"] or "", ctype)
            loaded.http_keys.append(key)
        for entry in data.timeline:
            if entry["type"] == "http":
                loaded.http_meta[entry["interaction"]] = entry
            else:
                loaded.tool_entries.append(entry)
                args, _ = self.redactor.json(entry.get("args"))
                loaded.tool_keys.append(RequestKey("CALL", entry["name"], json_key(args, ignore)))
        return loaded
