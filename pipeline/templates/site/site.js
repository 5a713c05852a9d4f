// dl500 web edition: offline search (Pagefind) and the language switch landing on the question in view.
// Nothing here is needed to read the book: math and navigation work with scripts off.
(function () {
  "use strict";
  var root = document.documentElement.getAttribute("data-root") || "";
  var lang = document.documentElement.lang;
  var pagefind = null;

  function loadPagefind() {
    if (!pagefind) {
      pagefind = import(root + "pagefind/pagefind.js").then(function (pf) {
        return pf.options({ baseUrl: "/" }).then(function () { return pf; });
      });
    }
    return pagefind;
  }

  function escapeHtml(s) {
    return String(s).replace(/[&<>"]/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]; });
  }

  // Chinese: the index holds jieba's words and their suffixes (pipeline/render/site_search.py), so the query's
  // Chinese goes to Pagefind one character at a time and the hits are then kept only where the text holds each
  // Chinese run of the query as written. Other scripts go to Pagefind as they are.
  var HAN = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+/g;
  function hanRuns(q) { return q.match(HAN) || []; }
  function pagefindQuery(q) {
    return q.replace(HAN, function (run) { return " " + run.split("").join(" ") + " "; }).replace(/\s+/g, " ").trim();
  }
  function holdsRuns(d, runs) {
    var text = (d.meta.title || "") + "\n" + (d.meta.text || "");
    return runs.every(function (r) { return text.indexOf(r) >= 0; });
  }

  // The snippet is cut from the record's original text (never Pagefind's excerpt of the indexed words, which
  // carries the segmentation's spaces), around the first place it holds a query term, the term marked.
  function snippet(text, q) {
    text = String(text || "");
    var terms = hanRuns(q).concat(q.replace(HAN, " ").split(/\s+/).filter(function (t) { return t.length > 1; }));
    var lower = text.toLowerCase(), at = -1, len = 0;
    terms.forEach(function (t) {
      var i = lower.indexOf(t.toLowerCase());
      if (i >= 0 && (at < 0 || i < at)) { at = i; len = t.length; }
    });
    if (at < 0) return escapeHtml(text.slice(0, 120)) + (text.length > 120 ? "…" : "");
    var start = Math.max(0, at - 40), end = Math.min(text.length, at + len + 80);
    return (start > 0 ? "…" : "") + escapeHtml(text.slice(start, at)) + "<mark>" + escapeHtml(text.slice(at, at + len)) +
      "</mark>" + escapeHtml(text.slice(at + len, end)) + (end < text.length ? "…" : "");
  }

  // Every question the query finds, best first, up to `limit`: [{url, number, title, chapter, snippet}].
  function findQuestions(q, limit, debounce) {
    var runs = hanRuns(q);
    return loadPagefind().then(function (pf) {
      var query = pagefindQuery(q);
      return debounce ? pf.debouncedSearch(query, {}, 120) : pf.search(query);
    }).then(function (res) {
      if (res === null) return null;  // superseded by a newer query
      var found = [], i = 0;
      function more() {
        if (found.length >= limit || i >= res.results.length) return Promise.resolve(found.slice(0, limit));
        var batch = res.results.slice(i, i + 24);
        i += batch.length;
        return Promise.all(batch.map(function (r) { return r.data(); })).then(function (items) {
          items.forEach(function (d) {
            if (!runs.length || holdsRuns(d, runs)) {
              found.push({ url: root + String(d.meta.target || d.url).replace(/^\/+/, ""), number: d.meta.number || "",
                           title: d.meta.title || "", chapter: d.meta.chapter || "", snippet: snippet(d.meta.text, q) });
            }
          });
          return more();
        });
      }
      return more();
    });
  }
  window.dl500Search = function (q, limit) { return findQuestions(q, limit || 1e9, false); };

  function search(q, box, limit) {
    if (!q.trim()) { box.hidden = true; box.innerHTML = ""; return Promise.resolve(); }
    return findQuestions(q, limit, true).then(function (items) {
      if (items === null) return;
      if (!items.length) { box.innerHTML = "<p class=\"none\">" + escapeHtml(box.getAttribute("data-empty")) + "</p>"; }
      else {
        box.innerHTML = "<ol>" + items.map(function (d) {
          return "<li><a href=\"" + escapeHtml(d.url) + "\"><span class=\"number\">" + escapeHtml(d.number) +
            "</span> " + escapeHtml(d.title) + "</a> <span class=\"chapter\">" + escapeHtml(d.chapter) +
            "</span><p>" + d.snippet + "</p></li>";
        }).join("") + "</ol>";
      }
      box.hidden = false;
    });
  }

  var form = document.querySelector("form.search");
  if (form) {
    var input = form.querySelector("input");
    var box = form.querySelector(".search-results");
    var page = document.querySelector(".search-page-results");
    input.addEventListener("input", function () { search(input.value, page || box, page ? 50 : 10); });
    input.addEventListener("focus", loadPagefind, { once: true });
    form.addEventListener("submit", function (e) { if (!page) { e.preventDefault(); search(input.value, box, 10); } });
    document.addEventListener("keydown", function (e) {
      if (e.key === "Escape") { box.hidden = true; }
      if (e.key === "/" && document.activeElement !== input) { e.preventDefault(); input.focus(); }
    });
    if (page) {
      var q = new URLSearchParams(location.search).get("q") || "";
      input.value = q;
      if (q) search(q, page, 50);
    }
  }

  // The header's language link lands on the question being read, not on the top of the page.
  document.querySelectorAll("a.lang-page").forEach(function (a) {
    a.addEventListener("click", function () {
      var current = null;
      document.querySelectorAll("section.question").forEach(function (s) {
        if (s.getBoundingClientRect().top < 120) current = s;
      });
      var target = location.hash || (current ? "#" + current.id : "");
      if (target) a.href = a.href.split("#")[0] + target;
    });
  });
  void lang;
})();
