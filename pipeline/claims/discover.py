"""Find the claims and runnable code in the book, and the checks in checks/, without running anything."""

from __future__ import annotations

import ast
import hashlib
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ..diagnostics import WARNING, diag
from ..validate.body_scanner import Body
from .numbers import ClaimTextError, parse_claim_numbers


@dataclass
class Claim:
    qid: str
    lang: str
    rel: str
    line: int
    col: int
    text: str
    check: str | None  # module.function
    var: str | None  # from= variable of a runnable block
    rtol: float | None
    atol: float | None
    index: int | None
    written: list = field(default_factory=list)


@dataclass
class RunBlock:
    block: object  # markdown.CodeBlock
    output: object | None  # the .output CodeBlock that follows, if any
    setup: bool
    device: str  # cpu, cuda, any
    rtol: float | None
    timeout: float | None  # None: the book's claim_timeout


@dataclass
class CodeUnit:
    """The runnable blocks of one question in one language: they share a namespace."""

    qid: str
    lang: str
    rel: str
    path: Path
    blocks: list
    variables: list

    @property
    def device(self) -> str:
        kinds = {b.device for b in self.blocks}
        return "cuda" if "cuda" in kinds else "any" if "any" in kinds else "cpu"


def _float(v):
    try:
        return float(v) if v is not None else None
    except ValueError:
        return None


def find_claims(book, body_of) -> tuple[list[Claim], list]:
    claims, diags = [], []
    for (qid, lang), qt in sorted(book.texts.items()):
        for s in body_of(qt).spans({"claim"}):
            a = s.attrs
            c = Claim(qid, lang, qt.rel, s.line, s.col, s.text, a.get("check"), a.get("from"),
                      _float(a.get("rtol")), _float(a.get("atol")),
                      int(a["index"]) if a.get("index", "").lstrip("-").isdigit() else None)
            bad = [k for k in ("rtol", "atol") if a.get(k) is not None and _float(a.get(k)) is None]
            if bad or ("index" in a and c.index is None):
                diags.append(diag("DL710", qt.rel, s.line, s.col, f"claim attribute {', '.join(bad) or 'index'} "
                                  "is not a number", "write e.g. rtol=0.01 index=1"))
                continue
            if not c.check and not c.var:
                diags.append(diag("DL710", qt.rel, s.line, s.col, f"claim [{s.text}] names no check",
                                  'add check="module.function" (or from="variable" for a runnable block)'))
                continue
            if c.check and not re.fullmatch(r"[A-Za-z_]\w*\.[A-Za-z_]\w*", c.check):
                diags.append(diag("DL710", qt.rel, s.line, s.col, f"check name '{c.check}' is not module.function",
                                  'write check="lenet5.c3_params" for checks/lenet5.py: def c3_params(device)'))
                continue
            try:
                c.written = parse_claim_numbers(s.text)
            except ClaimTextError as e:
                diags.append(diag("DL710", qt.rel, s.line, s.col, str(e),
                                  "put only the number (and its unit) inside the brackets"))
                continue
            claims.append(c)
    return claims, diags


def find_code_units(book, body_of) -> tuple[list[CodeUnit], list]:
    units, diags = [], []
    for (qid, lang), qt in sorted(book.texts.items()):
        body = body_of(qt)
        blocks = body.code_blocks
        runs = []
        for i, b in enumerate(blocks):
            if "run" not in b.classes and "setup" not in b.classes or "norun" in b.classes:
                continue
            nxt = blocks[i + 1] if i + 1 < len(blocks) else None
            out = nxt if nxt is not None and "output" in nxt.classes and _only_blank_between(body, b, nxt) else None
            if out is None and "setup" not in b.classes:
                diags.append(diag("DL808", qt.rel, b.line, 1, "runnable block has no ```{.output} block after it",
                                  "add one, or run dl500 claims --update-outputs to write it", WARNING))
            dev = b.attrs.get("device", "cpu")
            runs.append(RunBlock(b, out, "setup" in b.classes, dev if dev in ("cpu", "cuda", "any") else "cpu",
                                 _float(b.attrs.get("rtol")), _float(b.attrs.get("timeout"))))
        if runs:
            var_claims = [s.attrs["from"] for s in body.spans({"claim"}) if s.attrs.get("from")]
            units.append(CodeUnit(qid, lang, qt.rel, qt.path, runs, sorted(set(var_claims))))
    return units, diags


def _only_blank_between(body: Body, a, b) -> bool:
    lines = body.text.split("\n")[a.end_line - body.first_line + 1:b.line - body.first_line]
    return all(not line.strip() for line in lines)


@dataclass(frozen=True)
class CheckFunction:
    module: str
    func: str
    file: Path
    line: int


@lru_cache(maxsize=256)
def _module_functions(path: Path, mtime: float) -> tuple:
    tree = ast.parse(path.read_text("utf-8"), str(path))
    return tuple((n.name, n.lineno) for n in tree.body
                 if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and not n.name.startswith("_"))


def find_checks(checks_dir: Path) -> dict[str, CheckFunction]:
    """Public top-level functions of checks/*.py, by AST: nothing is imported."""
    out = {}
    if not checks_dir.is_dir():
        return out
    for f in sorted(checks_dir.glob("*.py")):
        if f.name.startswith("_"):
            continue
        try:
            funcs = _module_functions(f, f.stat().st_mtime)
        except SyntaxError:
            continue
        for name, line in funcs:
            out[f"{f.stem}.{name}"] = CheckFunction(f.stem, name, f, line)
    return out


def module_hash(checks_dir: Path, module: str) -> str:
    """Hash of a check module and everything it imports from checks/, transitively."""
    seen, todo, h = set(), [module], hashlib.sha256()
    init = checks_dir / "__init__.py"
    if init.is_file():
        h.update(init.read_bytes())
    while todo:
        m = todo.pop()
        if m in seen:
            continue
        seen.add(m)
        f = checks_dir / f"{m}.py"
        if not f.is_file():
            continue
        src = f.read_bytes()
        h.update(m.encode() + b"\0" + src)
        text = src.decode("utf-8", "replace")
        todo += re.findall(r"^\s*from\s+checks\.(\w+)\s+import", text, re.M)
        todo += re.findall(r"^\s*import\s+checks\.(\w+)", text, re.M)
        todo += re.findall(r"^\s*from\s+\.(\w+)\s+import", text, re.M)
        for names in re.findall(r"^\s*from\s+checks\s+import\s+([\w, ]+)", text, re.M):
            todo += [n.strip() for n in names.split(",")]
    return h.hexdigest()


def static_diagnostics(book, claims, checks) -> list:
    """Claims citing no check, checks cited by no claim, translations citing other checks than the original."""
    out = []
    cited = set()
    for c in claims:
        if c.check:
            cited.add(c.check)
            if c.check not in checks:
                module = c.check.split(".")[0]
                exists = (book.checks_dir / f"{module}.py").is_file()
                out.append(diag("DL702", c.rel, c.line, c.col, f"claim [{c.text}] cites '{c.check}', which does not "
                                "exist", f"define {c.check.split('.')[1]}(device) in checks/{module}.py"
                                if exists else f"create checks/{module}.py with the function"))
    for name, cf in sorted(checks.items()):
        if name not in cited:
            out.append(diag("DL703", _rel(book, cf.file), cf.line, 1, f"check '{name}' is cited by no claim",
                            f'cite it in the text as [number]{{.claim check="{name}"}}, or make it private (_name)',
                            WARNING))
    by_q = {}
    for c in claims:
        by_q.setdefault((c.qid, c.lang), []).append(c)
    for (qid, lang), items in sorted(by_q.items()):
        if lang == book.primary:
            continue
        orig = by_q.get((qid, book.primary), [])
        if book.text(qid, book.primary) is None:
            continue
        mine = sorted(map(_cites, items))
        theirs = sorted(map(_cites, orig))
        if mine != theirs:
            extra = [m for m in mine if m not in theirs]
            first = next((c for c in items if _cites(c) in extra), items[0])
            out.append(diag("DL712", first.rel, first.line, first.col,
                            f"claims differ from the original {book.text(qid, book.primary).rel}: "
                            f"{_short(extra) or 'a claim is missing'}",
                            "cite the same checks with the same numbers as the original"))
    return out


def _cites(c: Claim) -> tuple:
    """What a claim says: which check (or variable) and which numbers; a translation must say the same."""
    return c.check or c.var, tuple(round(w, 12) for w, _ in c.written)


def _short(items) -> str:
    return "; ".join(f"{name} = {', '.join(f'{v:g}' for v in vals)}" for name, vals in items[:3])


def _rel(book, path: Path) -> str:
    from ..load import display_path
    return display_path(path, book.root)


def code_signature(code: str) -> tuple:
    """The code's tokens without comments and string literals: what a translation must keep unchanged."""
    import io
    import tokenize
    skip = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING,
            tokenize.ENDMARKER}
    fstring = {getattr(tokenize, n) for n in ("FSTRING_START", "FSTRING_MIDDLE", "FSTRING_END") if hasattr(tokenize, n)}
    try:
        toks = list(tokenize.generate_tokens(io.StringIO(code).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return ("<untokenizable>", code)
    return tuple("<str>" if t.type == tokenize.STRING or t.type in fstring else t.string
                 for t in toks if t.type not in skip)


def drift_diagnostics(book, units) -> list:
    """A translation's runnable blocks must equal the original's except comments and strings."""
    out = []
    by_key = {(u.qid, u.lang): u for u in units}
    for (qid, lang), u in sorted(by_key.items()):
        if lang == book.primary:
            continue
        orig = by_key.get((qid, book.primary))
        if orig is None:
            if book.text(qid, book.primary) is not None:
                out.append(diag("DL805", u.rel, u.blocks[0].block.line, 1, "the original has no runnable blocks",
                                "remove .run here or add the same blocks to the original"))
            continue
        if len(orig.blocks) != len(u.blocks):
            out.append(diag("DL805", u.rel, u.blocks[0].block.line, 1,
                            f"{len(u.blocks)} runnable block(s) here, {len(orig.blocks)} in {orig.rel}",
                            "keep the same runnable blocks as the original"))
            continue
        for mine, theirs in zip(u.blocks, orig.blocks):
            if code_signature(mine.block.code) != code_signature(theirs.block.code):
                line = _first_differing_line(mine.block, theirs.block)
                out.append(diag("DL805", u.rel, line, 1, f"this block differs from the original's ({theirs.block.line} "
                                f"in {orig.rel}) beyond comments and strings",
                                "translate only comments and strings; copy the code from the original"))
    return out


def _first_differing_line(mine, theirs) -> int:
    a, b = mine.code.split("\n"), theirs.code.split("\n")
    for i, (x, y) in enumerate(zip(a, b)):
        if code_signature(x) != code_signature(y):
            return mine.first_code_line + i
    return mine.first_code_line + min(len(a), len(b)) - 1
