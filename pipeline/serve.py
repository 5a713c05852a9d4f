"""`dl500 serve`: build the web edition, serve it on 127.0.0.1, rebuild what changed on save, reload the page.

The build's own path, restricted to the site: `prepare()` then the site renderer (render.site). One edited
question file is re-read alone and re-prepared alone (`prepare.reprepare`: pandoc, formulas and figures of that
text only; the caches hold the rest), the editions reuse every other question and only the pages showing it are
rewritten; any other change (chapter.yaml, book.yaml, figures, a new file) rebuilds the whole site from the caches.
The page polls /__version and reloads when it changes; problems of the edited file show in the page and, through
the `on_event` callback the CLI gives (cli/serve_view.py), in the terminal with file and line. Nothing here prints.
"""

from __future__ import annotations

import functools
import http.server
import json
import threading
import time
from pathlib import Path

from .diagnostics import ERROR, WARNING

POLL_S = 0.3

LIVE_RELOAD_JS = """(function () {
  var version = null;
  function show(errors) {
    var box = document.getElementById("dl500-errors");
    if (!errors.length) { if (box) box.remove(); return; }
    if (!box) {
      box = document.createElement("div"); box.id = "dl500-errors";
      box.style.cssText = "position:fixed;left:0;right:0;bottom:0;max-height:40vh;overflow:auto;z-index:99;" +
        "background:#2b0b0b;color:#ffd7d7;font:13px/1.5 ui-monospace,monospace;padding:.6rem 1rem;" +
        "border-top:3px solid #e5484d;white-space:pre-wrap";
      document.body.appendChild(box);
    }
    box.textContent = errors.map(function (e) {
      return e.file + ":" + e.line + ":" + e.col + ": " + e.severity + " " + e.code + " " + e.message +
        (e.hint ? "\\n    hint: " + e.hint : "");
    }).join("\\n");
  }
  function poll() {
    fetch("/__version", { cache: "no-store" }).then(function (r) { return r.json(); }).then(function (s) {
      if (version !== null && s.version !== version) { location.reload(); return; }
      version = s.version; show(s.errors || []);
    }).catch(function () {}).finally(function () { setTimeout(poll, 250); });
  }
  poll();
})();
"""


class NoBook(Exception):
    """The folder given to serve holds no book: the message says where it looked."""


def ignore_event(kind: str, data) -> None:
    """The default `on_event`: a Preview used without a terminal (tests, tools) reports to nobody."""


class Preview:
    """The loaded book and everything rendered from it, kept between edits.

    `on_event(kind, data)` hears what a terminal shows: "problems" (diagnostics; `data["only_new"]` after
    background work), "rebuilt" (kind, seconds, problems), "warning" (a message: a step failed, the preview goes
    on). `quiet` is kept for the callers that pass it; quietness is the view's."""

    def __init__(self, path, langs=None, quiet=False, out=None, on_event=ignore_event):
        from .load import find_book_root
        self.path, self.quiet, self.on_event = Path(path), quiet, on_event
        self.root = find_book_root(self.path)
        if self.root is None:
            raise NoBook(f"dl500 serve: no book.yaml in {path} or {Path(path) / 'source'}")
        self.want_langs = langs
        # Its own folder: the preview rewrites pages in place, which a published build set must never see.
        self.out = Path(out) if out else self.root.parent / "build" / ".preview-site"
        self.cache_dir = self.root.parent / ".dl500-cache" / "render"
        self.version = 0
        self.errors: list = []
        self.lock = threading.Lock()
        self.book = None
        self.prepared = None
        self.builder = None
        self.last_timing: dict = {}
        self.generation = 0  # one more per rebuild: background work of an older one gives way
        self.load_diags: list = []
        self.book_errors: list = []  # the errors of the last whole-book validation, printed already
        self.background_thread: threading.Thread | None = None

    # building
    def full_build(self, search=True) -> None:
        """The build's own prepare step (pipeline.prepare), then every page of the web edition."""
        from .load import LoadError, load_book
        from .prepare import prepare
        from .render.site import SiteBuilder
        t0 = time.perf_counter()
        self.generation += 1
        try:
            book, diags = load_book(self.root)
        except LoadError as e:
            self.report(list(e.diagnostics))
            return
        self.book = book
        self.langs = [lang for lang in (self.want_langs or book.languages) if lang in book.languages]
        self.prepared = prepare(book, self.langs, self.cache_dir, 1)
        self.stats = self.prepared.stats
        self.builder = SiteBuilder(self.prepared, self.langs, self.out, [self.root.parent / "build" / "claims.json"])
        self.builder.write_all(search=search)
        self.last_timing = {"kind": "full", "seconds": time.perf_counter() - t0}
        self.bump()
        self.load_diags = list(diags)
        self.report(diags + list(self.prepared.diagnostics) + (self.validate(self.book, None) or []))
        self.book_errors = self.errors

    def validate(self, book, only_files, cancelled=None):
        """Diagnostics of `only_files` (and the other languages of their questions), or of the whole book."""
        from .validate import validate_files
        try:
            return validate_files(book, only_files, cancelled=cancelled)
        except Exception as e:  # a validator bug must not stop the preview
            self.on_event("warning", f"dl500 serve: validation failed: {type(e).__name__}: {e}")
            return []

    def rebuild(self, changed: list[Path], search=True, background=True) -> None:
        """Rebuild after `changed` files were saved: one question file alone, anything else from the caches.

        After a question rebuild the whole book is validated (and the search index refreshed) in the background;
        a newer save cancels that work."""
        with self.lock:
            by_path = {t.path: k for k, t in self.book.texts.items()} if self.book else {}
            if self.book is not None and changed and all(p in by_path for p in changed):
                self.rebuild_questions([(p, by_path[p]) for p in changed], search, background)
            else:
                self.full_build(search)

    def rebuild_questions(self, items, search=True, background=True) -> None:
        """Re-read the edited question files, re-prepare them alone (prepare.reprepare) and rewrite the pages that
        show them; then validate and re-index in the background."""
        from .prepare import reprepare
        t0 = time.perf_counter()
        self.generation += 1
        changed, diags, rels = self.reload_texts(items)
        if changed is None:
            return self.full_build(search)
        if not changed:
            self.report(diags)
            return
        self.prepared = reprepare(self.prepared, changed, self.cache_dir)
        book = self.book = self.prepared.book
        qids = {qid for qid, _ in changed}
        self.builder.update(self.prepared, qids)
        self.builder.rewrite_chapters(qids)
        self.bump()
        diags += list(self.prepared.diagnostics)
        diags += self.validate(book, rels) or []  # the edited files' own checks: milliseconds
        self.last_timing = {"kind": "question", "seconds": time.perf_counter() - t0}
        self.report(diags)
        if background or search:
            worker = threading.Thread(
                target=self.background, args=(self.generation, book, rels, diags, search, background), daemon=True)
            worker.start()
            self.background_thread = worker

    def reload_texts(self, items):
        """(changed texts, their load diagnostics, their display paths); None for the texts when a file is gone
        (the outline changed: a whole build)."""
        from .load import display_path, load_question_text
        diags, changed, rels = [], {}, set()
        for path, (qid, lang) in items:
            rel = display_path(path, self.book.root)
            rels.add(rel)
            if not path.is_file():
                return None, diags, rels
            qt, d = load_question_text(path, rel, qid, lang, self.book.primary)
            diags += d
            if qt is not None:
                changed[(qid, lang)] = qt
        return changed, diags, rels

    def background(self, generation, book, rels, edit_diags, search=True, validate=True) -> None:
        """After an edit: the whole book's validation (what the edit changed in other files, e.g. a link to an id
        it removed), then the search index; both give way to a newer edit."""
        def stale():
            return self.generation != generation
        if validate:
            t0 = time.perf_counter()
            found = self.validate(book, None, cancelled=stale)
            with self.lock:
                if found is None or stale():
                    return
                others = [d for d in self.load_diags + found if d.file not in rels]
                self.last_timing["background_validation"] = time.perf_counter() - t0
                self.report(edit_diags + others, only_new=True)
        if search and not stale():
            self.reindex()

    def join_background(self, timeout=None) -> None:
        """Wait for the rebuild in progress, then for the background work it started."""
        with self.lock:
            worker = self.background_thread
        if worker is not None:
            worker.join(timeout)

    def reindex(self) -> None:
        from .render.site import write_search_index
        try:
            with self.lock:
                records = self.builder.search_records()
            write_search_index(records, self.out, self.builder.words_cache)
        except Exception as e:  # search is a convenience in the preview; say why it is stale
            self.on_event("warning", f"dl500 serve: search index not updated: {type(e).__name__}: {e}")

    # state the page reads
    def bump(self) -> None:
        self.version += 1

    def report(self, diags, only_new=False) -> None:
        """Show `diags` in the page and the terminal; `only_new` (background work): print only those not shown
        already, and leave the page as it is (it polls the errors without reloading)."""
        shown = [d for d in diags if d.severity in (ERROR, WARNING)]
        errors = [{"file": d.file, "line": d.line, "col": d.col, "severity": d.severity, "code": d.code,
                   "message": d.message, "hint": getattr(d, "hint", "") or ""} for d in shown]
        before = self.errors
        if errors != self.errors:
            self.errors = errors
            if not only_new:  # the page shows the errors it polls; a new version reloads it
                self.bump()
        if only_new:
            new = [d for d, e in zip(shown, errors) if e not in before and e not in self.book_errors]
            self.book_errors = errors
            if new:
                self.on_event("problems", new)
            return
        if shown:
            self.on_event("problems", shown)
        if self.last_timing:
            self.on_event("rebuilt", {**self.last_timing, "problems": len(shown)})

    # watching
    def watched(self, path) -> Path | None:
        """`path` as the book knows it (under self.root, as the texts' paths are), or None for what serve ignores:
        hidden files and folders (editors' swap files, .git) and __pycache__."""
        p = Path(path)
        try:
            rel = p.relative_to(self.root)
        except ValueError:
            try:
                rel = p.relative_to(self.root.resolve())
            except ValueError:
                return None
        if any(part.startswith(".") or part == "__pycache__" for part in rel.parts):
            return None
        return self.root / rel

    def watch(self, stop: threading.Event, interval=POLL_S) -> None:
        """Rebuild on every save until `stop` is set: file-system events through watchfiles (one batch per burst
        of saves, ~50 ms after the last), or polling every `interval` seconds where watchfiles is missing."""
        try:
            import watchfiles
        except ImportError:
            return self.poll(stop, interval)
        for changes in watchfiles.watch(self.root, stop_event=stop, watch_filter=lambda _c, p: bool(self.watched(p)),
                                        raise_interrupt=False):
            self.rebuild_safely(sorted({self.watched(p) for _change, p in changes} - {None}))

    def poll(self, stop: threading.Event, interval=POLL_S) -> None:
        seen = self.snapshot()
        while not stop.wait(interval):
            now = self.snapshot()
            if now != seen:
                changed = [p for p in set(now) | set(seen) if now.get(p) != seen.get(p)]
                seen = now
                self.rebuild_safely(sorted(changed))

    def snapshot(self) -> dict:
        out = {}
        for p in self.root.rglob("*"):
            if self.watched(p) is None:
                continue
            try:
                st = p.stat()
            except OSError:
                continue
            if p.is_file():
                out[p] = (st.st_mtime_ns, st.st_size)
        return out

    def rebuild_safely(self, changed: list) -> None:
        if not changed:
            return
        try:
            self.rebuild(changed)
        except Exception as e:  # keep serving; the message says what broke
            self.on_event("warning", f"dl500 serve: rebuild failed: {type(e).__name__}: {e}")


def make_handler(preview: Preview):
    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **k):
            super().__init__(*a, directory=str(preview.out), **k)

        def log_message(self, fmt, *args):
            pass

        def do_GET(self):
            path = self.path.split("?", 1)[0]
            if path == "/__version":
                return self._send(json.dumps({"version": preview.version, "errors": preview.errors}).encode(),
                                  "application/json")
            if path == "/__livereload.js":
                return self._send(LIVE_RELOAD_JS.encode(), "text/javascript")
            local = Path(self.translate_path(path))
            if local.is_dir():
                if not path.endswith("/"):
                    return super().do_GET()  # the redirect to the folder
                local = local / "index.html"
            if local.suffix == ".html" and local.is_file():
                html = local.read_text("utf-8")
                tag = '<script src="/__livereload.js"></script>'
                html = html.replace("</body>", tag + "</body>", 1) if "</body>" in html else html + tag
                return self._send(html.encode(), "text/html; charset=utf-8")
            return super().do_GET()

        def _send(self, data: bytes, ctype: str):
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(data)

    return Handler


def run_serve(preview: Preview, host: str, port: int) -> int:
    """Build, then serve `preview.out` on host:port until interrupted, rebuilding on every save."""
    preview.on_event("building", None)
    preview.full_build()
    server = http.server.ThreadingHTTPServer((host, port), make_handler(preview))
    stop = threading.Event()
    watcher = threading.Thread(target=functools.partial(preview.watch, stop), daemon=True)
    watcher.start()
    host, port = server.server_address[:2]
    preview.on_event("serving", {"url": f"http://{host}:{port}/", "root": preview.root})
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.server_close()
    return 0
