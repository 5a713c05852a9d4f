"""Claims and runnable code: each failure kind gives one precise diagnostic; the cache makes reruns free."""

from __future__ import annotations

import time

import pytest

from conftest import copy_fixture, diagnostics_json, patch_file, run_cli

CLAIMS = "source/ch01/claims.zh.md"
CODE = "source/ch01/{}.zh.md"


def run_fixture(tmp_path_factory, name: str, *argv: str):
    """Copy a fixture book and run the CLI in it once; returns (exit code, diagnostics, seconds, root)."""
    import contextlib
    import io
    import json
    import os

    from pipeline.cli import main
    root = copy_fixture(name, tmp_path_factory.mktemp(name) / "book")
    cwd = os.getcwd()
    os.chdir(root)
    try:
        buf = io.StringIO()
        t0 = time.monotonic()
        with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(io.StringIO()):
            rc = main([*argv, ".", "--format", "json", "--quiet"])
        elapsed = time.monotonic() - t0
    finally:
        os.chdir(cwd)
    return rc, json.loads(buf.getvalue())["diagnostics"], elapsed, root


@pytest.fixture(scope="module")
def bad_claims_run(tmp_path_factory):
    """Run the bad-claims fixture once; several tests read its diagnostics."""
    return run_fixture(tmp_path_factory, "claims_bad", "claims")


@pytest.mark.parametrize("code,line", [
    ("DL701", 8), ("DL705", 9), ("DL706", 10), ("DL704", 11), ("DL707", 12), ("DL702", 13), ("DL706", 14),
])
def test_each_bad_claim_has_one_precise_diagnostic(bad_claims_run, code, line):
    rc, diags, _, _ = bad_claims_run
    assert rc == 1
    hits = [d for d in diags if d["file"] == CLAIMS and d["line"] == line]
    assert [d["code"] for d in hits] == [code], hits


def test_failures_point_into_checks(bad_claims_run):
    _, diags, _, _ = bad_claims_run
    raised = next(d for d in diags if d["code"] == "DL704")
    assert "checks/bad.py:22" in raised["message"]
    memory = next(d for d in diags if d["code"] == "DL706" and d["line"] == 14)
    assert "memory" in memory["message"]


def test_right_claims_pass_and_run_finishes_within_limits(bad_claims_run):
    rc, diags, elapsed, _ = bad_claims_run
    good_lines = {7, 15, 16}
    assert not [d for d in diags if d["file"] == CLAIMS and d["line"] in good_lines and d["severity"] == "error"]
    assert elapsed < 30  # time limit 3 s per check, hanging and hungry checks killed


def test_uncited_check_and_gpu_only_note(bad_claims_run):
    _, diags, _, _ = bad_claims_run
    assert any(d["code"] == "DL703" and d["file"] == "checks/bad.py" and d["line"] == 44 for d in diags)
    note = next(d for d in diags if d["code"] == "DL711")
    assert note["severity"] == "note" and note["line"] == 17


def test_require_cuda_without_gpu_is_an_error(book, capsys):
    rc, diags = diagnostics_json(capsys, "claims", ".", "--require", "cuda", "--quiet")
    assert rc == 1
    assert any(d["code"] == "DL709" for d in diags)


def test_second_run_runs_nothing_and_check_reads_the_cache(book, capsys):
    rc, out, err = run_cli(capsys, "claims", ".", "--device", "cpu")
    assert rc == 0, err
    assert "0 from cache" in out
    rc, out, err = run_cli(capsys, "claims", ".", "--device", "cpu")
    assert rc == 0 and " 0 task(s) run" in out
    # A wrong number is found by `dl500 check` from the cache, without running anything.
    patch_file(book, "source/ch02/conv-params.zh.md", "[73,856]", "[73,855]")
    rc, diags = diagnostics_json(capsys, "check", ".")
    assert rc == 1
    [d] = [d for d in diags if d["code"] == "DL701"]
    assert (d["file"], d["line"]) == ("source/ch02/conv-params.zh.md", 7)
    assert "73,856" in d["hint"]


def test_changed_check_code_reruns(book, capsys):
    run_cli(capsys, "claims", ".", "--device", "cpu")
    patch_file(book, "checks/act.py", "return 3 * 3 * 64 * 128 + 128", "return 3 * 3 * 64 * 128")
    rc, diags = diagnostics_json(capsys, "claims", ".", "--device", "cpu", "--quiet")
    assert rc == 1
    assert [d["code"] for d in diags if d["severity"] == "error"] == ["DL701"]


def test_translation_citing_another_number(book, capsys):
    patch_file(book, "source/ch01/sigmoid-grad.en.md", "[0.25]", "[0.250]")
    rc, diags = diagnostics_json(capsys, "check", ".")
    # 0.250 is the same number: no drift
    assert not [d for d in diags if d["code"] == "DL712"]
    patch_file(book, "source/ch01/sigmoid-grad.en.md", "[0.250]", "[0.26]")
    rc, diags = diagnostics_json(capsys, "check", ".")
    [d] = [d for d in diags if d["code"] == "DL712"]
    assert (d["file"], d["line"]) == ("source/ch01/sigmoid-grad.en.md", 11)


@pytest.fixture(scope="module")
def bad_code_run(tmp_path_factory):
    rc, diags, _, root = run_fixture(tmp_path_factory, "code_bad", "claims")
    return rc, diags, root


@pytest.mark.parametrize("name,code,line", [
    ("differs", "DL801", 15), ("raises", "DL802", 10), ("hangs", "DL803", 7), ("undeclared", "DL804", 9),
])
def test_each_bad_block_has_one_precise_diagnostic(bad_code_run, name, code, line):
    rc, diags, _ = bad_code_run
    assert rc == 1
    hits = [d for d in diags if d["file"] == CODE.format(name) and d["severity"] == "error"]
    assert [(d["code"], d["line"]) for d in hits] == [(code, line)], hits


def test_output_diff_is_in_the_message(bad_code_run):
    _, diags, _ = bad_code_run
    d = next(d for d in diags if d["code"] == "DL801")
    assert "-[0.25 0.75]" in d["message"] and "+[0.26894142 0.73105858]" in d["message"]


def test_translation_drift_and_variables(bad_code_run):
    _, diags, _ = bad_code_run
    drift = [d for d in diags if d["code"] == "DL805"]
    assert [(d["file"], d["line"]) for d in drift] == [("source/ch01/shared.en.md", 15)]
    missing = [(d["file"], d["line"]) for d in diags if d["code"] == "DL807"]
    assert ("source/ch01/shared.zh.md", 21) in missing
    # the claim citing a defined variable passes; the shared namespace (setup block) works
    assert not [d for d in diags if d["file"] == "source/ch01/shared.zh.md" and d["code"] in ("DL801", "DL802")]


def test_cuda_block_skipped_with_note(bad_code_run):
    _, diags, _ = bad_code_run
    [d] = [d for d in diags if d["code"] == "DL711"]
    assert d["file"] == CODE.format("gpu") and d["severity"] == "note"


def test_update_outputs_repairs_only_the_output(tmp_path, capsys, monkeypatch):
    root = copy_fixture("code_bad", tmp_path / "book")
    monkeypatch.chdir(root)
    target = root / CODE.format("differs")
    before = target.read_bytes()
    other = (root / CODE.format("raises")).read_bytes()
    run_cli(capsys, "claims", ".", "--device", "cpu", "--update-outputs", "--quiet")
    after = target.read_bytes()
    expected = before.replace(b"[0.25 0.75]", b"[0.26894142 0.73105858]")
    assert after == expected
    assert (root / CODE.format("raises")).read_bytes() == other
    rc, diags = diagnostics_json(capsys, "claims", ".", "--device", "cpu", "--quiet")
    assert not [d for d in diags if d["code"] == "DL801"]


def test_update_outputs_inserts_a_missing_output_block(book, capsys):
    f = book / "source/ch01/relu-why.zh.md"
    text = f.read_text("utf-8")
    f.write_text(text.split("\n```{.output}")[0].rstrip("\n") + "\n", "utf-8")
    rc, diags = diagnostics_json(capsys, "claims", ".", "--device", "cpu", "--quiet")
    assert any(d["code"] == "DL808" for d in diags)
    run_cli(capsys, "claims", ".", "--device", "cpu", "--update-outputs", "--quiet")
    assert f.read_text("utf-8") == text


def test_cpu_cuda_disagreement_is_reported():
    from pipeline.claims import _compare_claims
    from pipeline.claims.discover import CheckFunction, Claim
    from pathlib import Path
    from types import SimpleNamespace
    c = Claim("q", "zh", "q.zh.md", 3, 1, "1.0", "m.f", None, None, None, None, [(1.0, 0.05)])
    checks = {"m.f": CheckFunction("m", "f", Path("/x/checks/m.py"), 1)}
    results = {("m.f", "cpu"): {"status": "ok", "value": 1.0}, ("m.f", "cuda"): {"status": "ok", "value": 1.01}}
    fake_book = SimpleNamespace(root=Path("/x/source"))
    diags = _compare_claims(fake_book, [c], checks, results, {}, ["cpu", "cuda"], False)
    assert [d.code for d in diags] == ["DL708"]


@pytest.mark.parametrize("text,value,ok", [
    ("61,706", 61706, True), ("61,706", 61705, False), ("60M", 61_100_840, False), ("61M", 61_100_840, True),
    ("0.0066", 0.006648, True), ("0.3", 0.25, False), ("25%", 0.25, True), ("4.1 GFLOPs", 4.09e9, True),
    ("1.2亿", 1.2e8, True), ("约 0.25", 0.25, True), ("-1.386", -1.3863, True), ("1.2e-3", 0.00121, True),
])
def test_written_number_forms(text, value, ok):
    from pipeline.claims.numbers import compare, parse_claim_numbers
    assert (compare(parse_claim_numbers(text), [value]) is None) is ok


def test_tuple_claims():
    from pipeline.claims.numbers import compare, parse_claim_numbers
    assert compare(parse_claim_numbers("16×5×5"), [16, 5, 5]) is None
    assert compare(parse_claim_numbers("16×5×5"), [16, 5]) is not None


def test_cpu_and_cuda_results_agree_when_both_overflow_to_the_same_infinity():
    """Found on an H200: fp16 overflow gives [inf, 90112] on both devices and was reported as a mismatch."""
    from pipeline.claims.numbers import agree
    inf = float("inf")
    assert agree([inf, 90112.0], [inf, 90112.0])
    assert agree([float("nan")], [float("nan")])
    assert not agree([inf], [-inf])
    assert not agree([inf], [65504.0])
    assert not agree([float("nan")], [1.0])
    assert agree([1.0], [1.0 + 1e-7]) and not agree([1.0], [1.01])
