"""``agentreal lint``: one finding per check, clean corpora exit 0, and no planted value ever printed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_agentreal import cli
from pytest_agentreal.cassettes import cassette_path
from pytest_agentreal.lint import lint_corpus
from pytest_agentreal.lint.phones import is_fictional_phone
from pytest_agentreal.lint.pii import json_leaf_lines
from pytest_agentreal.lint.quasi import is_quasi_identifier, quasi_identifier_risks
from pytest_agentreal.pointers import iter_members, parse

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "fixtures" / "support_inbox"

# Planted originals: none of them may appear in any output.
REAL_EMAIL = "jan.kowalski@poczta-planted.eu"
REAL_PHONE = "+49 151 23456789"
CARD = "4111 1111 1111 1111"  # passes Luhn
IBAN = "DE89 3704 0044 0532 0130 00"  # valid mod-97
API_KEY = "sk-proj-Zq8vW3xT9bL2mN7pR4sK6yH1"
ENV_SECRET = "crm-live-7f3a9c2e5b8d1f4a"
DOB, POSTCODE = "1984-07-21", "80331"
PLANTED = (REAL_EMAIL, REAL_PHONE, CARD, IBAN, API_KEY, ENV_SECRET, "23456789", "4111111111111111")


def clean_samples() -> list[dict[str, Any]]:
    """Pseudonymous, on example domains and fictional numbers: what an anonymised corpus holds."""
    return [
        {"ticket_id": "T-1", "subject": "Kettle lid cracked", "body": "Hello, the lid cracked.\n\nMira Okonkwo",
         "customer": {"name": "Mira Okonkwo", "email": "mira.okonkwo@example.com", "phone": "+44 7700 900312"},
         "order": {"id": "ORD-1", "items": [{"sku": "KTL-1", "qty": 1}]}},
        {"ticket_id": "T-2", "subject": "Wo ist mein Paket?", "body": "Bitte nachsehen. Jonas, 030 23125 417",
         "customer": {"name": "Jonas Feldmann", "email": "j.feldmann@example.org", "phone": None}},
        {"ticket_id": "T-3", "subject": "Mugs", "body": "Are they dishwasher safe? Call me: +1 555 0142",
         "customer": {"name": "Priya Raman", "email": "priya@shop.example"}},
    ]  # fmt: skip


def write_corpus(folder: Path, rows: list[dict[str, Any]], **manifest: Any) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    document = {"name": "shop", "samples": "samples.jsonl", "id": "ticket_id", **manifest}
    (folder / "corpus.yaml").write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    (folder / "samples.jsonl").write_text("".join(json.dumps(s) + "\n" for s in rows), encoding="utf-8")
    return folder


def interaction(uri: str, response: Any, *, method: str = "GET", body: str | None = None,
                headers: dict[str, list[str]] | None = None) -> dict[str, Any]:  # fmt: skip
    return {
        "request": {"method": method, "uri": uri, "body": body, "headers": headers or {}},
        "response": {"status": {"code": 200, "message": "OK"}, "headers": {"Content-Type": ["application/json"]},
                     "body": {"string": json.dumps(response)}},
    }  # fmt: skip


def write_cassette(directory: Path, case_id: str, interactions: list[dict[str, Any]]) -> Path:
    path = cassette_path(directory, case_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {"interactions": interactions, "version": 1}
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def lint(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = cli.main(["lint", *args])
    out, err = capsys.readouterr()
    for value in PLANTED:
        assert value not in out and value not in err, f"an original value was printed: {value!r}"
    return status, out, err


def lines_of(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.strip()]


# ------------------------------------------------------------------ clean corpora


@pytest.mark.parametrize("example", ["support_inbox", "support_inbox_llm"])
def test_the_shipped_examples_lint_clean(example: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = lint(capsys, str(REPO / "fixtures" / example))
    assert (status, out) == (0, "")
    assert "1 corpus clean" in err


def test_a_pseudonymous_corpus_lints_clean(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = lint(capsys, str(write_corpus(tmp_path / "c", clean_samples())))
    assert (status, out) == (0, "")


def test_help_names_the_exit_statuses(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["lint", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--format" in out and "exit status" in out


# ------------------------------------------------------------------ personal data and secrets in samples


def test_personal_data_left_in_samples_is_reported_by_line_pointer_and_kind(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    samples = clean_samples()
    samples[0]["customer"]["email"] = REAL_EMAIL
    samples[1]["customer"]["phone"] = REAL_PHONE
    samples[2]["body"] = f"Please refund to {IBAN}, or the card {CARD}. My key: {API_KEY}"
    status, out, _ = lint(capsys, str(write_corpus(tmp_path / "c", samples)))
    assert status == 1
    found = lines_of(out)
    path = str(tmp_path / "c" / "samples.jsonl")

    def has(line: int, pointer: str, words: str) -> bool:
        return any(f.startswith(f"{path}:{line}: [error] {pointer}: ") and words in f for f in found)

    assert has(1, "/customer/email", "e-mail address")
    assert has(2, "/customer/phone", "phone number outside the ranges reserved for fiction")
    assert has(3, "/body", "IBAN")
    assert has(3, "/body", "payment card")
    assert has(3, "/body", "secret left: an API key")
    assert len(found) == 5, found


def test_secret_env_values_in_samples_are_named_not_shown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRM_TOKEN", ENV_SECRET)
    samples = clean_samples()
    samples[1]["body"] += f" (ref {ENV_SECRET})"
    status, out, _ = lint(capsys, str(write_corpus(tmp_path / "c", samples, secrets=["CRM_TOKEN"])))
    assert status == 1
    assert lines_of(out) == [f"{tmp_path / 'c' / 'samples.jsonl'}:2: [error] the value of $CRM_TOKEN is in this "
                             "sample (remove it (agentreal anonymise replaces secrets with [REDACTED]) and rotate "
                             "the credential)"]  # fmt: skip


def test_names_are_checked_against_the_pseudonym_allowlist_when_there_is_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from pytest_agentreal.anonymise.detect import ALLOWLIST_FILE, fingerprint
    from pytest_agentreal.anonymise.formats import KINDS

    folder = write_corpus(tmp_path / "c", clean_samples())
    allowed = [fingerprint("name", str(KINDS["name"].normalise(word))) for word in
               ("Mira", "Okonkwo", "Jonas", "Feldmann")]  # fmt: skip
    (folder / ALLOWLIST_FILE).write_text(json.dumps({"fingerprints": allowed}), encoding="utf-8")
    status, out, _ = lint(capsys, str(folder))
    assert status == 1
    # Priya Raman was not written by anonymise: a name left, as a warning (it may still be fake).
    assert lines_of(out) == [f"{folder / 'samples.jsonl'}:3: [warning] /customer/name: personal data left: a "
                             "person's name that is not a pseudonym written by agentreal anonymise (anonymise the "
                             "raw export again: agentreal anonymise IN --out OUT)"]  # fmt: skip


# ------------------------------------------------------------------ cassettes


def test_secrets_left_in_a_cassette_are_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRM_TOKEN", ENV_SECRET)
    folder = write_corpus(tmp_path / "c", clean_samples(), secrets=["CRM_TOKEN"], cassettes="cassettes")
    write_cassette(folder / "cassettes", "shop/T-1[original]", [
        interaction("https://crm.example.com/customers/1", {"id": 1, "note": f"key {ENV_SECRET}"},
                    headers={"Authorization": [f"Bearer {API_KEY}"]}),
    ])  # fmt: skip
    status, out, _ = lint(capsys, str(folder))
    assert status == 1
    found = lines_of(out)
    assert any("[error]" in f and "the value of $CRM_TOKEN is in the cassette" in f for f in found)
    assert any("[error]" in f and "credential header 'Authorization' kept" in f for f in found)
    assert any("[error]" in f and "secret left: an API key" in f for f in found)


def test_personal_data_in_a_cassette_body_names_its_line_and_json_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = write_corpus(tmp_path / "c", clean_samples(), cassettes="cassettes")
    path = write_cassette(folder / "cassettes", "shop/T-1[original]", [
        interaction("https://crm.example.com/customers/1", {"id": 1, "contact": {"phone": REAL_PHONE}}),
    ])  # fmt: skip
    status, out, _ = lint(capsys, str(folder))
    assert status == 1
    [finding] = lines_of(out)
    line = int(finding.split(":")[1])
    assert '"string":' in path.read_text(encoding="utf-8").splitlines()[line - 1]
    assert "/interactions/0/response/body/string: personal data left: a phone number" in finding
    assert "(in the JSON at /contact/phone)" in finding


def test_cassettes_no_case_uses_are_warnings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from pytest_agentreal.corpus import load_corpus
    from pytest_agentreal.mutations.plan import Selection
    from pytest_agentreal.runner import CorpusRun, RunOptions

    folder = write_corpus(tmp_path / "c", clean_samples(), cassettes="cassettes",
                          mutations={"duplicate": ["exact"], "connector_fault": ["http_500"]})  # fmt: skip
    directory = folder / "cassettes"
    read = [interaction("https://crm.example.com/customers/1", {"id": 1})]
    write_cassette(directory, "shop/T-1[original]", read)
    cases = CorpusRun(load_corpus(folder), RunOptions(record_mode="none")).plan(Selection())
    fault = [c.id for c in cases if c.mutation.family == "connector_fault"]
    assert fault == ["shop/T-1[connector_fault.http_500:crm.read]"]  # planned from the original's traffic
    write_cassette(directory, fault[0], read)
    write_cassette(directory, "shop/T-2[duplicate.exact]", [])
    stray = write_cassette(directory, "shop/T-9[original]", read)  # a sample that no longer exists
    old_mutation = write_cassette(directory, "shop/T-2[missing.drop:/body]", [])  # not in mutations: any more
    status, out, _ = lint(capsys, str(folder))
    assert status == 1
    assert sorted(lines_of(out)) == sorted(
        f"{p}: [warning] cassettes: no case uses this cassette (delete it (git rm), or restore the sample or "
        "mutation it was recorded for)" for p in (stray, old_mutation)
    )


def test_a_corrupted_cassette_is_an_error_not_a_crash(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = write_corpus(tmp_path / "c", clean_samples(), cassettes="cassettes")
    path = cassette_path(folder / "cassettes", "shop/T-1[original]")
    path.parent.mkdir(parents=True)
    path.write_text('{"interactions": [{"request": ', encoding="utf-8")
    status, out, _ = lint(capsys, str(folder))
    assert status == 1
    assert [f for f in lines_of(out) if f.startswith(str(path)) and "[error]" in f]


# ------------------------------------------------------------------ quasi-identifiers


def _people(count: int, shared: bool) -> list[dict[str, Any]]:
    def person(i: int) -> dict[str, Any]:
        dob = DOB if shared else f"1980-01-{i + 1:02d}"
        return {"name": "Mira Okonkwo", "date_of_birth": dob, "postcode": POSTCODE, "gender": "f"}

    return [{"ticket_id": f"T-{i}", "customer": person(i)} for i in range(count)]


def test_quasi_identifiers_unique_for_fewer_than_k_samples_are_warned(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = lint(capsys, str(write_corpus(tmp_path / "c", _people(6, shared=False))))
    assert status == 1
    found = lines_of(out)
    # Dates of birth differ, postcode and gender are shared: every pair with the date is risky, the other is not.
    assert [f.split(": ")[2] for f in found] == ["/customer/date_of_birth + /customer/postcode",
                                                 "/customer/date_of_birth + /customer/gender"]  # fmt: skip
    assert all("[warning] quasi_identifiers: " in f and "6 of 6 samples" in f and "fewer than 4 others (k=5)" in f
               for f in found)  # fmt: skip
    assert DOB not in out and POSTCODE not in out and "1980-01-0" not in out


def test_quasi_identifiers_shared_by_k_samples_pass(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = lint(capsys, str(write_corpus(tmp_path / "c", _people(5, shared=True))))
    assert (status, out) == (0, "")
    status, out, _ = lint(capsys, str(write_corpus(tmp_path / "d", _people(5, shared=True))), "--k", "6")
    assert status == 1 and "5 of 5 samples" in out


def test_only_the_smallest_risky_combinations_are_reported() -> None:
    samples = [{"dob": f"19{i:02d}-01-01", "zip": "12345", "gender": "x", "city": "Springfield"} for i in range(8)]
    samples += [{"dob": "1999-01-01"}]  # lacks the others: not counted
    risks = quasi_identifier_risks(samples, k=5)
    assert [(r.fields, r.at_risk, r.considered) for r in risks] == [
        (("/dob", "/zip"), 8, 8), (("/dob", "/gender"), 8, 8), (("/dob", "/city"), 8, 8)
    ]  # fmt: skip
    assert is_quasi_identifier("/customer/birthDate") and is_quasi_identifier("/people/*/zip_code")
    assert not is_quasi_identifier("/customer/name") and not is_quasi_identifier("/order/total")


# ------------------------------------------------------------------ corpus and policy errors


def test_a_broken_manifest_is_one_finding_with_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = write_corpus(tmp_path / "c", clean_samples(), polcy="policy.yaml")
    status, out, _ = lint(capsys, str(folder))
    assert status == 1
    assert lines_of(out) == [f"{folder / 'corpus.yaml'}:4: [error] polcy: unknown key (did you mean 'policy'?)"]


def test_duplicate_ids_are_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    samples = clean_samples()
    samples[2]["ticket_id"] = "T-1"
    status, out, _ = lint(capsys, str(write_corpus(tmp_path / "c", samples)))
    assert status == 1
    [finding] = lines_of(out)
    assert "[error] id: duplicate id 'T-1'" in finding


def test_samples_failing_the_input_schema_are_each_reported_without_their_value(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    samples = clean_samples()
    samples[0]["customer"]["phone"] = 4915123456789
    samples[2]["customer"]["phone"] = REAL_EMAIL
    folder = write_corpus(tmp_path / "c", samples, input_schema="input.json")
    schema = {"type": "object", "properties": {"customer": {"type": "object", "properties": {
        "phone": {"type": ["string", "null"], "pattern": "^[+0-9 ]+$"}}}}}  # fmt: skip
    (folder / "input.json").write_text(json.dumps(schema), encoding="utf-8")
    status, out, _ = lint(capsys, str(folder))
    assert status == 1
    found = lines_of(out)
    assert any(f.startswith(f"{folder / 'samples.jsonl'}:1: [error] /customer/phone: sample 'T-1' fails the input "
                            "schema (keyword 'type'") for f in found)  # fmt: skip
    assert any(f.startswith(f"{folder / 'samples.jsonl'}:3: [error] /customer/phone: sample 'T-3' fails the input "
                            "schema (keyword 'pattern'") for f in found)  # fmt: skip
    assert "4915123456789" not in out


def test_policy_problems_are_reported_with_their_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = write_corpus(tmp_path / "c", clean_samples(), policy="policy.yaml")
    (folder / "policy.yaml").write_text("default: approval\nactions:\n  refund.issue: sometimes\n", encoding="utf-8")
    status, out, _ = lint(capsys, str(folder))
    assert status == 1
    [finding] = lines_of(out)
    assert finding.startswith(f"{folder / 'policy.yaml'}:3: [error] ")
    assert "sometimes" in finding  # the policy's own word, not a sample value


def test_a_missing_policy_file_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = write_corpus(tmp_path / "c", clean_samples(), policy="nope.yaml")
    status, out, _ = lint(capsys, str(folder))
    assert status == 1
    assert any("[error] policy:" in f and "does not exist" in f for f in lines_of(out))


# ------------------------------------------------------------------ paths, formats, pre-commit


def test_paths_name_each_corpus_once_and_files_outside_corpora_are_ignored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = write_corpus(tmp_path / "corpora" / "c", clean_samples())
    outside = tmp_path / "README.md"
    outside.write_text("hello", encoding="utf-8")
    status, _, err = lint(capsys, str(folder), str(folder / "samples.jsonl"), str(folder / "corpus.yaml"))
    assert status == 0 and "1 corpus clean" in err
    status, _, err = lint(capsys, str(outside))
    assert status == 0 and "no corpus among the given files" in err
    write_corpus(tmp_path / "corpora" / "d", clean_samples())
    status, _, err = lint(capsys, str(tmp_path / "corpora"))
    assert status == 0 and "2 corpora clean" in err


def test_usage_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["lint"]) == 2
    assert cli.main(["lint", str(tmp_path / "missing")]) == 2
    assert cli.main(["lint", str(tmp_path)]) == 2  # a folder without any corpus
    assert cli.main(["lint", str(SHIPPED), "--k", "1"]) == 2
    assert "no corpus.yaml" in capsys.readouterr().err


def test_json_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    samples = clean_samples()
    samples[0]["customer"]["email"] = REAL_EMAIL
    status, out, _ = lint(capsys, str(write_corpus(tmp_path / "c", samples)), "--format", "json")
    report = json.loads(out)
    assert status == 1 and (report["errors"], report["warnings"]) == (1, 0)
    [corpus] = report["corpora"]
    [finding] = corpus["findings"]
    assert (finding["line"], finding["key"], finding["check"], finding["severity"]) == (
        1, "/customer/email", "pii", "error")  # fmt: skip


def test_the_pre_commit_hook_runs_agentreal_lint() -> None:
    [hook] = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert hook["id"] == "agentreal-lint"
    assert hook["entry"] == "agentreal lint" and hook["language"] == "python"
    assert hook["pass_filenames"] is True  # changed files map to their corpora


def test_lint_as_a_process(tmp_path: Path) -> None:
    samples = clean_samples()
    samples[1]["body"] = f"card {CARD}, mail {REAL_EMAIL}"
    folder = write_corpus(tmp_path / "c", samples)
    command = [sys.executable, "-m", "pytest_agentreal.cli", "lint"]
    clean = subprocess.run([*command, str(SHIPPED)], capture_output=True, text=True, timeout=120, check=False)
    assert (clean.returncode, clean.stdout) == (0, "")
    dirty = subprocess.run([*command, str(folder)], capture_output=True, text=True, timeout=120, check=False)
    assert dirty.returncode == 1
    assert dirty.stdout.count("[error] /body:") == 2
    assert CARD not in dirty.stdout + dirty.stderr and REAL_EMAIL not in dirty.stdout + dirty.stderr


# ------------------------------------------------------------------ helpers as functions


@pytest.mark.parametrize("number", ["+44 7700 900312", "07700 900999", "+44 20 7946 0958", "+1 555 0142",
                                    "(212) 555-0199", "+49 30 23125 417", "+61 2 5550 1234", "+33 1 99 00 12 34"])
def test_numbers_reserved_for_fiction(number: str) -> None:
    assert is_fictional_phone(number)


@pytest.mark.parametrize("number", ["+44 7700 901312", "+1 212 555 0200", "+49 30 12345678", REAL_PHONE])
def test_numbers_outside_the_fictional_ranges(number: str) -> None:
    assert not is_fictional_phone(number)


json_documents = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=12,
)


@settings(max_examples=80, deadline=None)
@given(json_documents, st.sampled_from([1, 2, 4]))
def test_every_member_of_an_indented_json_file_gets_its_own_line(document: Any, indent: int) -> None:
    text = json.dumps(document, indent=indent, ensure_ascii=False) + "\n"
    lines = json_leaf_lines(document, text)
    file_lines = text.split("\n")  # lines as editors count them (not str.splitlines: U+0085 is no line end)
    for pointer, value in iter_members(document):
        shown = file_lines[lines[pointer] - 1].strip()
        tokens = parse(pointer)
        parent = document
        for token in tokens[:-1]:
            parent = parent[int(token)] if isinstance(parent, list) else parent[token]
        expected_key = json.dumps(tokens[-1], ensure_ascii=False) + ":" if isinstance(parent, dict) else ""
        assert shown.startswith(expected_key)
        if not isinstance(value, (dict, list)) or not value:
            assert shown.removeprefix(expected_key).strip().rstrip(",") == json.dumps(value, ensure_ascii=False)
    assert json_leaf_lines(document, json.dumps(document) + "\n") in ({}, lines)  # one-line layout: no lines


def test_the_lint_api_returns_findings(tmp_path: Path) -> None:
    samples = clean_samples()
    samples[0]["customer"]["email"] = REAL_EMAIL
    [finding] = lint_corpus(write_corpus(tmp_path / "c", samples))
    assert (finding.line, finding.key, finding.check, finding.severity) == (1, "/customer/email", "pii", "error")
    assert REAL_EMAIL not in repr(finding)


def test_csv_findings_name_the_line_a_row_starts_on(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = write_corpus(tmp_path / "c", [], samples="samples.csv")
    (folder / "samples.csv").write_text(
        'ticket_id,body,email\nT-1,"two\nlines",a@example.com\nT-2,fine,' + REAL_EMAIL + "\n", encoding="utf-8"
    )
    status, out, _ = lint(capsys, str(folder))
    assert status == 1
    assert [f.split(": [")[0] for f in lines_of(out)] == [f"{folder / 'samples.csv'}:4"]


def test_json_findings_name_the_row(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    samples = clean_samples()
    samples[1]["customer"]["email"] = REAL_EMAIL
    folder = write_corpus(tmp_path / "c", [], samples="samples.json")
    (folder / "samples.json").write_text(json.dumps(samples, indent=2), encoding="utf-8")
    status, out, _ = lint(capsys, str(folder))
    assert status == 1
    [finding] = lines_of(out)
    assert finding.startswith(f"{folder / 'samples.json'}: [error] /customer/email: row 2: personal data left")


def test_personal_data_in_field_names_is_masked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    samples = clean_samples()
    samples[0]["contacts"] = {REAL_EMAIL: REAL_PHONE}
    folder = write_corpus(tmp_path / "c", samples)
    status, out, _ = lint(capsys, str(folder))
    assert status == 1
    assert [f.split(": ")[1] for f in lines_of(out)] == ["[error] /contacts/<email>"]
    assert cli.main(["stats", str(folder)]) == 0
    stats = capsys.readouterr().out
    assert "/contacts/<email>" in stats and REAL_EMAIL not in stats
