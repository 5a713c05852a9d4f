"""Claims: run the checks and runnable blocks the book cites, in worker processes, cached by content hash."""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from ..cache import ContentCache, cache_root
from ..cache import key as content_key
from ..diagnostics import ERROR, NOTE, WARNING, diag
from ..load import display_path
from ..validate import parsed_body
from .discover import drift_diagnostics, find_checks, find_claims, find_code_units, module_hash, static_diagnostics
from ..sandbox.pool import WorkerStartFailed
from .numbers import agree, compare, pick, suggest_text
from .outputs import output_diff, outputs_match, rewrite_outputs

DEFAULT_TIMEOUT = 10.0
DEFAULT_MEMORY_MB = 2048


@dataclass
class ClaimsResult:
    diagnostics: list = field(default_factory=list)
    records: list = field(default_factory=list)
    ran: int = 0
    cached: int = 0
    skipped: list = field(default_factory=list)
    claims: int = 0
    blocks: int = 0
    seconds: float = 0.0
    sandbox: str = ""
    workers_started: int = 0
    verified: int = 0

    def summary(self) -> str:
        errors = sum(1 for d in self.diagnostics if d.severity == ERROR)
        s = (f"claims: {self.claims} claim(s), {self.blocks} runnable block(s); {self.ran} task(s) run, "
             f"{self.cached} from cache; {errors} error(s); {self.seconds:.2f} s")
        if self.ran:
            s += f"\nsandbox: {self.sandbox}"
        if self.verified:
            s += f"\nverified {self.verified} cache entr{'y' if self.verified == 1 else 'ies'} by running them again"
        if self.skipped:
            s += f"\nskipped on cuda (no GPU here): {len(self.skipped)} task(s)"
        return s


@lru_cache(maxsize=1)
def versions() -> str:
    out = []
    for pkg in ("numpy", "torch"):
        try:
            out.append(f"{pkg}={metadata.version(pkg)}")
        except metadata.PackageNotFoundError:
            out.append(f"{pkg}=none")
    return ",".join(out)


class Cache(ContentCache):
    """One JSON file per result under .dl500-cache/claims/ (what --verify-cache samples and re-runs)."""

    def __init__(self, folder: Path, enabled: bool = True):
        super().__init__(folder, suffix=".json", enabled=enabled)

    def get(self, k: str):
        value = self.get_json(k)
        return value if isinstance(value, dict) and isinstance(value.get("status"), str) else None

    def put(self, k: str, value) -> None:
        self.put_json(k, value)


def cache_dir(book) -> Path:
    return cache_root(book.root.parent)


def check_key(book, name: str, device: str, hashes: dict | None = None) -> str:
    """Cache key of a check's result: its module and everything it imports, the device, the library versions."""
    module, func = name.split(".", 1)
    mh = hashes[module] if hashes is not None and module in hashes else module_hash(book.checks_dir, module)
    return "c-" + content_key("check", mh, func, device, versions())


def code_key(book, unit, device: str) -> str:
    parts = ["code", device, versions(), ",".join(sorted(allowed_modules(book)))]
    parts += [rb.block.code for rb in unit.blocks] + unit.variables
    return "b-" + content_key(*parts)


def allowed_modules(book) -> set:
    return set(book.meta.get("dependencies") or []) | {"checks"}


def limits(book) -> tuple[float, float]:
    opts = book.options
    return float(opts.get("claim_timeout", DEFAULT_TIMEOUT)), float(opts.get("claim_memory_mb", DEFAULT_MEMORY_MB))


def cached_claim_diagnostics(book) -> list:
    """What `dl500 check` reports about claims: static problems plus results already in the cache."""
    return run_claims(book, device="cpu", cache_only=True, quiet=True).diagnostics


def gpu_present() -> bool:
    """Whether an NVIDIA device node exists: the cheap test that lets a CPU machine skip starting a worker."""
    return os.path.exists("/dev/nvidiactl")


class LazyPool:
    """Starts sandboxed workers only when a task has to run: a warm run of an unchanged book starts none."""

    def __init__(self, book, jobs: int, tasks: int):
        self.book, self.jobs, self.tasks = book, jobs, tasks
        self.pool = None
        self.started = 0

    def get(self):
        if self.pool is None:
            from ..sandbox.pool import Pool
            jobs = self.jobs or os.cpu_count() or 1
            self.pool = Pool(str(self.book.checks_dir), [self.book.root, self.book.checks_dir],
                             min(jobs, max(1, self.tasks)))
            self.started += 1
        return self.pool

    def close(self):
        if self.pool is not None:
            self.pool.close()


def run_claims(book, device="all", jobs=0, require_cuda=False, use_cache=True, quiet=False,
               update_outputs=False, cache_only=False, require_sandbox=False, verify_cache=0,
               write_record=True) -> ClaimsResult:
    """Run (or replay from the cache) every check and runnable block; compare the text with the results.

    `write_record`: also write build/claims.json (what `dl500 claims` leaves for CI artifacts). The build runs
    claims with it off: the build's outputs are published only as a whole set, never written in place."""
    t0 = time.monotonic()
    res = ClaimsResult()
    claims, d1 = find_claims(book, parsed_body)
    units, d2 = find_code_units(book, parsed_body)
    checks = find_checks(book.checks_dir)
    res.diagnostics += d1 + d2 + static_diagnostics(book, claims, checks) + drift_diagnostics(book, units)
    res.claims, res.blocks = len(claims), sum(len(u.blocks) for u in units)
    cache = Cache(cache_dir(book) / "claims", enabled=use_cache)
    limits = task_limits(book)
    cited = sorted({c.check for c in claims if c.check in checks})
    can_run = not cache_only and _sandbox_allows(book, require_sandbox, res)
    pool = LazyPool(book, jobs, len(cited) + len(units)) if can_run else None

    devices = _devices_to_run(book, device, pool if can_run else None, limits, require_cuda, cache_only, res)

    try:
        check_results = _run_checks(book, cited, devices, cache, pool, limits, res, quiet)
        _record_checks(res, check_results)
        code_results = _run_code(book, units, devices, cache, pool, limits, res, quiet)
        if verify_cache and pool is not None:
            res.diagnostics += _verify_cache(book, claims, units, check_results, code_results, pool, cache,
                                             limits, verify_cache, res)
    except WorkerStartFailed as e:
        check_results, code_results = {}, {}
        res.diagnostics.append(diag("DL724", display_path(book.root / "book.yaml", book.root), 1, 1,
                                    f"the claims sandbox could not start a worker: {str(e)[-300:]}",
                                    "run `dl500 doctor`; check that bubblewrap can start this Python "
                                    f"({sys.executable})"))
    finally:
        if pool:
            pool.close()
    res.workers_started = pool.started if pool else 0
    # The text is compared with the results on every run, whether they came from the cache or not.
    res.diagnostics += _code_diagnostics(units, code_results)
    res.diagnostics += _compare_claims(book, claims, checks, check_results, code_results, devices, cache_only)
    guards = {}
    for c in claims:
        if c.check:
            guards.setdefault(c.check, []).append(f"{c.rel}:{c.line}")
    for r in res.records:
        r["claims"] = guards.get(r["check"], [])
    if update_outputs:
        _update_outputs(units, code_results)
    if not cache_only and write_record:
        _write_record(book, res)
    res.seconds = time.monotonic() - t0
    return res


def _devices_to_run(book, device: str, pool, limits: dict, require_cuda: bool, cache_only: bool, res) -> list:
    """cpu and/or cuda as asked; cuda only where a GPU is present and torch sees it (a sandboxed probe),
    else skipped (DL709 with --require cuda)."""
    devices = ["cpu"] if device == "cpu" else ["cuda"] if device == "cuda" else ["cpu", "cuda"]
    cuda = False
    if "cuda" in devices and pool is not None and gpu_present():
        try:
            probe = pool.get().run({"kind": "probe"}, limits)
            cuda = bool(probe.reply and probe.reply.get("cuda"))
        except WorkerStartFailed:
            cuda = False  # reported below, where the first task fails to start a worker as well
    if "cuda" in devices and not cuda and not cache_only:
        if require_cuda:
            res.diagnostics.append(diag("DL709", display_path(book.root / "book.yaml", book.root), 1, 1,
                                        "--require cuda, but torch sees no CUDA device here",
                                        "run on a machine with an NVIDIA GPU and a CUDA build of torch"))
        devices = [d for d in devices if d != "cuda"]
        res.skipped.append("cuda")
    return devices


def task_limits(book) -> dict:
    timeout, memory = limits(book)
    return {"cpu": timeout, "memory_mb": memory}


def _sandbox_allows(book, require_sandbox: bool, res) -> bool:
    """Warn on every run without the strong sandbox; with --require-sandbox, refuse to run contributor code."""
    from ..sandbox import sandbox_kind
    kind = sandbox_kind()
    res.sandbox = kind.mechanism
    if kind.strong:
        return True
    where = display_path(book.root / "book.yaml", book.root)
    hint = ("install bubblewrap (apt-get install bubblewrap) and allow unprivileged user namespaces; "
            "see docs/security.md")
    if require_sandbox:
        res.diagnostics.append(diag("DL721", where, 1, 1, f"--require-sandbox, but {kind.reason}: no check or "
                                    "block was run", hint))
        return False
    res.diagnostics.append(diag("DL721", where, 1, 1, f"contributor code runs WITHOUT the sandbox ({kind.reason}): "
                                "rlimits and a clean environment only, no filesystem or network isolation",
                                hint, WARNING))
    return True


def _progress(quiet: bool, total: int, label: str):
    if quiet or total == 0:
        return None
    from rich.progress import Progress
    p = Progress(transient=True, console=_stderr_console())
    p.start()
    return p, p.add_task(label, total=total)


def _stderr_console():
    from rich.console import Console
    return Console(stderr=True)


CACHEABLE_CHECK = ("ok", "not-applicable", "not-a-number", "error", "missing")
VOLATILE = ("id", "cpu_seconds", "peak_rss_mb", "strays", "violations", "stderr")


def _run_checks(book, cited, devices, cache, pool, limits, res, quiet) -> dict:
    """(check name, device) -> reply dict (status ok/error/timeout/memory/crash/violation/…)."""
    hashes = {m: module_hash(book.checks_dir, m) for m in {name.split(".", 1)[0] for name in cited}}
    wanted = [((name, dev), (name, dev, check_key(book, name, dev, hashes))) for name in cited for dev in devices]
    out, todo = _split_by_cache(wanted, cache, res, pool is not None)
    if not todo:
        return out

    def store(item, rep, outcome):
        name, dev, key = item
        rep["seconds"] = round(float(rep.get("cpu_seconds") or outcome.seconds), 4)
        rep["at"] = int(time.time())  # when this result was computed: the web edition shows "last passed"
        out[(name, dev)] = rep
        if rep["status"] in CACHEABLE_CHECK:
            cache.put(key, {k: v for k, v in rep.items() if k not in VOLATILE})

    _run_tasks(pool.get(), todo, "checks", quiet, res, store,
               lambda it: {"kind": "check", "module": it[0].split(".")[0], "func": it[0].split(".")[1],
                           "device": it[1]}, lambda it: limits)
    return out


def _run_tasks(pool, todo, label, quiet, res, store, make_request, limits_of) -> None:
    """Run tasks in the pool with a progress bar; `store(task, reply, outcome)` keeps each result."""
    prog = _progress(quiet, len(todo), label)

    def done(item, outcome):
        store(item, _outcome_to_reply(outcome), outcome)
        if prog:
            prog[0].advance(prog[1])

    pool.map(todo, make_request, limits_of, done)
    if prog:
        prog[0].stop()
    res.ran += len(todo)


def _record_checks(res, out) -> None:
    for (name, dev), rep in sorted(out.items()):
        res.records.append({"check": name, "device": dev, "status": rep.get("status"), "value": rep.get("value"),
                            "seconds": rep.get("seconds"), "peak_rss_mb": rep.get("peak_rss_mb"),
                            "passed_at": _iso(rep.get("at")) if rep.get("status") == "ok" else None, "claims": []})


def _iso(epoch) -> str | None:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch)) if epoch else None


def _outcome_to_reply(outcome) -> dict:
    if outcome.status == "reply":
        return dict(outcome.reply)
    info = outcome.reply or {}
    return {"status": "crash", "returncode": info.get("returncode"), "stderr": outcome.stderr_tail,
            "why": info.get("why", "")}


def _split_by_cache(items, cache, res, can_run: bool):
    """items: (result key, task whose last element is the cache key) → (cached results, tasks to run)."""
    out, todo = {}, []
    for result_key, task in items:
        hit = cache.get(task[-1])
        if hit is not None:
            hit["from_cache"] = True
            out[result_key] = hit
            res.cached += 1
        elif can_run:
            todo.append(task)
    return out, todo


def _run_code(book, units, devices, cache, pool, limits, res, quiet) -> dict:
    """(qid, lang, device) -> reply dict for the question's blocks."""
    items = []
    for u in units:
        wanted = [d for d in devices if u.device in ("any", d)]
        if u.device == "cuda" and not wanted:
            res.skipped.append(f"{u.rel} (device=cuda)")
            if pool is not None:  # a real run, not `dl500 check` reading the cache
                b = u.blocks[0].block
                res.diagnostics.append(diag("DL711", u.rel, b.line, 1, "device=cuda block not run: no GPU here",
                                            "run dl500 claims --device all on a machine with a GPU", NOTE))
        items += [((u.qid, u.lang, dev), (u, dev, code_key(book, u, dev))) for dev in wanted]
    out, todo = _split_by_cache(items, cache, res, pool is not None)
    if not todo:
        return out

    def store(item, rep, outcome):
        u, dev, key = item
        out[(u.qid, u.lang, dev)] = rep
        if rep["status"] == "done":
            cache.put(key, {k: v for k, v in rep.items() if k not in VOLATILE})

    allowed = sorted(allowed_modules(book))

    def unit_limits(it):
        return {**limits, "cpu": sum(rb.timeout or limits["cpu"] for rb in it[0].blocks)}

    _run_tasks(pool.get(), todo, "code blocks", quiet, res, store,
               lambda it: {"kind": "code", "device": it[1], "allowed": allowed, "variables": it[0].variables,
                           "blocks": [rb.block.code for rb in it[0].blocks]}, unit_limits)
    return out


def _verify_cache(book, claims, units, check_results, code_results, pool, cache, limits, sample, res) -> list:
    """Run a random sample of results that came from the cache again; an entry that disagrees is an error."""
    import random
    first_claim = {}
    for c in claims:
        if c.check:
            first_claim.setdefault(c.check, c)
    cand = [("check", k) for k, v in sorted(check_results.items()) if v.get("from_cache") and k[0] in first_claim]
    by_unit = {(u.qid, u.lang): u for u in units}
    cand += [("code", k) for k, v in sorted(code_results.items()) if v.get("from_cache")]
    picked = cand if sample < 0 or sample >= len(cand) else random.SystemRandom().sample(cand, sample)
    out = []
    for kind, k in picked:
        if kind == "check":
            name, dev = k
            fresh = pool.get().run({"kind": "check", "module": name.split(".")[0], "func": name.split(".")[1],
                                    "device": dev}, limits)
            rep = _outcome_to_reply(fresh)
            same = rep.get("status") == check_results[k].get("status") and _same_value(rep, check_results[k])
            c, key = first_claim[name], check_key(book, name, dev)
            where = (c.rel, c.line, c.col, f"{name} on {dev}")
        else:
            u, dev = by_unit[(k[0], k[1])], k[2]
            fresh = pool.get().run({"kind": "code", "device": dev, "allowed": sorted(allowed_modules(book)),
                                    "variables": u.variables, "blocks": [rb.block.code for rb in u.blocks]}, limits)
            rep = _outcome_to_reply(fresh)
            old = code_results[k]
            same = rep.get("status") == old.get("status") and \
                [b.get("stdout") for b in rep.get("blocks", [])] == [b.get("stdout") for b in old.get("blocks", [])]
            key = code_key(book, u, dev)
            where = (u.rel, u.blocks[0].block.line, 1, f"the code blocks on {dev}")
        res.verified += 1
        if not same:
            cache.delete(key)
            out.append(diag("DL722", where[0], where[1], where[2], f"the cached result of {where[3]} disagrees with "
                            "a fresh run; the entry was removed", "run dl500 claims again; if it recurs, the check "
                            "is not deterministic (seed it) or the cache was tampered with"))
    return out


def _same_value(a: dict, b: dict) -> bool:
    from .numbers import flatten_result
    if a.get("status") != "ok":
        return True
    try:
        return agree(flatten_result(a.get("value")), flatten_result(b.get("value")), rtol=1e-9, atol=0.0)
    except (TypeError, ValueError):
        return a.get("value") == b.get("value")


VIOLATION_HINT = ("contributor code may not use the network, write outside its temporary folder, leave processes "
                  "running or print past the output limit; see docs/security.md")


def _violation_text(rep) -> str:
    return "; ".join(rep.get("violations") or ["broke the sandbox's rules"])


def _code_diagnostics(units, results) -> list:
    out = []
    for u in units:
        per_dev = {dev: results.get((u.qid, u.lang, dev)) for dev in ("cpu", "cuda")}
        for dev, rep in per_dev.items():
            if rep is None:
                continue
            first = u.blocks[0].block
            if rep["status"] == "timeout":
                out.append(diag("DL803", u.rel, first.line, 1, f"blocks of this question ran past their time limit "
                                f"on {dev}", "make it faster, or raise timeout= on the block"))
                continue
            if rep["status"] == "violation":
                out.append(diag("DL720", u.rel, first.line, 1, f"sandbox violation on {dev}: {_violation_text(rep)}",
                                VIOLATION_HINT))
                continue
            if rep["status"] in ("memory", "crash"):
                what = "exceeded the memory limit" if rep["status"] == "memory" else \
                    f"crashed the interpreter (exit {rep.get('returncode')})"
                out.append(diag("DL806", u.rel, first.line, 1, f"code {what} on {dev}",
                                (rep.get("stderr") or "").strip()[-200:] or "run the block alone to see why"))
                continue
            for rb, br in zip(u.blocks, rep.get("blocks", [])):
                b = rb.block
                if br["status"] == "undeclared":
                    line = b.first_code_line + (br.get("line") or 1) - 1
                    out.append(diag("DL804", u.rel, line, 1, f"imports '{br['module']}', which is not a declared "
                                    "dependency", "use numpy, torch or the standard library, or add the package to "
                                    "book.yaml dependencies and pyproject.toml"))
                elif br["status"] == "error":
                    line = b.first_code_line + (br.get("line") or 1) - 1
                    out.append(diag("DL802", u.rel, line, 1, f"block raised on {dev}: {br['error']}",
                                    br.get("traceback", "")[-300:]))
                elif rb.output is not None and not outputs_match(rb.output.code, br["stdout"], rb.rtol):
                    out.append(diag("DL801", u.rel, rb.output.line, 1,
                                    f"output on {dev} differs from the output shown:\n{output_diff(rb.output.code, br['stdout'])}",
                                    "fix the code or the shown output; `dl500 claims --update-outputs` rewrites it"))
        cpu, gpu = per_dev["cpu"], per_dev["cuda"]
        if cpu and gpu and cpu.get("status") == gpu.get("status") == "done":
            for rb, a, b in zip(u.blocks, cpu["blocks"], gpu["blocks"]):
                if a["status"] == b["status"] == "ok" and not outputs_match(a["stdout"], b["stdout"], rb.rtol):
                    out.append(diag("DL708", u.rel, rb.block.line, 1, "CPU and CUDA print different output:\n"
                                    + output_diff(a["stdout"], b["stdout"]), "add rtol= or round the printed values"))
    return out


def _compare_claims(book, claims, checks, check_results, code_results, devices, cache_only) -> list:
    out = []
    for c in claims:
        if c.check:
            if c.check not in checks:
                continue
            cf = checks[c.check]
            where = f"{display_path(cf.file, book.root)}:{cf.line}"
            per_dev = {}
            for dev in devices:
                rep = check_results.get((c.check, dev))
                if rep is None:
                    continue
                d = _check_reply_diagnostic(book, c, dev, rep, where)
                if d:
                    out.append(d)
                elif rep.get("status") == "ok":
                    per_dev[dev] = rep["value"]
            ran = [check_results.get((c.check, dev), {}).get("status") for dev in devices]
            if not cache_only and ran and all(st == "not-applicable" for st in ran):
                out.append(diag("DL711", c.rel, c.line, c.col, f"{c.check} runs only on "
                                f"{', '.join(check_results[(c.check, devices[0])].get('devices', []))}; not checked here",
                                "run dl500 claims --device all on a machine with a GPU", NOTE))
            if "cpu" in per_dev and "cuda" in per_dev:
                from .numbers import flatten_result
                a, b = flatten_result(per_dev["cpu"]), flatten_result(per_dev["cuda"])
                if not agree(a, b, rtol=c.rtol or 1e-5, atol=c.atol or 1e-8):
                    out.append(diag("DL708", c.rel, c.line, c.col, f"{c.check}: CPU gives {a[:4]}, CUDA {b[:4]}",
                                    "widen rtol= if the difference is expected, or fix the computation"))
        elif c.var:
            rep = code_results.get((c.qid, c.lang, "cpu"))
            if rep is None or rep.get("status") != "done":
                continue
            val = rep.get("variables", {}).get(c.var)
            if val is None:
                out.append(diag("DL807", c.rel, c.line, c.col, f"claim [{c.text}] cites '{c.var}', which no runnable "
                                "block of this question defines", "define it in a {.python .run} block above"))
                continue
            out += _value_diagnostics(c, val, f"variable {c.var}", "cpu", "")
    return out


def _check_reply_diagnostic(book, c, dev, rep, where):
    st = rep.get("status")
    wloc = rep.get("where") or []
    if wloc:
        f, ln = wloc[-1]
        where = f"{display_path(Path(f), book.root)}:{ln}"
    if st == "ok":
        ds = _value_diagnostics(c, rep["value"], c.check, dev, where)
        return ds[0] if ds else None
    if st == "not-applicable":
        return None
    if st == "missing":
        return diag("DL702", c.rel, c.line, c.col, f"'{c.check}' is not a function of its module", "define it")
    if st == "error":
        return diag("DL704", c.rel, c.line, c.col, f"{c.check} raised on {dev} at {where}: {rep.get('error')}",
                    "fix the check; its traceback: " + " | ".join(rep.get("traceback", "").strip().split("\n")[-3:]))
    if st == "timeout":
        return diag("DL705", c.rel, c.line, c.col, f"{c.check} ran past its time limit on {dev} ({where})",
                    "make the check faster (meta-device models, smaller inputs) or raise options.claim_timeout")
    if st == "memory":
        return diag("DL706", c.rel, c.line, c.col, f"{c.check} exceeded the memory limit on {dev} "
                    f"({rep.get('peak_rss_mb')} MB, {where})", "build models on the meta device")
    if st == "crash":
        return diag("DL706", c.rel, c.line, c.col, f"{c.check} crashed the interpreter on {dev} "
                    f"(exit {rep.get('returncode')}, {where})", (rep.get("stderr") or "").strip()[-200:] or
                    "run the check alone to see why")
    if st == "violation":
        return diag("DL720", c.rel, c.line, c.col, f"{c.check}: sandbox violation on {dev} ({where}): "
                    f"{_violation_text(rep)}", VIOLATION_HINT)
    if st == "not-a-number":
        return diag("DL707", c.rel, c.line, c.col, f"{c.check} on {dev} at {where}: {rep.get('error')}",
                    "return an int, a float, a tuple of numbers or an array")
    return None


def _value_diagnostics(c, value, name, dev, where) -> list:
    from .numbers import flatten_result
    try:
        vals = pick(flatten_result(value), c.index)
    except (TypeError, IndexError) as e:
        return [diag("DL707", c.rel, c.line, c.col, f"{name}: {e}", "return numbers; check index=")]
    problem = compare(c.written, vals, c.rtol, c.atol)
    if problem:
        loc = f" ({where})" if where else ""
        return [diag("DL701", c.rel, c.line, c.col, f"[{c.text}]: {problem} — {name} on {dev}{loc}",
                     f"write [{suggest_text(vals, c.text)}] if the check is right, or fix the check")]
    return []


def _update_outputs(units, results) -> None:
    by_path = {}
    for u in units:
        rep = results.get((u.qid, u.lang, "cpu"))
        if not rep or rep.get("status") != "done":
            continue
        for rb, br in zip(u.blocks, rep["blocks"]):
            if br["status"] == "ok" and not rb.setup and (rb.output is None or rb.output.code != br["stdout"]):
                by_path.setdefault(u.path, []).append((rb.block.end_line, rb.output, br["stdout"]))
    for path, reps in by_path.items():
        rewrite_outputs(path, reps)


def _write_record(book, res) -> None:
    out = book.root.parent / "build"
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / f".claims.json.{os.getpid()}"
    tmp.write_text(json.dumps({"checks": res.records, "skipped": res.skipped}, indent=1), "utf-8")
    os.replace(tmp, out / "claims.json")


__all__ = ["run_claims", "cached_claim_diagnostics", "ClaimsResult", "NOTE", "WARNING"]
