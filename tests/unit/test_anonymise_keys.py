"""The anonymisation key: fail closed, never overwritten, never inside a corpus."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from pytest_agentreal.anonymise.keys import (
    KEY_ENV,
    default_mapping_path,
    generate_key,
    key_id,
    load_key,
)
from pytest_agentreal.errors import ConfigError


def test_no_key_anywhere_fails_closed() -> None:
    with pytest.raises(ConfigError, match="no anonymisation key") as error:
        load_key(None, environ={})
    assert KEY_ENV in str(error.value) and "--generate-key" in str(error.value)


def test_key_from_environment() -> None:
    assert load_key(None, environ={KEY_ENV: "  a-long-enough-secret-key  "}) == b"a-long-enough-secret-key"


def test_key_file_wins_over_environment(tmp_path: Path) -> None:
    path = tmp_path / "key"
    path.write_text("file-key-0123456789abcdef\n", encoding="utf-8")
    assert load_key(path, environ={KEY_ENV: "env-key-0123456789abcdef"}) == b"file-key-0123456789abcdef"


@pytest.mark.parametrize("raw", ["", "   \n", "short"])
def test_empty_or_short_keys_are_refused(raw: str) -> None:
    with pytest.raises(ConfigError):
        load_key(None, environ={KEY_ENV: raw})


def test_missing_key_file_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as error:
        load_key(tmp_path / "nope", environ={})
    assert "nope" in str(error.value)


def test_short_key_error_does_not_print_the_key() -> None:
    with pytest.raises(ConfigError) as error:
        load_key(None, environ={KEY_ENV: "hunter2"})
    assert "hunter2" not in str(error.value)


def test_generate_key_writes_a_private_random_key(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "key"
    key = generate_key(path)
    assert path.read_text(encoding="utf-8").strip().encode() == key
    assert len(key) == 64
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_key(path, environ={}) == key
    assert generate_key(tmp_path / "other") != key


def test_generate_key_never_overwrites(tmp_path: Path) -> None:
    path = tmp_path / "key"
    path.write_text("existing-key-0123456789", encoding="utf-8")
    with pytest.raises(ConfigError, match="refusing to overwrite"):
        generate_key(path)
    assert path.read_text(encoding="utf-8") == "existing-key-0123456789"


def test_generate_key_refuses_inside_a_corpus(tmp_path: Path) -> None:
    (tmp_path / "corpus.yaml").write_text("name: x\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="could be committed"):
        generate_key(tmp_path / "secrets" / "key")
    assert not (tmp_path / "secrets" / "key").exists()


def test_generate_key_refuses_inside_a_forbidden_folder(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="could be committed"):
        generate_key(tmp_path / "out" / "key", forbidden=(tmp_path / "out",))


def test_key_id_is_a_short_public_fingerprint() -> None:
    a, b = key_id(b"first-key-0123456789"), key_id(b"second-key-0123456789")
    assert a != b and len(a) == 16
    assert "first" not in a


def test_mapping_lives_beside_the_key(tmp_path: Path) -> None:
    assert default_mapping_path(tmp_path / "key") == tmp_path / "key.mapping.json"
