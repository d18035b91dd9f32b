// Tables rendered from data, a page at a time, and the report's data block read back.
// Loaded before report.js in the page's one script. Report content only ever reaches the
// page as textContent (never as markup), and links only as https references.
var ECSReportTable = (function () {
  "use strict";
  var PAGE = 100;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null && text !== "") { node.textContent = String(text); }
    return node;
  }

  function link(url) {
    var anchor = el("a", "", url);
    if (/^https:\/\//.test(url)) {
      anchor.href = url;
      anchor.rel = "noopener noreferrer";
    }
    return anchor;
  }

  // The data block: gzip-compressed JSON, base64-encoded (reporters/html_data.py), inflated
  // by the browser's own DecompressionStream. Resolves to the parsed document.
  function read(block) {
    if (!block) { return Promise.reject(new Error("the page holds no table data")); }
    if (typeof DecompressionStream === "undefined") {
      return Promise.reject(new Error("this browser cannot inflate the table data " +
                                      "(DecompressionStream is missing)"));
    }
    var text = atob(block.textContent.replace(/\s+/g, ""));
    var bytes = new Uint8Array(text.length);
    for (var i = 0; i < text.length; i += 1) { bytes[i] = text.charCodeAt(i); }
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Response(stream).text().then(JSON.parse);
  }

  function compare(a, b) { return a < b ? -1 : (a > b ? 1 : 0); }

  // A table whose rows are positions 0..size-1 of the caller's data.
  // options: size; row(position) → <tr> without its first cell; detail(position) → node;
  // key(column, position) → sort key (number or string; ascending is the useful order);
  // label: what a row is ("findings"); onDraw(): called after each page is drawn.
  function PagedTable(table, pager, options) {
    var self = this;
    this.table = table;
    this.body = table.tBodies[0];
    this.columns = table.tHead.rows[0].cells.length;
    this.options = options;
    this.filtered = [];
    this.order = [];
    this.page = 0;
    this.open = new Set();
    this.sortColumn = null;
    this.ascending = true;
    this.keys = {};
    this.prev = pager.querySelector(".prev");
    this.next = pager.querySelector(".next");
    this.range = pager.querySelector(".range");
    table.querySelectorAll("button.sort").forEach(function (button) {
      button.addEventListener("click", function () { self.sortBy(button.dataset.sort); });
    });
    this.prev.addEventListener("click", function () { self.turn(-1); });
    this.next.addEventListener("click", function () { self.turn(1); });
    this.body.addEventListener("click", function (event) {
      if (event.target.closest("a, summary, details, button.show-finding")) { return; }
      var row = event.target.closest("tr.row");
      if (row && !window.getSelection().toString()) { self.toggle(Number(row.dataset.position)); }
    });
  }

  PagedTable.prototype.show = function (positions) {
    this.filtered = positions;
    this.page = 0;
    this.sort();
    this.draw();
  };

  PagedTable.prototype.sortBy = function (column) {
    this.ascending = column === this.sortColumn ? !this.ascending : true;
    this.sortColumn = column;
    var ascending = this.ascending;
    this.table.querySelectorAll("th").forEach(function (th) {
      var button = th.querySelector("button.sort");
      if (button) {
        th.setAttribute("aria-sort", button.dataset.sort !== column ? "none" :
                        (ascending ? "ascending" : "descending"));
      }
    });
    this.page = 0;
    this.sort();
    this.draw();
  };

  PagedTable.prototype.sort = function () {
    var order = this.filtered.slice();
    var column = this.sortColumn;
    if (column !== null) {
      var keys = this.keys[column];
      if (!keys) {
        keys = new Array(this.options.size);
        for (var p = 0; p < keys.length; p += 1) { keys[p] = this.options.key(column, p); }
        this.keys[column] = keys;
      }
      var sign = this.ascending ? 1 : -1;
      order.sort(function (a, b) { return sign * compare(keys[a], keys[b]) || a - b; });
    }
    this.order = order;
  };

  // Draw the same page again with new strings (sort keys read anew).
  PagedTable.prototype.refresh = function () {
    this.keys = {};
    this.sort();
    this.draw();
  };

  PagedTable.prototype.turn = function (step) {
    var last = Math.max(0, Math.ceil(this.order.length / PAGE) - 1);
    this.page = Math.min(last, Math.max(0, this.page + step));
    this.draw();
  };

  PagedTable.prototype.draw = function () {
    var start = this.page * PAGE;
    var shown = this.order.slice(start, start + PAGE);
    var rows = [];
    var self = this;
    shown.forEach(function (position) {
      var tr = self.options.row(position);
      var opened = self.open.has(position);
      var button = el("button", "expand", opened ? "▾" : "▸");
      button.type = "button";
      button.setAttribute("aria-expanded", opened ? "true" : "false");
      button.setAttribute("aria-label", "Details");
      var cell = el("td", "expand-col");
      cell.appendChild(button);
      tr.insertBefore(cell, tr.firstChild);
      tr.classList.add("row");
      tr.dataset.position = String(position);
      rows.push(tr);
      if (opened) {
        var detail = el("tr", "detail");
        var td = el("td");
        td.colSpan = self.columns;
        td.appendChild(self.options.detail(position));
        detail.appendChild(td);
        rows.push(detail);
      }
    });
    this.body.replaceChildren.apply(this.body, rows);
    var total = this.order.length;
    this.range.textContent = total ? (start + 1) + "–" + (start + shown.length) + " of " +
      total + " " + this.options.label : "no " + this.options.label;
    this.prev.disabled = this.page === 0;
    this.next.disabled = start + PAGE >= total;
    if (this.options.onDraw) { this.options.onDraw(); }
  };

  PagedTable.prototype.toggle = function (position) {
    if (this.open.has(position)) { this.open.delete(position); } else { this.open.add(position); }
    this.draw();
  };

  // Show one row: its page, opened, scrolled to.
  PagedTable.prototype.reveal = function (position) {
    var index = this.order.indexOf(position);
    if (index < 0) { return; }
    this.page = Math.floor(index / PAGE);
    this.open.add(position);
    this.draw();
    var row = this.body.querySelector('tr.row[data-position="' + position + '"]');
    if (row) { row.scrollIntoView({block: "center"}); }
  };

  PagedTable.prototype.fail = function (message) {
    var tr = el("tr", "loading");
    var td = el("td", "", message);
    td.colSpan = this.columns;
    tr.appendChild(td);
    this.body.replaceChildren(tr);
  };

  // Which strings hold a search term, for both string lists of the data (`s`, and the prose
  // `t` once read: position -k is t[k]); cached for the last few terms.
  function Matcher() {
    this.reset([], []);
  }

  Matcher.prototype.reset = function (strings, prose) {
    this.pools = [strings, prose];
    this.lower = [null, null];
    this.cache = new Map();
  };

  Matcher.prototype.hits = function (term) {
    var found = this.cache.get(term);
    if (!found) {
      found = [0, 1].map(function (n) {
        if (!this.lower[n]) {
          this.lower[n] = this.pools[n].map(function (text) { return text.toLowerCase(); });
        }
        var lower = this.lower[n];
        var hits = new Uint8Array(lower.length);
        for (var k = 0; k < lower.length; k += 1) {
          if (lower[k].indexOf(term) >= 0) { hits[k] = 1; }
        }
        return hits;
      }, this);
      if (this.cache.size > 20) { this.cache.clear(); }
      this.cache.set(term, found);
    }
    return found;
  };

  // The search terms of a box: lower-cased words, every one must match.
  function terms(input) {
    return input.value.toLowerCase().split(/\s+/).filter(Boolean);
  }

  return {el: el, link: link, read: read, PagedTable: PagedTable, Matcher: Matcher,
          terms: terms, PAGE: PAGE};
}());
