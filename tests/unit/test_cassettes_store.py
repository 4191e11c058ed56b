"""Cassette files: paths, strict loading with errors naming the file, round trips, atomic writes, scrub."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_agentreal.cassettes import (
    cassette_path,
    iter_cassettes,
    load_cassette,
    read_interactions,
    scrub_cassette,
    scrub_directory,
)
from pytest_agentreal.cassettes.lock import cassette_lock
from pytest_agentreal.cassettes.paths import safe_part
from pytest_agentreal.cassettes.store import CassetteData, atomic_write, dumps, load
from pytest_agentreal.errors import CassetteError

SECRET = "tok_live_abcdefgh12345"


def interaction(uri: str = "https://crm.example.com/customers/1", body: str = "") -> dict[str, Any]:
    return {
        "request": {"body": body, "headers": {"accept": ["*/*"]}, "method": "GET", "uri": uri},
        "response": {
            "status": {"code": 200, "message": "OK"},
            "headers": {"content-type": ["application/json"]},
            "body": {"string": '{"id": 1}'},
        },
    }


# -- paths --------------------------------------------------------------------------------------------
def test_paths_are_readable_and_safe(tmp_path: Path) -> None:
    assert cassette_path(tmp_path, "support-inbox/T-0042[original]") == tmp_path / "support-inbox/T-0042/original.json"
    fault = cassette_path(tmp_path, "support-inbox/T-0042[connector_fault.http_500:crm.read]")
    assert fault.parent == tmp_path / "support-inbox" / "T-0042"
    assert fault.name.startswith("connector_fault.http_500_crm.read-") and fault.suffix == ".json"
    for hostile in ("c/..[original]", "c/../../etc[x]", "c/.hidden[original]", "../c/s[original]"):
        path = cassette_path(tmp_path, hostile)
        assert path.resolve().is_relative_to(tmp_path.resolve()), hostile
        assert not any(part.startswith(".") for part in path.relative_to(tmp_path).parts)


@given(st.text(min_size=1, max_size=40), st.text(min_size=1, max_size=40))
def test_different_names_never_share_a_path_part(a: str, b: str) -> None:
    if a != b:
        assert safe_part(a) != safe_part(b)
    part = safe_part(a)
    assert part and all((c.isalnum() and c.isascii()) or c in "._-" for c in part)
    assert not part.startswith(".") and len(part) <= 89


@given(st.text(alphabet="abcT-0123./:[]_ ", min_size=1, max_size=30), st.text(alphabet="ab.:/_", max_size=20))
def test_case_ids_map_to_distinct_files(sample: str, mutation: str) -> None:
    first = cassette_path(Path("c"), f"corpus/{sample}[{mutation}]")
    second = cassette_path(Path("c"), f"corpus/{sample}[{mutation}x]")
    assert first != second


# -- loading ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"interactions": [{"request": {"method": "GET", "uri": "http://x"', "truncated or corrupted"),
        ("", "empty"),
        ('{"version": 1}', "no 'interactions' list"),
        ('{"interactions": [{"request": {"method": "GET"}, "response": {}}], "version": 1}', "interactions[0].request"),
        ('{"interactions": [], "version": 7}', "unsupported cassette version 7"),
        (
            "interactions:\n- request: !!python/object/apply:os.system ['echo pwned']\n  response: {}\n",
            "YAML tag that could run code",
        ),
        ("interactions:\n- request: {method: GET\n", "truncated or corrupted"),
        (
            json.dumps(
                {
                    "interactions": [],
                    "version": 1,
                    "metadata": {"agentreal": {"timeline": [{"type": "http", "interaction": 3}]}},
                }
            ),
            "timeline[0]: 'interaction' must index",
        ),
    ],
)
def test_bad_cassettes_are_rejected_naming_the_file(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "case.json"
    path.write_text(text)
    with pytest.raises(CassetteError) as error:
        load(path, "pytest --agent-record once")
    rendered = str(error.value)
    assert rendered.startswith(str(path)), rendered
    assert message in rendered
    assert "pytest --agent-record once" in rendered


def test_binary_garbage_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "case.json"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(CassetteError, match="not UTF-8"):
        load_cassette(path)


def test_plain_vcrpy_yaml_cassettes_load_as_a_timeline(tmp_path: Path) -> None:
    import yaml

    path = tmp_path / "legacy.yaml"
    path.write_text(
        yaml.safe_dump({"interactions": [interaction(), interaction(uri="https://crm.example.com/x")], "version": 1})
    )
    data = load_cassette(path)
    assert [t["interaction"] for t in data.timeline] == [0, 1]
    assert [i.url for i in read_interactions(path)] == [
        "https://crm.example.com/customers/1",
        "https://crm.example.com/x",
    ]
    assert read_interactions(path)[0].response == {"id": 1}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=50)
@given(
    st.lists(st.text(max_size=30), max_size=4),
    st.lists(st.tuples(st.text(min_size=1, max_size=10), json_values, json_values), max_size=3),
)
def test_round_trip_serialise_write_read(bodies: list[str], tools: list[tuple[str, Any, Any]]) -> None:
    import tempfile

    interactions = [interaction(body=b) for b in bodies]
    timeline: list[dict[str, Any]] = [{"type": "http", "interaction": i, "delivery": i % 2} for i in range(len(bodies))]
    timeline += [{"type": "tool", "name": n, "args": a, "result": r, "delivery": 0} for n, a, r in tools]
    data = CassetteData(interactions, timeline, "corpus/S-1[original]")
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "c.json"
        assert atomic_write(path, dumps(data)) == []
        back = load(path)
    assert back == data


# -- writing ------------------------------------------------------------------------------------------
def test_a_failed_check_keeps_the_previous_file(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "c.json"
    atomic_write(path, "old")
    problems = atomic_write(path, "new", check=lambda temp: ["leak"] if temp.read_text() == "new" else [])
    assert problems == ["leak"]
    assert path.read_text() == "old"
    assert [p.name for p in path.parent.iterdir()] == ["c.json"]


def test_the_lock_is_exclusive_between_holders(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    events: list[str] = []
    entered = threading.Event()

    def holder() -> None:
        with cassette_lock(path, timeout=5):
            events.append("first in")
            entered.set()
            time.sleep(0.2)
            events.append("first out")

    thread = threading.Thread(target=holder)
    thread.start()
    entered.wait(5)
    with cassette_lock(path, timeout=5):
        events.append("second in")
    thread.join()
    assert events == ["first in", "first out", "second in"]


def test_lock_timeout(tmp_path: Path) -> None:
    from pytest_agentreal.cassettes.lock import LockTimeout

    path = tmp_path / "c.json"
    with cassette_lock(path, timeout=1), pytest.raises(LockTimeout), cassette_lock(path, timeout=0.05):
        pass


# -- scrub --------------------------------------------------------------------------------------------
def test_scrub_redacts_existing_cassettes_in_place(tmp_path: Path) -> None:
    leaky = interaction(uri=f"https://crm.example.com/c?access_token={SECRET}&q=1", body=json.dumps({"password": "pw"}))
    leaky["request"]["headers"]["Authorization"] = [f"Bearer {SECRET}"]
    leaky["response"]["body"]["string"] = json.dumps({"note": f"token {SECRET}", "max_tokens": 5})
    path = tmp_path / "corpus" / "c.json"
    path.parent.mkdir()
    path.write_text(json.dumps({"interactions": [leaky], "version": 1}))
    count = scrub_cassette(path, {"CRM_TOKEN": SECRET})
    text = path.read_text()
    assert count == 4
    assert SECRET not in text and "Bearer" not in text and '"pw"' not in text
    document = json.loads(text)
    assert "metadata" not in document, "a plain vcrpy cassette stays plain"
    assert json.loads(document["interactions"][0]["response"]["body"]["string"])["max_tokens"] == 5
    assert scrub_cassette(path, [SECRET]) == 0, "scrubbing twice changes nothing"
    assert iter_cassettes(tmp_path) == [path]
    other = tmp_path / "corpus" / "d.json"
    other.write_text(json.dumps({"interactions": [leaky], "version": 1}))
    assert scrub_directory(tmp_path, {"CRM_TOKEN": SECRET}) == {other: 4}
