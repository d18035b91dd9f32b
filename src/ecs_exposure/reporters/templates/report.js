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
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details").forEach(function (item) { item.open = true; });
  });
  apply();
}());
