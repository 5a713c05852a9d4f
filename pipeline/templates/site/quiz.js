// dl500 quiz mode: questions one at a time, the answer hidden until asked for, "knew it / didn't" kept in
// localStorage to choose what to review next. Reads quiz.json beside the page; sends nothing anywhere.
(function () {
  "use strict";
  var main = document.querySelector("main.quiz");
  if (!main) return;
  var labels = JSON.parse(main.getAttribute("data-labels") || "{}");
  var KEY = "dl500-quiz:" + main.getAttribute("data-book");  // one record per book: ids are the same in every language
  var DAY = 86400000;
  var INTERVALS = [0, 1, 3, 7, 16, 35];  // days until a question is due again, by how often in a row it was known
  var $ = function (sel, el) { return (el || main).querySelector(sel); };
  var setup = $(".quiz-setup"), card = $(".quiz-card"), end = $(".quiz-end"), status = $(".quiz-status");
  var questions = [], queue = [], position = 0, current = null, revealed = false, marked = null;
  var tally = { knew: 0, didnt: 0 }, requeued = {};

  function format(text, values) {
    return String(text || "").replace(/\{(\w+)\}/g, function (m, k) { return k in values ? values[k] : m; });
  }
  function today() { return Math.floor(Date.now() / DAY); }
  function loadRecord() {
    try { var r = JSON.parse(localStorage.getItem(KEY) || "{}"); return r && typeof r === "object" ? r : {}; }
    catch (e) { return {}; }
  }
  function saveRecord(record) {
    try { localStorage.setItem(KEY, JSON.stringify(record)); } catch (e) { /* private mode: the round still works */ }
  }

  function showRecord() {
    var record = loadRecord(), seen = 0, due = 0, now = today();
    questions.forEach(function (q) {
      var r = record[q.id];
      if (r) { seen += 1; if (r.due <= now) due += 1; }
    });
    main.querySelectorAll(".quiz-record").forEach(function (p) { p.textContent = format(labels.record, { seen: seen, due: due }); });
  }

  function ticked(name) {
    return Array.prototype.map.call(setup.querySelectorAll("input[name=" + name + "]:checked"), function (i) { return i.value; });
  }

  // What to ask, in order: questions due for review (longest overdue first), then new ones in book order, then the
  // rest by how soon they fall due.
  function plan() {
    var chapters = ticked("chapter"), topics = ticked("topic"), levels = ticked("difficulty");
    var record = loadRecord(), now = today();
    var chosen = questions.filter(function (q) {
      return (!chapters.length || chapters.indexOf(q.chapter) >= 0) &&
        (!topics.length || q.topics.some(function (t) { return topics.indexOf(t) >= 0; })) &&
        (!levels.length || levels.indexOf(String(q.difficulty)) >= 0);
    });
    var due = [], fresh = [], later = [];
    chosen.forEach(function (q, i) {
      var r = record[q.id];
      (!r ? fresh : r.due <= now ? due : later).push({ q: q, r: r, i: i });
    });
    var byDue = function (a, b) { return (a.r.due - b.r.due) || (a.r.box - b.r.box) || (a.i - b.i); };
    due.sort(byDue); later.sort(byDue);
    var size = parseInt(setup.elements.namedItem("size").value, 10) || chosen.length;
    return due.concat(fresh, later).slice(0, size).map(function (x) { return x.q; });
  }

  function show(section) {
    [setup, card, end].forEach(function (s) { s.hidden = s !== section; });
  }

  function start() {
    queue = plan(); position = 0; tally = { knew: 0, didnt: 0 }; requeued = {};
    if (!queue.length) { status.textContent = labels.empty; return; }
    status.textContent = "";
    ask();
  }

  function ask() {
    if (position >= queue.length) { finish(); return; }
    current = queue[position]; revealed = false; marked = null;
    $(".quiz-progress").textContent = format(labels.progress, { i: position + 1, n: queue.length });
    $(".quiz-question .number").textContent = current.number;
    $(".quiz-title").innerHTML = current.title;  // sanitized when the site was built
    setLang($(".quiz-question"), current.lang);
    $(".quiz-tags").textContent = tagLine(current);
    var answer = $(".quiz-answer");
    answer.innerHTML = current.answer;
    setLang(answer, current.lang);
    answer.hidden = true;
    $(".quiz-marks").hidden = true;
    $(".quiz-show").hidden = false;
    $(".quiz-source").setAttribute("href", current.href);
    status.textContent = "";
    show(card);
    card.focus();
  }

  function setLang(el, lang) {  // a question still waiting for its translation is shown in the original
    if (lang && lang !== document.documentElement.lang) el.setAttribute("lang", lang); else el.removeAttribute("lang");
  }

  function tagLine(q) {
    var names = {};
    setup.querySelectorAll("label").forEach(function (l) {
      var input = l.querySelector("input");
      if (input) names[input.name + ":" + input.value] = l.textContent.replace(/\(\d+\)\s*$/, "").trim();
    });
    var parts = [names["chapter:" + q.chapter]];
    q.topics.forEach(function (t) { parts.push(names["topic:" + t]); });
    if (q.difficulty) parts.push(names["difficulty:" + q.difficulty]);
    return parts.filter(Boolean).join(" · ");
  }

  function reveal() {
    if (!current || revealed) return;
    revealed = true;
    $(".quiz-answer").hidden = false;
    $(".quiz-show").hidden = true;
    $(".quiz-marks").hidden = false;
    card.focus();
  }

  function mark(knew) {
    if (!current || !revealed || marked !== null) return;
    marked = knew;
    var record = loadRecord(), r = record[current.id] || { box: 0, due: 0, seen: 0, knew: 0 };
    r.seen += 1;
    if (knew) { r.knew += 1; r.box = Math.min(r.box + 1, INTERVALS.length - 1); }
    else { r.box = 0; }
    r.due = today() + INTERVALS[r.box];
    r.last = today();
    record[current.id] = r;
    saveRecord(record);
    tally[knew ? "knew" : "didnt"] += 1;
    if (!knew && !requeued[current.id]) { requeued[current.id] = true; queue.push(current); }  // once more this round
    status.textContent = knew ? labels.marked_knew : labels.marked_didnt;
    $(".quiz-marks").hidden = true;
    card.focus();
  }

  function next() {
    if (!current) return;
    position += 1;
    ask();
  }

  function finish() {
    current = null;
    $(".quiz-result", end).textContent = format(labels.result, tally);
    showRecord();
    show(end);
    end.focus();
  }

  function settings() { current = null; showRecord(); show(setup); status.textContent = ""; }

  setup.addEventListener("submit", function (e) { e.preventDefault(); start(); });
  $(".quiz-forget").addEventListener("click", function () {
    try { localStorage.removeItem(KEY); } catch (e) { /* nothing stored */ }
    showRecord();
  });
  $(".quiz-show").addEventListener("click", reveal);
  $(".quiz-knew").addEventListener("click", function () { mark(true); });
  $(".quiz-didnt").addEventListener("click", function () { mark(false); });
  $(".quiz-next").addEventListener("click", next);
  $(".quiz-again").addEventListener("click", start);
  main.querySelectorAll(".quiz-settings").forEach(function (b) { b.addEventListener("click", settings); });

  document.addEventListener("keydown", function (e) {
    if (!current || e.altKey || e.ctrlKey || e.metaKey) return;
    var t = e.target, tag = t && t.tagName;
    if (tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA" || (t && t.isContentEditable)) return;
    if ((tag === "BUTTON" || tag === "A") && (e.key === " " || e.key === "Enter")) return;  // it acts itself
    var k = e.key.toLowerCase();
    if (k === " " || k === "enter") { e.preventDefault(); reveal(); }
    else if (k === "1" || k === "j") { mark(true); }
    else if (k === "2" || k === "k") { mark(false); }
    else if (k === "n") { next(); }
  });

  fetch("quiz.json", { credentials: "same-origin" }).then(function (r) {
    if (!r.ok) throw new Error(String(r.status));
    return r.json();
  }).then(function (data) {
    questions = Array.isArray(data.questions) ? data.questions : [];
    showRecord();
    show(setup);
  }).catch(function () {
    status.textContent = labels.offline;
  });
})();
