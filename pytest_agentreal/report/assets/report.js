/* pytest-agentreal report: chart, filters and case details, drawn from the embedded JSON.
 * Every value from the report goes into the page through textContent or setAttribute, never
 * as markup: samples contain prompt injections on purpose. */
(function () {
  "use strict";

  var PAGE = 200;
  var SVG = "http://www.w3.org/2000/svg";
  var FAMILY_ORDER = ["original", "duplicate", "missing", "out_of_pattern", "connector_fault"];
  var STATUS_RANK = { failed: 0, error: 1, xpassed: 2, xfailed: 3, passed: 4 };
  var STATUS_TEXT = { passed: "passed", failed: "failed", error: "error", xfailed: "xfailed", xpassed: "xpassed" };

  var data = JSON.parse(document.getElementById("report-data").textContent);
  var cases = data.cases || [];
  var corpusNames = (data.corpora || []).map(function (c) { return c.name; });
  var corpusRank = {};
  corpusNames.forEach(function (name, i) { corpusRank[name] = i; });

  // Cases that did not pass come first: they are what the reader opened the page for.
  var ordered = cases.slice().sort(function (a, b) {
    return (STATUS_RANK[a.status] - STATUS_RANK[b.status]) ||
      ((corpusRank[a.corpus] || 0) - (corpusRank[b.corpus] || 0)) ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  });

  var els = {
    form: document.getElementById("filters"),
    corpus: document.getElementById("f-corpus"),
    family: document.getElementById("f-family"),
    outcome: document.getElementById("f-outcome"),
    text: document.getElementById("f-text"),
    list: document.getElementById("case-list"),
    shown: document.getElementById("shown"),
    more: document.getElementById("more"),
    chartFamily: document.getElementById("chart-family"),
    chartOperator: document.getElementById("chart-operator")
  };
  var limit = PAGE;
  var openIds = {};
  var firstOpen = ordered.filter(function (c) { return c.status === "failed" || c.status === "error"; })[0];
  if (firstOpen) { openIds[firstOpen.id] = true; }

  // ---- small DOM helpers ------------------------------------------------------------------

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    setAttrs(node, attrs);
    append(node, children);
    return node;
  }

  function svg(tag, attrs, children) {
    var node = document.createElementNS(SVG, tag);
    setAttrs(node, attrs);
    append(node, children);
    return node;
  }

  function setAttrs(node, attrs) {
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value === null || value === undefined || value === false) { return; }
      if (key === "text") { node.textContent = String(value); } else { node.setAttribute(key, String(value)); }
    });
  }

  function append(node, children) {
    (children || []).forEach(function (child) {
      if (child === null || child === undefined || child === false) { return; }
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
  }

  function pretty(value) {
    if (value === undefined) { return ""; }
    if (typeof value === "string") { return value; }
    return JSON.stringify(value, null, 2);
  }

  function compact(value) {
    var text = typeof value === "string" ? value : JSON.stringify(value);
    return text === undefined ? "" : text;
  }

  function percent(rate) {
    return rate === null || rate === undefined ? "n/a" : Math.round(rate * 100) + "%";
  }

  // ---- filters ------------------------------------------------------------------------------

  function fillOptions() {
    corpusNames.forEach(function (name) { els.corpus.appendChild(el("option", { value: name, text: name })); });
    var families = {};
    cases.forEach(function (c) { families[c.family] = true; });
    var names = FAMILY_ORDER.filter(function (f) { return families[f]; });
    Object.keys(families).sort().forEach(function (f) { if (names.indexOf(f) < 0) { names.push(f); } });
    names.forEach(function (f) { els.family.appendChild(el("option", { value: f, text: f })); });
  }

  var haystacks = {};
  function haystack(c) {
    if (!(c.id in haystacks)) {
      var parts = [c.id, c.status, c.oracle || "", c.operator, c.message || "", c.xfail || ""];
      (c.findings || []).forEach(function (f) {
        parts.push(f.oracle, f.message, f.path, f.expected, f.got, f.evidence);
      });
      (c.actions || []).forEach(function (a) { parts.push(a.name, a.evidence); });
      haystacks[c.id] = parts.join("\n").toLowerCase();
    }
    return haystacks[c.id];
  }

  function matches(c) {
    if (els.corpus.value && c.corpus !== els.corpus.value) { return false; }
    if (els.family.value && c.family !== els.family.value) { return false; }
    var outcome = els.outcome.value;
    if (outcome === "not-passed" && c.status === "passed") { return false; }
    if (outcome && outcome !== "not-passed" && c.status !== outcome) { return false; }
    var words = els.text.value.toLowerCase().split(/\s+/).filter(Boolean);
    var text = words.length ? haystack(c) : "";
    return words.every(function (w) { return text.indexOf(w) >= 0; });
  }

  // ---- chart --------------------------------------------------------------------------------

  function groupBy(list, key, order) {
    var groups = {};
    list.forEach(function (c) {
      var g = groups[c[key]] || (groups[c[key]] = { key: c[key], passed: 0, failed: 0, error: 0, quarantined: 0, total: 0 });
      if (c.status === "xfailed" || c.status === "xpassed") { g.quarantined += 1; } else { g[c.status] += 1; }
      g.total += 1;
    });
    var keys = (order || []).filter(function (k) { return groups[k]; });
    Object.keys(groups).sort().forEach(function (k) { if (keys.indexOf(k) < 0) { keys.push(k); } });
    return keys.map(function (k) {
      var g = groups[k];
      var judged = g.passed + g.failed + g.error;
      g.rate = judged ? g.passed / judged : null;
      return g;
    });
  }

  function drawChart(host, dimension, groups, onPick) {
    var old = host.querySelector("svg, .empty-note, table");
    while (old) { old.remove(); old = host.querySelector("svg, .empty-note, table"); }
    if (!groups.length) {
      host.appendChild(el("p", { "class": "empty-note hint", text: "No case matches the filters." }));
      return;
    }
    var W = 620, labelW = 170, barX = 180, barW = 300, rowH = 26, top = 6;
    var H = top * 2 + rowH * groups.length;
    var root = svg("svg", {
      viewBox: "0 0 " + W + " " + H, width: W, height: H, role: "group",
      "aria-label": "Pass rate by " + dimension, "data-chart": dimension
    });
    groups.forEach(function (g, i) {
      var y = top + i * rowH;
      var summary = g.key + ": " + g.passed + " of " + (g.passed + g.failed + g.error) + " judged cases passed (" +
        percent(g.rate) + ")" + (g.quarantined ? ", " + g.quarantined + " quarantined" : "");
      var bar = svg("g", {
        "class": "bar", "data-key": g.key, "data-passed": g.passed, "data-failed": g.failed,
        "data-error": g.error, "data-quarantined": g.quarantined, "data-total": g.total,
        "data-rate": g.rate === null ? "" : g.rate.toFixed(4),
        tabindex: onPick ? 0 : null, role: onPick ? "button" : null, "aria-label": summary
      }, [svg("title", { text: summary })]);
      var label = g.key.length > 24 ? g.key.slice(0, 23) + "…" : g.key;
      bar.appendChild(svg("text", { "class": "label", x: labelW, y: y + 17, text: label }));
      bar.appendChild(svg("rect", { "class": "track", x: barX, y: y + 4, width: barW, height: rowH - 8, rx: 3 }));
      var x = barX;
      [["passed", g.passed], ["failed", g.failed], ["error", g.error], ["quarantined", g.quarantined]].forEach(function (seg) {
        if (!seg[1]) { return; }
        var w = barW * seg[1] / g.total;
        bar.appendChild(svg("rect", {
          "class": "seg seg-" + seg[0], "data-segment": seg[0], x: x.toFixed(2), y: y + 4,
          width: w.toFixed(2), height: rowH - 8
        }));
        x += w;
      });
      bar.appendChild(svg("text", {
        "class": "value", x: barX + barW + 8, y: y + 17,
        text: percent(g.rate) + " · " + g.passed + "/" + (g.passed + g.failed + g.error)
      }));
      if (onPick) {
        bar.addEventListener("click", function () { onPick(g.key); });
        bar.addEventListener("keydown", function (event) {
          if (event.key === "Enter" || event.key === " ") { event.preventDefault(); onPick(g.key); }
        });
      }
      root.appendChild(bar);
    });
    host.appendChild(root);
    // The same numbers as a table, for screen readers.
    var rows = groups.map(function (g) {
      return el("tr", {}, [el("th", { scope: "row", text: g.key }), el("td", { text: g.passed }),
        el("td", { text: g.failed }), el("td", { text: g.error }), el("td", { text: g.quarantined }),
        el("td", { text: percent(g.rate) })]);
    });
    host.appendChild(el("table", { "class": "chart-table" }, [
      el("caption", { text: "Cases by " + dimension }),
      el("thead", {}, [el("tr", {}, ["", "passed", "failed", "errors", "quarantined", "pass rate"].map(function (h) {
        return el("th", { scope: "col", text: h });
      }))]),
      el("tbody", {}, rows)
    ]));
  }

  function pickFamily(key) {
    els.family.value = els.family.value === key ? "" : key;
    apply();
  }

  function pickOperator(key) {
    els.text.value = key;
    apply();
  }

  // ---- cases --------------------------------------------------------------------------------

  function badge(kind, text) { return el("span", { "class": "badge " + kind, text: text || kind }); }

  function gist(c) {
    if (c.message) { return c.message; }
    var failing = (c.findings || []).filter(function (f) { return f.fails; });
    if (failing.length) {
      var f = failing[0];
      return f.oracle + ": " + f.message + (f.path ? " at " + f.path : "") +
        (failing.length > 1 ? " (+" + (failing.length - 1) + " more)" : "");
    }
    if (c.xfail) { return "quarantined: " + c.xfail; }
    return "";
  }

  function caseItem(c) {
    var runs = c.runs > 1 ? c.passes + "/" + c.runs + " runs passed" : null;
    var summary = el("summary", {}, [
      badge(c.status, STATUS_TEXT[c.status]),
      el("code", { "class": "id", text: c.id }),
      c.oracle ? el("span", { "class": "meta", text: "oracle " + c.oracle }) : null,
      runs ? el("span", { "class": "meta", text: runs }) : null,
      gist(c) ? el("span", { "class": "gist", text: gist(c) }) : null
    ]);
    var details = el("details", {}, [summary]);
    var item = el("li", { "class": "case", "data-id": c.id, "data-status": c.status, "data-corpus": c.corpus,
      "data-family": c.family }, [details]);
    details.addEventListener("toggle", function () {
      if (details.open) { openIds[c.id] = true; ensureBody(details, c); } else { delete openIds[c.id]; }
    });
    if (openIds[c.id]) { details.open = true; ensureBody(details, c); }
    return item;
  }

  function ensureBody(details, c) {
    if (!details.querySelector(".case-body")) { details.appendChild(caseBody(c)); }
  }

  function table(cls, head, rows) {
    return el("table", { "class": cls }, [
      el("thead", {}, [el("tr", {}, head.map(function (h) { return el("th", { scope: "col", text: h }); }))]),
      el("tbody", {}, rows)
    ]);
  }

  function cell(content, cls) {
    var td = el("td", { "class": cls || null });
    append(td, [typeof content === "string" ? content : content]);
    return td;
  }

  function section(title, cls, children) {
    return el("section", { "class": "part " + cls, "aria-label": title }, [el("h4", { text: title })].concat(children));
  }

  function caseBody(c) {
    var body = el("div", { "class": "case-body" });
    var facts = ["corpus " + c.corpus, "sample " + c.sample_id, "mutation " + c.mutation, "seed " + c.seed];
    if (c.runs > 1) { facts.push(c.passes + " of " + c.runs + " runs passed (" + percent(c.pass_rate) + ")"); }
    if (typeof c.duration_s === "number") { facts.push(c.duration_s.toFixed(2) + " s per run"); }
    body.appendChild(el("p", { "class": "meta", text: facts.join(" · ") }));
    if (c.message) { body.appendChild(el("p", { "class": "message", text: c.message })); }
    if (c.xfail) { body.appendChild(el("p", { "class": "meta", text: "Quarantined (xfail): " + c.xfail })); }
    body.appendChild(el("p", { "class": "meta" }, ["Reproduce: ", el("code", { text: "pytest -k '" + c.id + "'" })]));

    var findings = c.findings || [];
    if (findings.length) {
      body.appendChild(section("Findings", "findings", [table("findings", ["oracle", "path", "expected", "got", "evidence", ""],
        findings.map(function (f) {
          return el("tr", { "data-fails": f.fails ? "1" : "0" }, [
            cell(f.oracle), cell(el("code", { text: f.path || "—" })), cell(f.expected), cell(f.got),
            cell((f.message ? f.message : "") + (f.evidence ? " — " + f.evidence : "")),
            cell(badge(f.fails ? "fails" : "reported", f.fails ? "fails" : "reported"))
          ]);
        }))]));
    }
    if (c.error) {
      body.appendChild(section("Agent error", "agent-error", [el("pre", {
        text: c.error.type + ": " + c.error.message + (c.error.frame ? "\n  at " + c.error.frame : "") +
          (c.error.delivery ? "\n  (delivery " + (c.error.delivery + 1) + ")" : "")
      })]));
    }
    if (c.timed_out) { body.appendChild(el("p", { "class": "message", text: "The agent did not return within its timeout." })); }

    if (c.input_diff && c.input_diff.length) {
      var diff = el("pre", { "class": "diff" });
      c.input_diff.forEach(function (line) {
        var cls = /^(\+\+\+|---)/.test(line) ? "hunk" : line.charAt(0) === "+" ? "add" : line.charAt(0) === "-" ? "del" :
          /^@@/.test(line) ? "hunk" : null;
        diff.appendChild(el("span", { "class": cls, text: line + "\n" }));
      });
      body.appendChild(section("Input diff against the original", "input-diff", [diff]));
    }
    if (c.inputs && c.inputs.length) {
      var inputs = el("details", {}, [el("summary", { text: c.inputs.length > 1 ? "Delivered inputs (" + c.inputs.length + ")" : "Delivered input" })]);
      c.inputs.forEach(function (input, i) {
        if (c.inputs.length > 1) { inputs.appendChild(el("p", { "class": "meta", text: "delivery " + (i + 1) })); }
        inputs.appendChild(el("pre", { "class": "json", text: pretty(input) }));
      });
      body.appendChild(section("Input", "inputs", [inputs]));
    }
    if (c.outputs) {
      var outs = c.outputs.length ? c.outputs.map(function (output, i) {
        var label = c.outputs.length > 1 ? [el("p", { "class": "meta", text: "delivery " + (i + 1) + (i === c.outputs.length - 1 ? " (judged)" : "") })] : [];
        return el("div", {}, label.concat([el("pre", { "class": "json output", text: pretty(output) })]));
      }) : [el("p", { "class": "meta", text: "No output." })];
      body.appendChild(section(c.outputs.length > 1 ? "Outputs" : "Output", "outputs", outs));
    }
    var actions = c.actions || [];
    if (actions.length) {
      body.appendChild(section("Actions and policy verdicts", "actions", [table("actions",
        ["#", "delivery", "source", "action", "args", "status", "policy mode", "verdict", "evidence"],
        actions.map(function (a) {
          var mode = a.mode ? el("span", { "class": "mode-" + a.mode, text: a.mode + (a.rule ? " (" + a.rule + ")" : "") }) : "—";
          return el("tr", { "data-action": a.name, "data-verdict": a.verdict }, [
            cell(String(a.seq)), cell(String(a.delivery + 1)), cell(a.source), cell(el("code", { text: a.name })),
            cell(el("code", { text: compact(a.args) })), cell(a.status + (a.http_status ? " (" + a.http_status + ")" : "")),
            cell(mode), cell(badge(a.verdict)), cell(a.evidence)
          ]);
        }))]));
    } else if (c.outputs) {
      body.appendChild(section("Actions and policy verdicts", "actions", [el("p", { "class": "meta", text: "No action." })]));
    }
    if (c.traffic) {
      body.appendChild(section("Recorded interactions", "traffic", c.traffic.length ? [table("traffic",
        ["#", "delivery", "request", "status", "fault / error", "bodies"],
        c.traffic.map(function (t) {
          var bodies = el("details", {}, [el("summary", { text: "request / response" }),
            el("p", { "class": "meta", text: "request" }), el("pre", { text: pretty(t.request) || "(empty)" }),
            el("p", { "class": "meta", text: "response" }), el("pre", { text: pretty(t.response) || "(empty)" })]);
          return el("tr", { "data-seq": t.seq }, [
            cell(String(t.seq)), cell(String(t.delivery + 1)), cell(el("code", { text: t.line })),
            cell(t.status === null ? "—" : String(t.status)),
            cell([t.fault ? "fault " + t.fault : "", t.error || ""].filter(Boolean).join("; ") || "—"), cell(bodies)
          ]);
        }))] : [el("p", { "class": "meta", text: "No connector traffic." })]));
    }
    if (!c.outputs && c.status === "passed") {
      body.appendChild(el("p", { "class": "meta", text: "Inputs, outputs and traffic are kept for cases that did not pass." }));
    }
    return body;
  }

  // ---- putting it together -----------------------------------------------------------------

  function apply(keepLimit) {
    if (!keepLimit) { limit = PAGE; }
    var shown = ordered.filter(matches);
    var list = els.list;
    while (list.firstChild) { list.removeChild(list.firstChild); }
    shown.slice(0, limit).forEach(function (c) { list.appendChild(caseItem(c)); });
    els.shown.textContent = "Showing " + Math.min(limit, shown.length) + " of " + shown.length +
      " matching cases (" + cases.length + " in the report).";
    els.more.hidden = shown.length <= limit;
    drawChart(els.chartFamily, "family", groupBy(shown, "family", FAMILY_ORDER), pickFamily);
    drawChart(els.chartOperator, "operator", groupBy(shown, "operator", ["original"]), pickOperator);
    var active = els.family.value;
    Array.prototype.forEach.call(els.chartFamily.querySelectorAll(".bar"), function (bar) {
      bar.classList.toggle("active", bar.getAttribute("data-key") === active);
    });
  }

  fillOptions();
  els.form.addEventListener("submit", function (event) { event.preventDefault(); });
  els.form.addEventListener("reset", function () { setTimeout(function () { apply(); }, 0); });
  [els.corpus, els.family, els.outcome].forEach(function (s) { s.addEventListener("change", function () { apply(); }); });
  els.text.addEventListener("input", function () { apply(); });
  els.more.addEventListener("click", function () { limit += PAGE; apply(true); });
  apply();

  // ---- self-test: #selftest=<JSON>, used by the browser test -----------------------------
  // Drives the real controls (value + the events a user's input fires) and writes what the page
  // then shows into <pre id="selftest-result">, so a headless browser's DOM dump can be checked.

  function tick() { return new Promise(function (resolve) { setTimeout(resolve, 0); }); }

  function snapshot() {
    var bars = {};
    [["family", els.chartFamily], ["operator", els.chartOperator]].forEach(function (pair) {
      bars[pair[0]] = Array.prototype.map.call(pair[1].querySelectorAll(".bar"), function (bar) {
        var passed = bar.querySelector(".seg-passed");
        return {
          key: bar.getAttribute("data-key"), passed: +bar.getAttribute("data-passed"),
          failed: +bar.getAttribute("data-failed"), error: +bar.getAttribute("data-error"),
          quarantined: +bar.getAttribute("data-quarantined"), total: +bar.getAttribute("data-total"),
          passed_width: passed ? +passed.getAttribute("width") : 0
        };
      });
    });
    return {
      visible: Array.prototype.map.call(els.list.querySelectorAll(".case"), function (li) { return li.getAttribute("data-id"); }),
      shown: els.shown.textContent, bars: bars
    };
  }

  function openCase(id) {
    var item = Array.prototype.filter.call(els.list.querySelectorAll(".case"), function (li) {
      return li.getAttribute("data-id") === id;
    })[0];
    if (!item) { return null; }
    var details = item.querySelector("details");
    details.open = true;
    return details;
  }

  function describeCase(details) {
    var body = details.querySelector(".case-body");
    if (!body) { return { rendered: false }; }
    function rows(sel) {
      return Array.prototype.map.call(body.querySelectorAll(sel + " tbody tr"), function (tr) {
        return Array.prototype.map.call(tr.children, function (td) { return td.textContent; });
      });
    }
    return {
      rendered: true,
      sections: Array.prototype.map.call(body.querySelectorAll("section.part > h4"), function (h) { return h.textContent; }),
      findings: rows("table.findings"), actions: rows("table.actions"), traffic: rows("table.traffic"),
      diff: (body.querySelector(".diff") || {}).textContent || "",
      outputs: Array.prototype.map.call(body.querySelectorAll("pre.output"), function (p) { return p.textContent; })
    };
  }

  async function selftest(spec) {
    var result = { scenarios: [], opened: {}, keyboard: {}, errors: [] };
    var controls = [els.corpus, els.family, els.outcome, els.text, document.getElementById("f-reset")];
    controls.forEach(function (control) {
      control.focus();
      result.keyboard[control.id] = document.activeElement === control;
    });
    for (var i = 0; i < (spec.scenarios || []).length; i++) {
      var s = spec.scenarios[i];
      els.corpus.value = s.corpus || "";
      els.family.value = s.family || "";
      els.outcome.value = s.outcome || "";
      els.corpus.dispatchEvent(new Event("change"));
      els.family.dispatchEvent(new Event("change"));
      els.outcome.dispatchEvent(new Event("change"));
      els.text.value = s.q || "";
      els.text.dispatchEvent(new Event("input"));
      await tick();
      result.scenarios.push(snapshot());
    }
    els.form.reset();
    await tick();
    await tick();
    // Keyboard: Enter on a focused family bar filters by that family.
    var bar = els.chartFamily.querySelector(".bar[data-key='" + (spec.press_family || "") + "']");
    if (bar) {
      bar.focus();
      result.keyboard.bar_focus = document.activeElement === bar;
      bar.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
      await tick();
      result.keyboard.bar_filter = els.family.value;
      result.keyboard.after_bar = snapshot().visible;
      els.form.reset();
      await tick();
      await tick();
    }
    var summary = els.list.querySelector("summary");
    if (summary) { summary.focus(); result.keyboard.summary = document.activeElement === summary; }
    for (var j = 0; j < (spec.open || []).length; j++) {
      var details = openCase(spec.open[j]);
      await tick();
      result.opened[spec.open[j]] = details ? describeCase(details) : { rendered: false, missing: true };
    }
    result.default_open = Array.prototype.map.call(els.list.querySelectorAll("details[open]"), function (d) {
      return d.parentNode.getAttribute("data-id");
    });
    return result;
  }

  var errors = [];
  window.addEventListener("error", function (event) { errors.push(String(event.message)); });
  var hash = decodeURIComponent(window.location.hash || "");
  if (hash.indexOf("#selftest") === 0) {
    var spec = {};
    try { spec = JSON.parse(hash.slice("#selftest=".length) || "{}"); } catch (e) { errors.push("bad selftest spec: " + e); }
    selftest(spec).then(function (result) {
      result.errors = errors;
      document.body.appendChild(el("pre", { id: "selftest-result", hidden: "hidden", text: JSON.stringify(result) }));
    }, function (error) {
      document.body.appendChild(el("pre", { id: "selftest-result", hidden: "hidden", text: JSON.stringify({ crash: String(error && error.stack || error) }) }));
    });
  }
}());
