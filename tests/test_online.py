"""--online checks external links against a local server; never by default; results cached."""

from __future__ import annotations

import http.server
import threading

import pytest

from conftest import diagnostics_json, patch_file


@pytest.fixture
def server():
    class Handler(http.server.BaseHTTPRequestHandler):
        hits = []

        def do_HEAD(self):
            Handler.hits.append(self.path)
            self.send_response(200 if self.path == "/ok" else 404)
            self.end_headers()

        do_GET = do_HEAD

        def log_message(self, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}", Handler.hits
    srv.shutdown()


def test_online_reports_dead_links_once_and_caches(book, capsys, server):
    base, hits = server
    patch_file(book, "source/ch02/conv-params.zh.md", "个参数。", f"个参数，见 [好]({base}/ok) 与 [坏]({base}/gone)。")
    rc, diags = diagnostics_json(capsys, "check", ".", "--no-claims")
    assert rc == 0 and not hits  # never online by default
    rc, diags = diagnostics_json(capsys, "check", ".", "--no-claims", "--online")
    [d] = [d for d in diags if d["code"] == "DL407"]
    assert (d["file"], d["line"]) == ("source/ch02/conv-params.zh.md", 7) and "HTTP 404" in d["message"]
    n = len(hits)
    diagnostics_json(capsys, "check", ".", "--no-claims", "--online")
    assert len(hits) == n  # served from the cache
