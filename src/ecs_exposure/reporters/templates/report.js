(function () {
  "use strict";
  // Filters the finding cards. Reads only text and data attributes and writes only
  // `hidden` and `textContent`: nothing here turns report content into markup.
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

  function apply() {
    var severities = {};
    boxes.forEach(function (box) { if (box.checked) { severities[box.value] = true; } });
    var wantedTrait = trait.value;
    var wantedCluster = cluster.value;
    var terms = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    var count = 0;
    cards.forEach(function (card, index) {
      var visible = severities[card.dataset.severity] === true &&
        (!wantedTrait || card.dataset.traits.split(" ").indexOf(wantedTrait) >= 0) &&
        (!wantedCluster || card.dataset.cluster === wantedCluster) &&
        terms.every(function (term) { return texts[index].indexOf(term) >= 0; });
      card.hidden = !visible;
      if (visible) { count += 1; }
    });
    shown.textContent = String(count);
    none.hidden = count > 0 || cards.length === 0;
  }

  function only(severity) {
    var already = boxes.every(function (box) { return box.checked === (box.value === severity); });
    boxes.forEach(function (box) { box.checked = already || box.value === severity; });
    apply();
  }

  boxes.forEach(function (box) { box.addEventListener("change", apply); });
  tiles.forEach(function (tile) {
    tile.addEventListener("click", function () { only(tile.dataset.only); });
  });
  trait.addEventListener("change", apply);
  cluster.addEventListener("change", apply);
  search.addEventListener("input", apply);
  document.getElementById("f-reset").addEventListener("click", function () {
    boxes.forEach(function (box) { box.checked = true; });
    trait.value = "";
    cluster.value = "";
    search.value = "";
    apply();
  });
  // The posture table: its own filters, the same rules (text and data attributes only).
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr.p-row"));
  if (rows.length) {
    var pBoxes = Array.prototype.slice.call(document.querySelectorAll("input.p-severity"));
    var pType = document.getElementById("p-type");
    var pTrait = document.getElementById("p-trait");
    var pFinding = document.getElementById("p-finding");
    var pSearch = document.getElementById("p-search");
    var pShown = document.getElementById("p-shown");
    var pNone = document.getElementById("p-none");
    var rowTexts = rows.map(function (row) {
      return row.textContent.toLowerCase().replace(/\s+/g, " ");
    });
    var applyPosture = function () {
      var severities = {};
      pBoxes.forEach(function (box) { if (box.checked) { severities[box.value] = true; } });
      var terms = pSearch.value.toLowerCase().split(/\s+/).filter(Boolean);
      var count = 0;
      rows.forEach(function (row, index) {
        var visible = severities[row.dataset.severity] === true &&
          (!pType.value || row.dataset.kind === pType.value) &&
          (!pTrait.value || row.dataset.trait === pTrait.value) &&
          (!pFinding.value || row.dataset.finding === pFinding.value) &&
          terms.every(function (term) { return rowTexts[index].indexOf(term) >= 0; });
        row.hidden = !visible;
        if (visible) { count += 1; }
      });
      pShown.textContent = String(count);
      pNone.hidden = count > 0;
    };
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
    applyPosture();
  }
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details").forEach(function (item) { item.open = true; });
  });
  apply();
}());
