(function () {
  "use strict";
  // Filters the finding cards and renders the two tables (every finding, every posture
  // weakness) from the page's data block. Reads only text, data attributes and that data;
  // writes only `hidden`, `textContent` and attributes of its own: nothing here turns report
  // content into markup.
  var Table = ECSReportTable;
  var el = Table.el;
  // Field positions: reporters/html_data.py FINDING, INSTANCE, ENTRY and TRAIT.
  var F = {id: 0, severity: 1, status: 2, state: 3, previous: 4, kind: 5, name: 6, cluster: 7,
           account: 8, region: 9, arn: 10, likelihood: 11, impact: 12, reach: 13, title: 14,
           why: 15, fix: 16, reasons: 17, instances: 18, missing: 19, tds: 20, card: 21};
  var FINDING_STRINGS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17];
  var I = {trait: 0, resource: 1, pointer: 2, container: 3, detail: 4, file: 5, line: 6,
           column: 7, severity: 8, status: 9, note: 10, inFinding: 11};
  var INSTANCE_STRINGS = [1, 2, 3, 4, 5, 8, 9, 10];
  var E = {kind: 0, name: 1, cluster: 2, arn: 3, finding: 4, instances: 5};
  var T = {id: 0, title: 1, category: 2, contextual: 3};
  var SEVERITIES = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL"];
  var LEVELS = ["very high", "high", "moderate", "medium", "low"];
  var REACH = ["internet", "potential", "internal"];

  function rank(list, value) {
    var index = list.indexOf(value);
    return index < 0 ? list.length : index;
  }

  var cards = Array.prototype.slice.call(document.querySelectorAll("article.card"));
  var boxes = Array.prototype.slice.call(document.querySelectorAll("input.f-severity"));
  var tiles = Array.prototype.slice.call(document.querySelectorAll("button.tile"));
  var trait = document.getElementById("f-trait");
  var cluster = document.getElementById("f-cluster");
  var search = document.getElementById("f-search");
  var shown = document.getElementById("f-shown");
  var none = document.getElementById("f-none");
  var texts = cards.map(function (card) {
    return card.textContent.toLowerCase().replace(/\s+/g, " ");
  });
  var data = null;
  var S = [];
  var findings = null;
  var posture = null;

  // --- the data: strings of a finding and of a posture row, for the search ---------------

  function instanceStrings(out, position) {
    var inst = data.i[position];
    var spec = data.traits[inst[I.trait]];
    out.push(spec[T.id], spec[T.title]);
    INSTANCE_STRINGS.forEach(function (field) { out.push(inst[field]); });
  }

  var findingStrings = [];
  function stringsOfFinding(index) {
    if (!findingStrings[index]) {
      var f = data.f[index];
      var out = FINDING_STRINGS.map(function (field) { return f[field]; });
      out = out.concat(f[F.missing], f[F.tds]);
      f[F.instances].forEach(function (position) { instanceStrings(out, position); });
      findingStrings[index] = out;
    }
    return findingStrings[index];
  }

  function matchesAll(strings, wanted, matcher) {
    return wanted.every(function (term) {
      var hits = matcher.hits(term);
      return strings.some(function (k) { return hits[k] === 1; });
    });
  }

  // --- the finding filters: the cards and the findings table ------------------------------

  function apply() {
    var severities = {};
    boxes.forEach(function (box) { if (box.checked) { severities[box.value] = true; } });
    var wantedTrait = trait.value;
    var wantedCluster = cluster.value;
    var wanted = Table.terms(search);
    var count = 0;
    if (!findings) {          // before the data is read (or if it cannot be): the cards' text
      cards.forEach(function (card, index) {
        var visible = severities[card.dataset.severity] === true &&
          (!wantedTrait || card.dataset.traits.split(" ").indexOf(wantedTrait) >= 0) &&
          (!wantedCluster || card.dataset.cluster === wantedCluster) &&
          wanted.every(function (term) { return texts[index].indexOf(term) >= 0; });
        card.hidden = !visible;
        if (visible) { count += 1; }
      });
      shown.textContent = String(count);
      none.hidden = count > 0 || cards.length === 0;
      return;
    }
    var noCluster = cluster.dataset.none;
    var matching = [];
    data.f.forEach(function (f, index) {
      var visible = severities[S[f[F.severity]]] === true &&
        (!wantedCluster || (S[f[F.cluster]] || noCluster) === wantedCluster) &&
        (!wantedTrait || f[F.instances].some(function (position) {
          return S[data.traits[data.i[position][I.trait]][T.id]] === wantedTrait;
        })) &&
        (!wanted.length || matchesAll(stringsOfFinding(index), wanted, findings.matcher));
      if (visible) { matching.push(index); }
    });
    var visible = new Set(matching);
    cards.forEach(function (card) { card.hidden = !visible.has(Number(card.dataset.index)); });
    shown.textContent = String(matching.length);
    none.hidden = matching.length > 0 || cards.length === 0;
    findings.table.show(matching);
  }

  function only(severity) {
    var already = boxes.every(function (box) { return box.checked === (box.value === severity); });
    boxes.forEach(function (box) { box.checked = already || box.value === severity; });
    apply();
  }

  function resetFindings() {
    boxes.forEach(function (box) { box.checked = true; });
    trait.value = "";
    cluster.value = "";
    search.value = "";
    apply();
  }

  if (trait) {
    boxes.forEach(function (box) { box.addEventListener("change", apply); });
    tiles.forEach(function (tile) {
      tile.addEventListener("click", function () { only(tile.dataset.only); });
    });
    trait.addEventListener("change", apply);
    cluster.addEventListener("change", apply);
    search.addEventListener("input", apply);
    document.getElementById("f-reset").addEventListener("click", resetFindings);
  }

  // --- rendering: a trait, a finding row and its details, a posture row and its details ---

  function badge(severity) {
    return el("span", "badge sev-" + severity.toLowerCase(), severity);
  }

  function cell(tr, className) {
    var td = el("td", className);
    tr.appendChild(td);
    return td;
  }

  function where(inst, container) {
    var p = el("p", "where");
    if (container && S[inst[I.container]]) {
      p.appendChild(document.createTextNode("container "));
      p.appendChild(el("b", "", S[inst[I.container]]));
      p.appendChild(document.createTextNode(" · "));
    }
    p.appendChild(el("span", "res", S[inst[I.resource]]));
    p.appendChild(document.createTextNode(" "));
    p.appendChild(el("code", "", S[inst[I.pointer]]));
    if (S[inst[I.file]]) {
      p.appendChild(el("br"));
      p.appendChild(el("span", "loc", S[inst[I.file]] +
        (inst[I.line] ? ":" + inst[I.line] + ":" + inst[I.column] : "")));
    }
    return p;
  }

  // "How to fix": each trait's guidance is in the page once, as a <template> the server
  // rendered (id "guide-<trait>"); a folded section gets a copy when it is first opened.
  function fill(details) {
    var id = details.dataset.guide;
    if (!id || details.dataset.filled) { return; }
    var guide = document.getElementById("guide-" + id);
    if (guide) { details.appendChild(guide.content.cloneNode(true)); }
    details.dataset.filled = "true";
  }

  function howToFix(spec) {
    var details = el("details", "fix-trait");
    details.appendChild(el("summary", "", "How to fix"));
    details.dataset.guide = S[spec[T.id]];
    fill(details);
    return details;
  }

  document.addEventListener("click", function (event) {
    var summary = event.target.closest("details.fix-trait > summary");
    if (summary) { fill(summary.parentElement); }
  }, true);
  document.addEventListener("toggle", function (event) {
    if (event.target.matches && event.target.matches("details.fix-trait")) { fill(event.target); }
  }, true);

  function traitItem(position) {
    var inst = data.i[position];
    var spec = data.traits[inst[I.trait]];
    var li = el("li", "trait cat-" + S[spec[T.category]] + (spec[T.contextual] ? " contextual" : ""));
    var head = el("div", "trait-head");
    head.appendChild(el("code", "trait-id", S[spec[T.id]]));
    head.appendChild(el("span", "cat", S[spec[T.category]]));
    if (spec[T.contextual]) { head.appendChild(el("span", "ctx", "contextual")); }
    var suppressed = S[inst[I.status]] === "suppressed";
    if (suppressed) { head.appendChild(el("span", "status status-suppressed", "suppressed")); }
    head.appendChild(el("span", "trait-title", S[spec[T.title]]));
    li.appendChild(head);
    if (suppressed) { li.appendChild(el("p", "suppression", "Suppressed: " + S[inst[I.note]])); }
    li.appendChild(el("p", "detail", S[inst[I.detail]]));
    li.appendChild(where(inst, true));
    li.appendChild(howToFix(spec));
    return li;
  }

  function findingRow(index) {
    var f = data.f[index];
    var severity = S[f[F.severity]];
    var tr = el("tr", "f-row sev-" + severity.toLowerCase() + " status-" + S[f[F.status]]);
    tr.dataset.severity = severity;
    tr.dataset.id = S[f[F.id]];
    cell(tr).appendChild(badge(severity));
    var resource = cell(tr, "name-cell");
    resource.appendChild(el("span", "kind", S[f[F.kind]]));
    resource.appendChild(document.createTextNode(" "));
    resource.appendChild(el("b", "name", S[f[F.name]]));
    cell(tr).textContent = S[f[F.cluster]];
    cell(tr, "title-cell").textContent = S[f[F.title]];
    cell(tr).textContent = S[f[F.likelihood]];
    cell(tr).textContent = S[f[F.impact]];
    cell(tr, "num").textContent = String(f[F.instances].length);
    var state = cell(tr);
    if (S[f[F.status]] === "suppressed") {
      state.appendChild(el("span", "status status-suppressed", "suppressed"));
    }
    if (S[f[F.state]]) {
      var chip = el("span", "state state-" + S[f[F.state]], S[f[F.state]]);
      chip.title = S[f[F.previous]];
      state.appendChild(chip);
    }
    if (!state.firstChild) { state.textContent = S[f[F.status]]; }
    return tr;
  }

  function findingDetail(index) {
    var f = data.f[index];
    var box = el("div", "row-detail");
    if (f[F.card]) {
      var back = el("a", "to-card", "Shown in full above, with its attack path");
      back.href = "#finding-" + S[f[F.id]];
      box.appendChild(back);
    }
    var meta = el("p", "meta");
    [S[f[F.kind]] + " " + S[f[F.name]], S[f[F.cluster]] && "cluster " + S[f[F.cluster]],
     S[f[F.account]] && "account " + S[f[F.account]], S[f[F.region]],
     "likelihood " + S[f[F.likelihood]] + " × impact " + S[f[F.impact]],
     S[f[F.reach]]].filter(Boolean).forEach(function (part, n) {
      if (n) { meta.appendChild(el("span", "sep", "·")); }
      meta.appendChild(document.createTextNode(part));
    });
    box.appendChild(meta);
    if (S[f[F.arn]]) { box.appendChild(el("p", "res", S[f[F.arn]])); }
    if (S[f[F.status]] === "suppressed") {
      box.appendChild(el("p", "suppression", "Suppressed: " + S[f[F.reasons]]));
    }
    box.appendChild(el("p", "why", S[f[F.why]]));
    var own = [];
    var context = [];
    f[F.instances].forEach(function (position) {
      var spec = data.traits[data.i[position][I.trait]];
      (spec[T.contextual] ? context : own).push(position);
    });
    var traits = el("section", "traits");
    var heading = el("h3", "", "Traits ");
    heading.appendChild(el("span", "n", String(own.length + context.length)));
    traits.appendChild(heading);
    var list = el("ul");
    own.forEach(function (position) { list.appendChild(traitItem(position)); });
    traits.appendChild(list);
    if (context.length) {
      var folded = el("details", "context");
      folded.appendChild(el("summary", "", context.length + " contextual trait" +
        (context.length === 1 ? "" : "s") +
        " (listed for context; they do not create a finding on their own)"));
      var more = el("ul");
      context.forEach(function (position) { more.appendChild(traitItem(position)); });
      folded.appendChild(more);
      traits.appendChild(folded);
    }
    box.appendChild(traits);
    var fix = el("footer", "fix");
    fix.appendChild(el("h3", "", "Fix"));
    fix.appendChild(el("p", "", S[f[F.fix]]));
    if (f[F.missing].length) {
      fix.appendChild(el("p", "missing", "Not checked (inputs missing): " +
        f[F.missing].map(function (k) { return S[k]; }).join(", ")));
    }
    if (f[F.tds].length) {
      var tds = el("p", "tds", "Task definition" + (f[F.tds].length === 1 ? "" : "s") + ": ");
      f[F.tds].forEach(function (k, n) {
        if (n) { tds.appendChild(document.createTextNode(", ")); }
        tds.appendChild(el("code", "", S[k]));
      });
      fix.appendChild(tds);
    }
    box.appendChild(fix);
    return box;
  }

  function findingKey(column, index) {
    var f = data.f[index];
    switch (column) {
      case "severity": return rank(SEVERITIES, S[f[F.severity]]);
      case "name": return S[f[F.name]].toLowerCase();
      case "cluster": return S[f[F.cluster]].toLowerCase();
      case "title": return S[f[F.title]].toLowerCase();
      case "likelihood": return rank(LEVELS, S[f[F.likelihood]]);
      case "impact": return rank(LEVELS, S[f[F.impact]]);
      case "traits": return -f[F.instances].length;
      case "reach": return rank(REACH, S[f[F.reach]]);
      default: return S[f[F.status]] + " " + S[f[F.state]];
    }
  }

  // --- the posture table -------------------------------------------------------------------

  function setUpPosture() {
    var rows = [];
    data.p.forEach(function (entry, e) {
      entry[E.instances].forEach(function (position) { rows.push([e, position]); });
    });
    var severityOf = function (row) { return rank(SEVERITIES, S[data.i[row[1]][I.severity]]); };
    var order = rows.map(function (row, n) { return n; });
    order.sort(function (a, b) { return severityOf(rows[a]) - severityOf(rows[b]) || a - b; });
    rows = order.map(function (n) { return rows[n]; });     // worst first, else posture order
    var matcher = new Table.Matcher(S);
    var table = new Table.PagedTable(
      document.getElementById("p-table"), document.querySelector("#posture .pager"), {
        size: rows.length, label: "weaknesses",
        row: function (n) { return postureRow(rows[n]); },
        detail: function (n) { return postureDetail(rows[n]); },
        key: function (column, n) { return postureKey(column, rows[n]); },
      });
    return {rows: rows, table: table, matcher: matcher, strings: []};
  }

  function postureRow(row) {
    var entry = data.p[row[0]];
    var inst = data.i[row[1]];
    var spec = data.traits[inst[I.trait]];
    var severity = S[inst[I.severity]];
    var kind = S[entry[E.kind]];
    var tr = el("tr", "p-row sev-" + severity.toLowerCase());
    tr.dataset.severity = severity;
    tr.dataset.kind = kind;
    tr.dataset.trait = S[spec[T.id]];
    tr.dataset.finding = inst[I.inFinding] ? "finding" : "none";
    cell(tr).appendChild(badge(severity));
    var resource = cell(tr);
    resource.appendChild(el("span", "kind", kind));
    resource.appendChild(document.createTextNode(" "));
    resource.appendChild(el("b", "", S[entry[E.name]]));
    if (S[entry[E.cluster]] && kind === "service") {
      resource.appendChild(el("br"));
      resource.appendChild(el("span", "meta", "cluster " + S[entry[E.cluster]]));
    }
    var weakness = cell(tr);
    weakness.appendChild(el("code", "trait-id", S[spec[T.id]]));
    if (spec[T.contextual]) {
      weakness.appendChild(document.createTextNode(" "));
      weakness.appendChild(el("span", "ctx", "contextual"));
    }
    if (S[inst[I.status]] === "suppressed") {
      weakness.appendChild(document.createTextNode(" "));
      var chip = el("span", "status status-suppressed", "suppressed");
      chip.title = S[inst[I.note]];
      weakness.appendChild(chip);
    }
    weakness.appendChild(el("br"));
    weakness.appendChild(el("span", "trait-title", S[spec[T.title]]));
    var evidence = cell(tr);
    evidence.appendChild(document.createTextNode(S[inst[I.detail]]));
    if (S[inst[I.container]]) {
      evidence.appendChild(el("br"));
      evidence.appendChild(el("span", "meta", "container " + S[inst[I.container]]));
    }
    var place = where(inst, false);
    var at = cell(tr);
    while (place.firstChild) { at.appendChild(place.firstChild); }
    return tr;
  }

  function postureDetail(row) {
    var entry = data.p[row[0]];
    var inst = data.i[row[1]];
    var spec = data.traits[inst[I.trait]];
    var box = el("div", "row-detail");
    var head = el("p", "trait-head");
    head.appendChild(el("span", "cat cat-" + S[spec[T.category]], S[spec[T.category]]));
    head.appendChild(el("span", "trait-title", S[spec[T.title]]));
    box.appendChild(head);
    box.appendChild(el("p", "res", S[entry[E.arn]]));
    if (S[inst[I.status]] === "suppressed") {
      box.appendChild(el("p", "suppression", "Suppressed: " + S[inst[I.note]]));
    }
    var id = S[entry[E.finding]];
    var index = findings && id ? findings.byId.get(id) : undefined;
    if (index !== undefined) {
      var part = el("p", "in-finding", "Part of the finding “" + S[data.f[index][F.title]] + "” ");
      var go = el("button", "show-finding", "Show the finding");
      go.type = "button";
      go.dataset.index = String(index);
      part.appendChild(go);
      box.appendChild(part);
    }
    var fix = howToFix(spec);
    fix.open = true;
    box.appendChild(fix);
    return box;
  }

  function postureKey(column, row) {
    var entry = data.p[row[0]];
    var inst = data.i[row[1]];
    switch (column) {
      case "severity": return rank(SEVERITIES, S[inst[I.severity]]);
      case "name": return (S[entry[E.kind]] + " " + S[entry[E.name]]).toLowerCase();
      case "trait": return S[data.traits[inst[I.trait]][T.id]];
      case "detail": return S[inst[I.detail]].toLowerCase();
      default: return (S[inst[I.resource]] + " " + S[inst[I.pointer]]).toLowerCase();
    }
  }

  function postureStrings(n) {
    if (!posture.strings[n]) {
      var row = posture.rows[n];
      var entry = data.p[row[0]];
      var out = [entry[E.kind], entry[E.name], entry[E.cluster], entry[E.arn]];
      instanceStrings(out, row[1]);
      posture.strings[n] = out;
    }
    return posture.strings[n];
  }

  var pBoxes = Array.prototype.slice.call(document.querySelectorAll("input.p-severity"));
  var pType = document.getElementById("p-type");
  var pTrait = document.getElementById("p-trait");
  var pFinding = document.getElementById("p-finding");
  var pSearch = document.getElementById("p-search");

  function applyPosture() {
    if (!posture) { return; }
    var severities = {};
    pBoxes.forEach(function (box) { if (box.checked) { severities[box.value] = true; } });
    var wanted = Table.terms(pSearch);
    var matching = [];
    posture.rows.forEach(function (row, n) {
      var inst = data.i[row[1]];
      var visible = severities[S[inst[I.severity]]] === true &&
        (!pType.value || S[data.p[row[0]][E.kind]] === pType.value) &&
        (!pTrait.value || S[data.traits[inst[I.trait]][T.id]] === pTrait.value) &&
        (!pFinding.value || (inst[I.inFinding] ? "finding" : "none") === pFinding.value) &&
        (!wanted.length || matchesAll(postureStrings(n), wanted, posture.matcher));
      if (visible) { matching.push(n); }
    });
    document.getElementById("p-shown").textContent = String(matching.length);
    document.getElementById("p-none").hidden = matching.length > 0;
    posture.table.show(matching);
  }

  if (pSearch) {
    pBoxes.forEach(function (box) { box.addEventListener("change", applyPosture); });
    [pType, pTrait, pFinding].forEach(function (select) {
      select.addEventListener("change", applyPosture);
    });
    pSearch.addEventListener("input", applyPosture);
    document.getElementById("p-reset").addEventListener("click", function () {
      pBoxes.forEach(function (box) { box.checked = true; });
      pType.value = "";
      pTrait.value = "";
      pFinding.value = "";
      pSearch.value = "";
      applyPosture();
    });
    document.getElementById("p-table").addEventListener("click", function (event) {
      var go = event.target.closest("button.show-finding");
      if (go && findings) {
        resetFindings();
        findings.table.reveal(Number(go.dataset.index));
      }
    });
  }

  // --- start: read the data, then draw the tables -----------------------------------------

  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details.fix-trait").forEach(fill);
    document.querySelectorAll("details").forEach(function (item) { item.open = true; });
  });
  if (trait) { apply(); }
  var fTable = document.getElementById("f-table");
  Table.read(document.getElementById("report-data")).then(function (read) {
    data = read;
    S = data.s;
    if (fTable) {
      var byId = new Map();
      data.f.forEach(function (f, index) { byId.set(S[f[F.id]], index); });
      findings = {byId: byId, matcher: new Table.Matcher(S), table: new Table.PagedTable(
        fTable, document.querySelector("#all-findings .pager"), {
          size: data.f.length, label: "findings", row: findingRow, detail: findingDetail,
          key: findingKey,
        })};
      apply();
    }
    if (pSearch && data.posture) {
      posture = setUpPosture();
      applyPosture();
    }
    document.documentElement.dataset.ready = "true";
    performance.mark("ecs-exposure:tables-ready");   // what bench/html_report.py measures
  }).catch(function (error) {
    var message = "The tables cannot be shown: " + error.message +
      ". The findings above and the JSON result (--format json) have the same data.";
    document.querySelectorAll("table.data-table").forEach(function (table) {
      var tr = el("tr", "loading");
      var td = el("td", "", message);
      td.colSpan = table.tHead.rows[0].cells.length;
      tr.appendChild(td);
      table.tBodies[0].replaceChildren(tr);
    });
    document.documentElement.dataset.ready = "error";
  });
}());
