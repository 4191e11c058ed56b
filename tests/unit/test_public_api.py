"""The public API resolves, and loading the plugin imports nothing heavy."""

from __future__ import annotations

import subprocess
import sys

import pytest_agentreal

HEAVY = ("vcr", "pandas", "pyarrow", "faker", "hypothesis", "jsonschema", "deepdiff", "httpx", "yaml")


def test_every_public_name_resolves() -> None:
    for name in pytest_agentreal.__all__:
        assert getattr(pytest_agentreal, name) is not None, name


def test_loading_the_plugin_imports_no_heavy_module() -> None:
    # In a fresh interpreter with pytest already imported, as pytest loads plugins.
    code = (
        "import sys, pytest; before = set(sys.modules); import pytest_agentreal.plugin; "
        "print(' '.join(sorted(m for m in set(sys.modules) - before)))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    heavy = [m for m in loaded if m.split(".")[0] in HEAVY]
    assert heavy == [], heavy
