"""Fixtures for end-to-end tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from e2e_corpora import corpus_writer


@pytest.fixture
def make_corpus(pytester: pytest.Pytester) -> Callable[..., Path]:
    """Write a corpus folder (``make_corpus("name", samples=..., agent_code=..., **manifest_keys)``)."""
    return corpus_writer(pytester)
