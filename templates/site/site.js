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

  // Pagefind's excerpt is HTML with <mark> around the hits: keep the marks, show everything else as text.
  // DOMParser builds an inert document (no script runs, no image loads).
  function safeExcerpt(html) {
    var doc = new DOMParser().parseFromString("<body>" + String(html || ""), "text/html");
    var out = "";
    doc.body.childNodes.forEach(function (n) {
      var text = escapeHtml(n.textContent || "");
      out += (n.nodeType === 1 && n.tagName === "MARK") ? "<mark>" + text + "</mark>" : text;
    });
    return out;
  }

  function search(q, box, limit) {
    if (!q.trim()) { box.hidden = true; box.innerHTML = ""; return Promise.resolve(); }
    return loadPagefind().then(function (pf) { return pf.debouncedSearch(q, {}, 120); }).then(function (res) {
      if (res === null) return;  // superseded by a newer query
      return Promise.all(res.results.slice(0, limit).map(function (r) { return r.data(); })).then(function (items) {
        if (!items.length) { box.innerHTML = "<p class=\"none\">" + escapeHtml(box.getAttribute("data-empty")) + "</p>"; }
        else {
          box.innerHTML = "<ol>" + items.map(function (d) {
            var url = root + String(d.meta.target || d.url).replace(/^\/+/, "");
            return "<li><a href=\"" + escapeHtml(url) + "\"><span class=\"number\">" + escapeHtml(d.meta.number || "") +
              "</span> " + escapeHtml(d.meta.title || "") + "</a><p>" + safeExcerpt(d.excerpt) + "</p></li>";
          }).join("") + "</ol>";
        }
        box.hidden = false;
      });
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
