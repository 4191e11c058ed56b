"""The HTML report: one self-contained page, readable offline and safe to open.

Everything is inside the file: CSS and JavaScript inline, the report data embedded as JSON in a
``<script type="application/json">`` element, the chart drawn as inline SVG. A Content Security
Policy forbids every network request and allows only the page's own script (by its hash), so a
hostile string in a sample — prompt injections are part of the corpus — can neither run nor
phone home even if it escaped its element.

The header (run, seed, counts) and the per-corpus tables are rendered here, so the essentials
read without JavaScript; the script draws the chart, the filters and the case details from the
embedded data. ``assets/report.css`` and ``assets/report.js`` are the page's style and behaviour.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from html import escape
from importlib import resources
from typing import Any

STATUS_LABELS = {
    "passed": "passed",
    "failed": "failed",
    "error": "errors",
    "xfailed": "xfailed",
    "xpassed": "xpassed",
}


def embed_json(data: Any) -> str:
    """JSON safe inside a ``<script>`` element: no ``</script>``, ``<!--`` or ``]]>`` can form.

    ``<``, ``>`` and ``&`` only occur inside JSON strings, where their ``\\u`` escapes mean the same.
    """
    text = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                          ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escaped)
    return text


def _asset(name: str) -> str:
    return (resources.files("pytest_agentreal") / "report" / "assets" / name).read_text(encoding="utf-8")


def _csp_hash(source: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode("ascii")


def render_html(report: Mapping[str, Any]) -> str:
    """The report (see ``json_report``) as one HTML page with no external resource."""
    script = _asset("report.js")
    style = _asset("report.css")
    run = report.get("run", {})
    corpora = [c["name"] for c in report.get("corpora", [])]
    title = "agentreal report — " + (", ".join(corpora) or "no corpus")
    csp = (
        "default-src 'none'; "
        f"script-src '{_csp_hash(script)}'; "
        "style-src 'unsafe-inline'; img-src data:; "
        "connect-src 'none'; form-action 'none'; base-uri 'none'"
    )
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{escape(csp)}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title>",
        f"<style>{style}</style>",
        "</head>",
        "<body>",
        '<a class="skip" href="#cases">Skip to cases</a>',
        _header(title, run, report.get("totals", {})),
        "<main>",
        _chart_section(),
        _corpora_section(report.get("corpora", [])),
        _cases_section(),
        "</main>",
        _footer(report),
        f'<script type="application/json" id="report-data">{embed_json(report)}</script>',
        f"<script>{script}</script>",
        "</body>",
        "</html>",
    ]
    return "\n".join(parts) + "\n"


def _header(title: str, run: Mapping[str, Any], totals: Mapping[str, Any]) -> str:
    facts = [
        ("Corpora", ", ".join(run.get("corpora") or []) or "—"),
        ("Seed", _text(run.get("seed"))),
        ("Record mode", _text(run.get("record_mode"))),
        ("Started", _text(run.get("started"))),
        ("Duration", f"{run['duration_s']:.1f} s" if run.get("duration_s") is not None else "—"),
        ("Repeat", f"{run.get('repeat', 1)} (min pass {run.get('min_pass', 1.0):g})"),
        ("Baseline", _text(run.get("baseline"))),
    ]
    facts_html = "".join(f"<div><dt>{escape(k)}</dt><dd>{escape(v)}</dd></div>" for k, v in facts)
    counts = [("cases", totals.get("cases", 0))] + [
        (label, totals.get(status, 0)) for status, label in STATUS_LABELS.items()
    ]
    rate = totals.get("pass_rate")
    counts_html = "".join(
        f'<li class="count count-{escape(label)}"><span class="n" data-count="{escape(label)}">{int(n)}</span>'
        f" {escape(label)}</li>"
        for label, n in counts
    )
    rate_html = f'<p class="rate">Pass rate <strong>{_percent(rate)}</strong> of judged cases</p>'
    return (
        '<header class="page-head">'
        f"<h1>{escape(title)}</h1>"
        f'<dl class="facts">{facts_html}</dl>'
        f'<ul class="counts" aria-label="Case counts">{counts_html}</ul>'
        f"{rate_html}"
        "</header>"
    )


def _chart_section() -> str:
    return (
        '<section class="charts" aria-labelledby="chart-title">'
        '<h2 id="chart-title">Pass rate by mutation family and operator</h2>'
        '<p class="hint">Bars show the cases that passed (green), failed (red), errored (orange) and '
        "were quarantined (grey); they follow the filters below. Select a family bar to filter by it.</p>"
        '<div class="chart-grid">'
        '<figure id="chart-family" class="chart"><figcaption>By family</figcaption></figure>'
        '<figure id="chart-operator" class="chart"><figcaption>By operator</figcaption></figure>'
        "</div>"
        '<noscript><p class="noscript">The chart, the filters and the case details need JavaScript. '
        "The complete data is embedded in this file (script#report-data) as JSON.</p></noscript>"
        "</section>"
    )


def _corpora_section(corpora: Sequence[Mapping[str, Any]]) -> str:
    if not corpora:
        return ""
    blocks = [
        '<section class="corpora" aria-labelledby="corpora-title">',
        '<h2 id="corpora-title">Corpora</h2>',
        '<div class="corpus-grid">',
    ]
    for corpus in corpora:
        blocks.append(_corpus_block(corpus))
    blocks.append("</div></section>")
    return "".join(blocks)


def _corpus_block(corpus: Mapping[str, Any]) -> str:
    name = escape(corpus["name"])
    parts = [f'<article class="corpus" data-corpus="{name}"><h3>{name}</h3>']
    rows = [
        [escape(g["key"]), *(str(int(g[s])) for s in STATUS_LABELS), _percent(g["pass_rate"])]
        for g in corpus.get("families", [])
    ]
    totals = corpus.get("totals", {})
    footer = ["total", *(str(int(totals.get(s, 0))) for s in STATUS_LABELS), _percent(totals.get("pass_rate"))]
    parts.append(_table(f"Cases of {corpus['name']} by family", ["family", *STATUS_LABELS.values(), "pass rate"],
                        rows, footer, "matrix"))
    passk = corpus.get("passk") or {}
    if passk.get("rows") and passk.get("runs", 0) > 1:
        passk_rows = [[str(r["k"]), _percent(r["pass_hat_k"]), _percent(r["pass_at_k"])] for r in passk["rows"]]
        parts.append(_table(f"pass^k and pass@k over {int(passk['runs'])} runs of {int(passk['cases'])} cases",
                            ["k", "pass^k", "pass@k"], passk_rows, None, "passk"))
    top = corpus.get("top_failing") or {}
    for kind in ("operators", "fields"):
        ranked = top.get(kind) or []
        if ranked:
            items = "".join(f"<li><code>{escape(r['key'])}</code> ({int(r['count'])})</li>" for r in ranked)
            parts.append(f'<p class="top">Fail most ({kind}):</p><ol class="top-list">{items}</ol>')
    release = corpus.get("release")
    if release:
        parts.append(_release(release))
    policy = corpus.get("policy")
    actions = corpus.get("actions") or {}
    if policy or actions.get("by_verdict"):
        parts.append(_policy(policy, actions))
    parts.append("</article>")
    return "".join(parts)


_RELEASE_TITLES = {
    "decision_changed": "Decision changed",
    "new_failures": "New failures",
    "newly_passing": "Newly passing",
    "missing_from_run": "In the baseline, not run",
    "missing_baseline": "Run, no baseline",
}


def _release(release: Mapping[str, Sequence[str]]) -> str:
    items = []
    for key, title in _RELEASE_TITLES.items():
        ids = release.get(key) or []
        inner = "".join(f"<li><code>{escape(i)}</code></li>" for i in ids[:20])
        more = f"<li>… and {len(ids) - 20} more</li>" if len(ids) > 20 else ""
        body = f"<ul>{inner}{more}</ul>" if ids else ""
        items.append(f'<li class="release-{key}"><strong>{title}: {len(ids)}</strong>{body}</li>')
    return f'<div class="release"><h4>Since the baseline</h4><ul class="release-list">{"".join(items)}</ul></div>'


def _policy(policy: Mapping[str, Any] | None, actions: Mapping[str, Mapping[str, int]]) -> str:
    parts = ['<div class="policy"><h4>Control layer</h4>']
    if policy:
        parts.append(f"<p>Policy <code>{escape(_text(policy.get('file')))}</code>, "
                     f"default mode <strong>{escape(policy.get('default', ''))}</strong>.</p>")
    by_mode = actions.get("by_mode") or {}
    by_verdict = actions.get("by_verdict") or {}
    if by_mode:
        parts.append("<p>Actions by mode: " + ", ".join(f"{escape(k)} {int(v)}" for k, v in by_mode.items()) + "</p>")
    if by_verdict:
        parts.append("<p>Actions by verdict: " + ", ".join(f"{escape(k)} {int(v)}" for k, v in by_verdict.items())
                     + "</p>")
    parts.append("</div>")
    return "".join(parts)


def _cases_section() -> str:
    outcome_options = [("", "any outcome"), ("not-passed", "not passed"), ("failed", "failed"),
                       ("error", "errors"), ("passed", "passed"), ("xfailed", "xfailed"), ("xpassed", "xpassed")]
    outcome_html = "".join(f'<option value="{v}">{label}</option>' for v, label in outcome_options)
    return (
        '<section class="cases" id="cases" aria-labelledby="cases-title">'
        '<h2 id="cases-title">Cases</h2>'
        '<form class="filters" id="filters" role="search" aria-label="Filter cases">'
        '<div><label for="f-corpus">Corpus</label>'
        '<select id="f-corpus" name="corpus"><option value="">all corpora</option></select></div>'
        '<div><label for="f-family">Family</label>'
        '<select id="f-family" name="family"><option value="">all families</option></select></div>'
        f'<div><label for="f-outcome">Outcome</label><select id="f-outcome" name="outcome">{outcome_html}'
        "</select></div>"
        '<div class="grow"><label for="f-text">Search</label>'
        '<input id="f-text" name="q" type="search" placeholder="case id, oracle, path, message…" '
        'autocomplete="off"></div>'
        '<div><button type="reset" id="f-reset">Clear filters</button></div>'
        "</form>"
        '<p id="shown" class="shown" role="status" aria-live="polite"></p>'
        '<ol id="case-list" class="case-list"></ol>'
        '<p><button type="button" id="more" hidden>Show more cases</button></p>'
        "</section>"
    )


def _footer(report: Mapping[str, Any]) -> str:
    versions = (report.get("run") or {}).get("versions") or {}
    text = ", ".join(f"{k} {v}" for k, v in sorted(versions.items()))
    return (
        '<footer class="bottom"><p>Report schema version '
        f"{escape(_text(report.get('schema_version')))} · {escape(text)}</p></footer>"
    )


def _table(caption: str, head: Sequence[str], rows: Iterable[Sequence[str]], foot: Sequence[str] | None,
           css: str) -> str:
    # Cells are already escaped by the callers (they may hold markup of their own).
    head_html = "".join(f'<th scope="col">{escape(h)}</th>' for h in head)
    body_html = "".join(
        "<tr>" + f'<th scope="row">{row[0]}</th>' + "".join(f"<td>{c}</td>" for c in row[1:]) + "</tr>"
        for row in rows
    )
    foot_html = ""
    if foot:
        foot_html = ("<tfoot><tr>" + f'<th scope="row">{escape(foot[0])}</th>'
                     + "".join(f"<td>{escape(c)}</td>" for c in foot[1:]) + "</tr></tfoot>")
    return (f'<table class="{css}"><caption>{escape(caption)}</caption><thead><tr>{head_html}</tr></thead>'
            f"<tbody>{body_html}</tbody>{foot_html}</table>")


def _percent(value: Any) -> str:
    return "—" if value is None else f"{float(value) * 100:.0f}%"


def _text(value: Any) -> str:
    return "—" if value is None else str(value)
