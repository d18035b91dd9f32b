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
  var P = null;
  var matcher = new Table.Matcher();
  var findings = null;
  var posture = null;

  // A string of the data: s[k], or for a negative k the prose t[-k] ("…" until it is read).
  function str(k) {
    return k >= 0 ? S[k] : (P ? P[-k] : "…");
  }

  // The catalog position of a trait id (-1: none).
  function traitIndex(id) {
    for (var n = 0; n < data.traits.length; n += 1) {
      if (str(data.traits[n][T.id]) === id) { return n; }
    }
    return -1;
  }

  // --- the data: strings of a finding and of a posture row, for the search ---------------

  // The search: which strings hold a term (Table.Matcher), then which trait instances (one
  // pass over them per term, kept for the last few terms), then which findings or rows.
  var instanceHits = new Map();

  function hit(h, k) {
    return k >= 0 ? h[0][k] === 1 : h[1][-k] === 1;
  }

  function termHits(term) {
    var found = instanceHits.get(term);
    if (!found) {
      var h = matcher.hits(term);
      var inst = new Uint8Array(data.i.length);
      data.i.forEach(function (row, position) {
        var spec = data.traits[row[I.trait]];
        if (hit(h, spec[T.id]) || hit(h, spec[T.title]) ||
            INSTANCE_STRINGS.some(function (field) { return hit(h, row[field]); })) {
          inst[position] = 1;
        }
      });
      found = {h: h, inst: inst};
      if (instanceHits.size > 20) { instanceHits.clear(); }
      instanceHits.set(term, found);
    }
    return found;
  }

  function findingHas(index, wanted) {
    var f = data.f[index];
    return wanted.every(function (term) {
      var hits = termHits(term);
      var has = function (k) { return hit(hits.h, k); };
      return FINDING_STRINGS.some(function (field) { return has(f[field]); }) ||
        f[F.missing].some(has) || f[F.tds].some(has) ||
        f[F.instances].some(function (position) { return hits.inst[position] === 1; });
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
    var matching = findings.every;
    if (!boxes.every(function (box) { return box.checked; }) || wantedTrait || wantedCluster ||
        wanted.length) {
      var traitWanted = wantedTrait ? traitIndex(wantedTrait) : -1;
      matching = [];
      data.f.forEach(function (f, index) {
        var visible = severities[str(f[F.severity])] === true &&
          (!wantedCluster || (str(f[F.cluster]) || noCluster) === wantedCluster) &&
          (!wantedTrait || f[F.instances].some(function (position) {
            return data.i[position][I.trait] === traitWanted;
          })) &&
          (!wanted.length || findingHas(index, wanted));
        if (visible) { matching.push(index); }
      });
    }
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
    if (container && str(inst[I.container])) {
      p.appendChild(document.createTextNode("container "));
      p.appendChild(el("b", "", str(inst[I.container])));
      p.appendChild(document.createTextNode(" · "));
    }
    p.appendChild(el("span", "res", str(inst[I.resource])));
    p.appendChild(document.createTextNode(" "));
    p.appendChild(el("code", "", str(inst[I.pointer])));
    if (str(inst[I.file])) {
      p.appendChild(el("br"));
      p.appendChild(el("span", "loc", str(inst[I.file]) +
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
    details.dataset.guide = str(spec[T.id]);
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
    var li = el("li", "trait cat-" + str(spec[T.category]) + (spec[T.contextual] ? " contextual" : ""));
    var head = el("div", "trait-head");
    head.appendChild(el("code", "trait-id", str(spec[T.id])));
    head.appendChild(el("span", "cat", str(spec[T.category])));
    if (spec[T.contextual]) { head.appendChild(el("span", "ctx", "contextual")); }
    var suppressed = str(inst[I.status]) === "suppressed";
    if (suppressed) { head.appendChild(el("span", "status status-suppressed", "suppressed")); }
    head.appendChild(el("span", "trait-title", str(spec[T.title])));
    li.appendChild(head);
    if (suppressed) { li.appendChild(el("p", "suppression", "Suppressed: " + str(inst[I.note]))); }
    li.appendChild(el("p", "detail", str(inst[I.detail])));
    li.appendChild(where(inst, true));
    li.appendChild(howToFix(spec));
    return li;
  }

  function findingRow(index) {
    var f = data.f[index];
    var severity = str(f[F.severity]);
    var tr = el("tr", "f-row sev-" + severity.toLowerCase() + " status-" + str(f[F.status]));
    tr.dataset.severity = severity;
    tr.dataset.id = str(f[F.id]);
    cell(tr).appendChild(badge(severity));
    var resource = cell(tr, "name-cell");
    resource.appendChild(el("span", "kind", str(f[F.kind])));
    resource.appendChild(document.createTextNode(" "));
    resource.appendChild(el("b", "name", str(f[F.name])));
    cell(tr).textContent = str(f[F.cluster]);
    cell(tr, "title-cell").textContent = str(f[F.title]);
    cell(tr).textContent = str(f[F.likelihood]);
    cell(tr).textContent = str(f[F.impact]);
    cell(tr, "num").textContent = String(f[F.instances].length);
    var state = cell(tr);
    if (str(f[F.status]) === "suppressed") {
      state.appendChild(el("span", "status status-suppressed", "suppressed"));
    }
    if (str(f[F.state])) {
      var chip = el("span", "state state-" + str(f[F.state]), str(f[F.state]));
      chip.title = str(f[F.previous]);
      state.appendChild(chip);
    }
    if (!state.firstChild) { state.textContent = str(f[F.status]); }
    return tr;
  }

  function findingDetail(index) {
    var f = data.f[index];
    var box = el("div", "row-detail");
    if (f[F.card]) {
      var back = el("a", "to-card", "Shown in full above, with its attack path");
      back.href = "#finding-" + str(f[F.id]);
      box.appendChild(back);
    }
    var meta = el("p", "meta");
    [str(f[F.kind]) + " " + str(f[F.name]), str(f[F.cluster]) && "cluster " + str(f[F.cluster]),
     str(f[F.account]) && "account " + str(f[F.account]), str(f[F.region]),
     "likelihood " + str(f[F.likelihood]) + " × impact " + str(f[F.impact]),
     str(f[F.reach])].filter(Boolean).forEach(function (part, n) {
      if (n) { meta.appendChild(el("span", "sep", "·")); }
      meta.appendChild(document.createTextNode(part));
    });
    box.appendChild(meta);
    if (str(f[F.arn])) { box.appendChild(el("p", "res", str(f[F.arn]))); }
    if (str(f[F.status]) === "suppressed") {
      box.appendChild(el("p", "suppression", "Suppressed: " + str(f[F.reasons])));
    }
    box.appendChild(el("p", "why", str(f[F.why])));
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
    fix.appendChild(el("p", "", str(f[F.fix])));
    if (f[F.missing].length) {
      fix.appendChild(el("p", "missing", "Not checked (inputs missing): " +
        f[F.missing].map(function (k) { return str(k); }).join(", ")));
    }
    if (f[F.tds].length) {
      var tds = el("p", "tds", "Task definition" + (f[F.tds].length === 1 ? "" : "s") + ": ");
      f[F.tds].forEach(function (k, n) {
        if (n) { tds.appendChild(document.createTextNode(", ")); }
        tds.appendChild(el("code", "", str(k)));
      });
      fix.appendChild(tds);
    }
    box.appendChild(fix);
    return box;
  }

  function findingKey(column, index) {
    var f = data.f[index];
    switch (column) {
      case "severity": return rank(SEVERITIES, str(f[F.severity]));
      case "name": return str(f[F.name]).toLowerCase();
      case "cluster": return str(f[F.cluster]).toLowerCase();
      case "title": return str(f[F.title]).toLowerCase();
      case "likelihood": return rank(LEVELS, str(f[F.likelihood]));
      case "impact": return rank(LEVELS, str(f[F.impact]));
      case "traits": return -f[F.instances].length;
      case "reach": return rank(REACH, str(f[F.reach]));
      default: return str(f[F.status]) + " " + str(f[F.state]);
    }
  }

  // --- the posture table -------------------------------------------------------------------

  // One row per weakness of each posture entry: `entryOf[n]`, `instanceOf[n]`; worst first,
  // else in posture order (a stable bucket sort: no comparisons over 100,000 rows).
  function setUpPosture() {
    var total = 0;
    data.p.forEach(function (entry) { total += entry[E.instances].length; });
    var buckets = SEVERITIES.concat([""]).map(function () { return []; });
    data.p.forEach(function (entry, e) {
      entry[E.instances].forEach(function (position) {
        buckets[rank(SEVERITIES, str(data.i[position][I.severity]))].push(e, position);
      });
    });
    var entryOf = new Int32Array(total);
    var instanceOf = new Int32Array(total);
    var n = 0;
    buckets.forEach(function (pairs) {
      for (var k = 0; k < pairs.length; k += 2) {
        entryOf[n] = pairs[k];
        instanceOf[n] = pairs[k + 1];
        n += 1;
      }
    });
    var every = [];
    for (var r = 0; r < total; r += 1) { every.push(r); }
    var table = new Table.PagedTable(
      document.getElementById("p-table"), document.querySelector("#posture .pager"), {
        size: total, label: "weaknesses",
        row: function (r) { return postureRow(entryOf[r], instanceOf[r]); },
        detail: function (r) { return postureDetail(entryOf[r], instanceOf[r]); },
        key: function (column, r) { return postureKey(column, entryOf[r], instanceOf[r]); },
      });
    return {entryOf: entryOf, instanceOf: instanceOf, every: every, table: table};
  }

  function postureRow(e, position) {
    var entry = data.p[e];
    var inst = data.i[position];
    var spec = data.traits[inst[I.trait]];
    var severity = str(inst[I.severity]);
    var kind = str(entry[E.kind]);
    var tr = el("tr", "p-row sev-" + severity.toLowerCase());
    tr.dataset.severity = severity;
    tr.dataset.kind = kind;
    tr.dataset.trait = str(spec[T.id]);
    tr.dataset.finding = inst[I.inFinding] ? "finding" : "none";
    cell(tr).appendChild(badge(severity));
    var resource = cell(tr);
    resource.appendChild(el("span", "kind", kind));
    resource.appendChild(document.createTextNode(" "));
    resource.appendChild(el("b", "", str(entry[E.name])));
    if (str(entry[E.cluster]) && kind === "service") {
      resource.appendChild(el("br"));
      resource.appendChild(el("span", "meta", "cluster " + str(entry[E.cluster])));
    }
    var weakness = cell(tr);
    weakness.appendChild(el("code", "trait-id", str(spec[T.id])));
    if (spec[T.contextual]) {
      weakness.appendChild(document.createTextNode(" "));
      weakness.appendChild(el("span", "ctx", "contextual"));
    }
    if (str(inst[I.status]) === "suppressed") {
      weakness.appendChild(document.createTextNode(" "));
      var chip = el("span", "status status-suppressed", "suppressed");
      chip.title = str(inst[I.note]);
      weakness.appendChild(chip);
    }
    weakness.appendChild(el("br"));
    weakness.appendChild(el("span", "trait-title", str(spec[T.title])));
    var evidence = cell(tr);
    evidence.appendChild(document.createTextNode(str(inst[I.detail])));
    if (str(inst[I.container])) {
      evidence.appendChild(el("br"));
      evidence.appendChild(el("span", "meta", "container " + str(inst[I.container])));
    }
    var place = where(inst, false);
    var at = cell(tr);
    while (place.firstChild) { at.appendChild(place.firstChild); }
    return tr;
  }

  function postureDetail(e, position) {
    var entry = data.p[e];
    var inst = data.i[position];
    var spec = data.traits[inst[I.trait]];
    var box = el("div", "row-detail");
    var head = el("p", "trait-head");
    head.appendChild(el("span", "cat cat-" + str(spec[T.category]), str(spec[T.category])));
    head.appendChild(el("span", "trait-title", str(spec[T.title])));
    box.appendChild(head);
    box.appendChild(el("p", "res", str(entry[E.arn])));
    if (str(inst[I.status]) === "suppressed") {
      box.appendChild(el("p", "suppression", "Suppressed: " + str(inst[I.note])));
    }
    var index = findingOf(position, str(entry[E.finding]));
    if (index >= 0) {
      var part = el("p", "in-finding", "Part of the finding “" + str(data.f[index][F.title]) + "” ");
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

  // The finding that lists a trait instance (the entry's own finding first), or -1.
  var listedBy = null;
  function findingOf(position, id) {
    if (!findings || !data.i[position][I.inFinding]) { return -1; }
    if (id && findings.byId.has(id)) { return findings.byId.get(id); }
    if (!listedBy) {
      listedBy = new Int32Array(data.i.length).fill(-1);
      data.f.forEach(function (f, index) {
        f[F.instances].forEach(function (k) { if (listedBy[k] < 0) { listedBy[k] = index; } });
      });
    }
    return listedBy[position];
  }

  function postureKey(column, e, position) {
    var entry = data.p[e];
    var inst = data.i[position];
    switch (column) {
      case "severity": return rank(SEVERITIES, str(inst[I.severity]));
      case "name": return (str(entry[E.kind]) + " " + str(entry[E.name])).toLowerCase();
      case "trait": return str(data.traits[inst[I.trait]][T.id]);
      case "detail": return str(inst[I.detail]).toLowerCase();
      default: return (str(inst[I.resource]) + " " + str(inst[I.pointer])).toLowerCase();
    }
  }

  function rowHas(r, wanted) {
    var entry = data.p[posture.entryOf[r]];
    return wanted.every(function (term) {
      var hits = termHits(term);
      return hits.inst[posture.instanceOf[r]] === 1 || hit(hits.h, entry[E.kind]) ||
        hit(hits.h, entry[E.name]) || hit(hits.h, entry[E.cluster]) || hit(hits.h, entry[E.arn]);
    });
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
    var matching = posture.every;
    if (!pBoxes.every(function (box) { return box.checked; }) || pType.value || pTrait.value ||
        pFinding.value || wanted.length) {
      var traitWanted = pTrait.value ? traitIndex(pTrait.value) : -1;
      matching = [];
      for (var r = 0; r < posture.every.length; r += 1) {
        var inst = data.i[posture.instanceOf[r]];
        if (severities[str(inst[I.severity])] === true &&
            (!pType.value || str(data.p[posture.entryOf[r]][E.kind]) === pType.value) &&
            (!pTrait.value || inst[I.trait] === traitWanted) &&
            (!pFinding.value || (inst[I.inFinding] ? "finding" : "none") === pFinding.value) &&
            (!wanted.length || rowHas(r, wanted))) {
          matching.push(r);
        }
      }
    }
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
  // The prose, read a block at a time with a pause between blocks (the page answers clicks
  // meanwhile), resolved when all are read.
  function readProse() {
    var prose = [];
    var pieces = Array.prototype.slice.call(document.querySelectorAll("script.report-text"));
    return pieces.reduce(function (done, piece) {
      return done.then(function () { return Table.read(piece); }).then(function (part) {
        for (var k = 0; k < part.length; k += 1) { prose.push(part[k]); }
        return new Promise(function (resolve) { setTimeout(resolve, 0); });
      });
    }, Promise.resolve()).then(function () { return prose; });
  }

  // The tables' data first (they are drawn from it), then the prose (why, fix, evidence:
  // about half the bytes), which fills in the "…" and joins the search when it is read.
  var fTable = document.getElementById("f-table");
  Table.read(document.getElementById("report-data")).then(function (read) {
    data = read;
    S = data.s;
    matcher.reset(S, []);
    instanceHits.clear();
    if (fTable) {
      var byId = new Map();
      var every = [];
      data.f.forEach(function (f, index) {
        byId.set(str(f[F.id]), index);
        every.push(index);
      });
      findings = {byId: byId, every: every, table: new Table.PagedTable(
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
    return readProse();
  }).then(function (prose) {
    P = prose;
    matcher.reset(S, P);
    instanceHits.clear();
    if (findings) {
      if (Table.terms(search).length) { apply(); } else { findings.table.refresh(); }
    }
    if (posture) {
      if (Table.terms(pSearch).length) { applyPosture(); } else { posture.table.refresh(); }
    }
    document.documentElement.dataset.loaded = "true";
    performance.mark("ecs-exposure:prose-ready");
  }).catch(function (error) {
    var message = "The tables cannot be shown: " + error.message +
      ". The findings above and the JSON result (--format json) have the same data.";
    if (!data) {
      document.querySelectorAll("table.data-table").forEach(function (table) {
        var tr = el("tr", "loading");
        var td = el("td", "", message);
        td.colSpan = table.tHead.rows[0].cells.length;
        tr.appendChild(td);
        table.tBodies[0].replaceChildren(tr);
      });
    }
    document.documentElement.dataset.ready = document.documentElement.dataset.ready || "error";
    document.documentElement.dataset.loaded = "error";
  });
}());
