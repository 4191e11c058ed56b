"""The HTML report without a browser: self-contained, safely embedded data, accessible structure.

What the page does once its script runs is tested in real Chromium: tests/browser/.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from html.parser import HTMLParser
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from pytest_agentreal.model import Case, Finding, Mutation, Outcome
from pytest_agentreal.report.demo import demo_report
from pytest_agentreal.report.html import embed_json, render_html
from pytest_agentreal.report.json_report import RunMeta, build_report


class Elements(HTMLParser):
    """Every start tag with its attributes, and the raw text of each <script>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self._in_script: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._in_script = dict(attrs)
            self.scripts.append((self._in_script, ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = None

    def handle_data(self, data: str) -> None:
        if self._in_script is not None:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)


def parse(page: str) -> Elements:
    parser = Elements()
    parser.feed(page)
    parser.close()
    return parser


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                    max_leaves=15))
def test_embedded_json_round_trips_and_cannot_close_its_element(data: Any) -> None:
    text = embed_json(data)
    assert json.loads(text) == data
    lowered = text.lower()
    assert "</" not in lowered and "<!--" not in lowered and "]]>" not in lowered and "<" not in lowered


def test_hostile_strings_stay_data() -> None:
    hostile = "</script><script>alert(1)</script><!-- <img src=x onerror=alert(2)>"
    outcome = Outcome(Case.make("inbox", "T-1", Mutation("out_of_pattern", "injection"), 0),
                      inputs=[{"body": hostile}], outputs=[{"reply": hostile}],
                      findings=[Finding("policy", hostile, evidence=hostile)])
    page = render_html(build_report([outcome], RunMeta(corpora=("inbox",))))
    dom = parse(page)
    assert [t for t, _ in dom.tags].count("script") == 2
    assert not any(t == "img" for t, _ in dom.tags)
    (data_attrs, data_text), (code_attrs, _) = dom.scripts
    assert data_attrs == {"type": "application/json", "id": "report-data"}
    assert json.loads(data_text)["cases"][0]["inputs"] == [{"body": hostile}]
    assert code_attrs == {}


def test_page_is_self_contained_and_locked_down() -> None:
    page = render_html(demo_report())
    dom = parse(page)
    markup = page.split('<script type="application/json"', 1)[0]  # the data may name URLs; markup may not
    for tag, attrs in dom.tags:
        for name in ("src", "href", "action", "srcset"):
            value = attrs.get(name)
            assert value is None or value.startswith("#"), (tag, name, value)
        assert not (tag == "link" or (tag == "script" and "src" in attrs))
    assert "@import" not in page and "url(" not in markup and "http://" not in markup.replace(
        "http://www.w3.org/2000/svg", "")
    (csp,) = [a["content"] for t, a in dom.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert csp is not None and "default-src 'none'" in csp and "connect-src 'none'" in csp
    code = dom.scripts[-1][1]
    digest = base64.b64encode(hashlib.sha256(code.encode("utf-8")).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in csp  # only the page's own script may run


def test_header_and_corpus_tables_are_rendered_without_javascript() -> None:
    report = demo_report()
    page = render_html(report)
    assert "<title>agentreal report — support-inbox, billing</title>" in page
    assert "<dt>Seed</dt><dd>1234</dd>" in page
    counts = dict(re.findall(r'data-count="(\w+)">(\d+)<', page))
    totals = report["totals"]
    assert counts == {
        "cases": str(totals["cases"]), "passed": str(totals["passed"]), "failed": str(totals["failed"]),
        "errors": str(totals["error"]), "xfailed": str(totals["xfailed"]), "xpassed": str(totals["xpassed"]),
    }
    assert "pass^k and pass@k over 3 runs of 2 cases" in page
    assert "<strong>Decision changed: 1</strong>" in page
    assert "<code>billing/INV-7[original]</code>" in page


def test_names_are_escaped_in_the_markup() -> None:
    outcome = Outcome(Case.make("<b>x</b>", "T-1", Mutation("original"), 0))
    page = render_html(build_report([outcome], RunMeta(seed=None, corpora=("<b>x</b>",))))
    assert "<b>x</b>" not in page.split('<script type="application/json"', 1)[0]
    assert "&lt;b&gt;x&lt;/b&gt;" in page


def test_filters_are_labelled_form_controls() -> None:
    dom = parse(render_html(demo_report()))
    labels = {a["for"] for t, a in dom.tags if t == "label"}
    controls = {a["id"] for t, a in dom.tags if t in ("select", "input")}
    assert controls == {"f-corpus", "f-family", "f-outcome", "f-text"}
    assert controls <= labels
    outcome_values = [a.get("value") for t, a in dom.tags if t == "option"]
    assert {"", "not-passed", "failed", "error", "passed", "xfailed", "xpassed"} <= set(outcome_values)
    assert any(t == "html" and a.get("lang") == "en" for t, a in dom.tags)
    for landmark in ("header", "main", "footer"):
        assert any(t == landmark for t, _ in dom.tags)


def test_empty_report_renders() -> None:
    page = render_html(build_report([], RunMeta()))
    assert "<title>agentreal report — no corpus</title>" in page
