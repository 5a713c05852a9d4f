"""The command line as a person meets it: help for every option, examples, the claims-not-run message, doctor, and
the README's commands in a fresh shell."""

from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest
from conftest import diagnostics_json, run_cli

from pipeline.cli import build_parser, main

ROOT = Path(__file__).resolve().parent.parent


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def options_without_help(parser: argparse.ArgumentParser) -> list[str]:
    return [action.option_strings[0] if action.option_strings else action.dest for action in parser._actions
            if not isinstance(action, (argparse._HelpAction, argparse._SubParsersAction))
            and (not action.help or action.help == argparse.SUPPRESS)]


def test_every_option_of_every_command_has_help():
    parser = build_parser()
    commands = subcommands(parser)
    assert {"check", "claims", "build", "status", "import", "serve", "doctor"} <= set(commands)
    missing = {"dl500": options_without_help(parser)}
    missing.update({name: options_without_help(sp) for name, sp in commands.items()})
    assert {k: v for k, v in missing.items() if v} == {}


def test_a_command_option_without_help_is_caught():
    """The walk above would notice a new option added without help."""
    parser = build_parser()
    subcommands(parser)["check"].add_argument("--undocumented", action="store_true")
    assert options_without_help(subcommands(parser)["check"]) == ["--undocumented"]


@pytest.mark.parametrize("command", sorted(subcommands(build_parser())))
def test_every_command_help_shows_examples(command, capsys):
    with pytest.raises(SystemExit) as e:
        main([command, "--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    examples = out.split("examples:", 1)[1] if "examples:" in out else ""
    assert re.search(rf"^\s+dl500 {command}\b", examples, re.M), out


def test_every_example_parses(capsys):
    """An example in --help that the parser refuses would teach the wrong thing."""
    from pipeline.cli import EXAMPLES
    parser = build_parser()
    for text in EXAMPLES.values():
        for line in text.splitlines():
            words = shlex.split(line.split(" #")[0])
            if words[0] != "dl500":
                continue  # a shell line around the command (source <(…))
            parser.parse_args(words[1:words.index(">")] if ">" in words else words[1:])  # SystemExit (a usage error) fails the test


def test_bash_completion_completes_commands_and_options(capsys):
    rc, script, _ = run_cli(capsys, "completion", "bash")
    assert rc == 0
    probe = (script + 'COMP_WORDS=(dl500 che); COMP_CWORD=1; _dl500; echo "${COMPREPLY[*]}"\n'
             'COMP_WORDS=(dl500 check --st); COMP_CWORD=2; _dl500; echo "${COMPREPLY[*]}"\n'
             'COMP_WORDS=(dl500 import x --dry); COMP_CWORD=3; _dl500; echo "${COMPREPLY[*]}"\n')
    res = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, timeout=30)
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines() == ["check", "--strict", "--dry-run"]


# --- check: claims that were never run ----------------------------------------------------------------------

def test_check_says_plainly_that_claims_were_not_run(book, capsys):
    rc, out, err = run_cli(capsys, "check", ".")
    assert rc == 0
    assert "DL723" in err and "claims were not run" in err and "dl500 claims" in err
    rc, diags = diagnostics_json(capsys, "check", ".")
    [d] = [d for d in diags if d["code"] == "DL723"]
    assert d["severity"] == "warning" and d["file"].endswith("book.yaml")


def test_strict_makes_claims_not_run_an_error(book, capsys):
    rc, diags = diagnostics_json(capsys, "check", ".", "--strict")
    assert rc == 1
    assert [d["severity"] for d in diags if d["code"] == "DL723"] == ["error"]


def test_no_claims_message_once_claims_have_run(book, capsys):
    rc, out, err = run_cli(capsys, "claims", ".", "--device", "cpu")
    assert rc == 0, err
    rc, diags = diagnostics_json(capsys, "check", ".", "--strict")
    assert rc == 0 and not [d for d in diags if d["code"] == "DL723"]


def test_no_claims_flag_says_nothing_about_claims(book, capsys):
    rc, diags = diagnostics_json(capsys, "check", ".", "--no-claims", "--strict")
    assert rc == 0 and not [d for d in diags if d["code"] == "DL723"]


# --- doctor -----------------------------------------------------------------------------------------------------

def test_doctor_names_what_is_missing_and_how_to_install_it(monkeypatch, capsys):
    from pipeline import doctor
    reqs = (doctor.Requirement("pandoc", "dl500 build", True, "apt-get install -y pandoc", lambda: None),
            doctor.Requirement("Chromium", "browser tests", False, "apt-get install -y chromium", lambda: None),
            doctor.Requirement("Java", "epubcheck", False, "apt-get install -y default-jre-headless",
                               lambda: "openjdk 17"))
    monkeypatch.setattr(doctor, "REQUIREMENTS", reqs)
    rc, out, _ = run_cli(capsys, "doctor")
    assert rc == 2
    assert re.search(r"^MISSING pandoc: dl500 build\n\s+install: apt-get install -y pandoc$", out, re.M)
    assert re.search(r"^absent +Chromium: .*\n\s+install: apt-get install -y chromium$", out, re.M)
    assert re.search(r"^ok +Java: openjdk 17$", out, re.M)
    assert "default-jre-headless" not in out  # nothing to install for what is present
    monkeypatch.setattr(doctor, "REQUIREMENTS", reqs[1:])
    rc, out, _ = run_cli(capsys, "doctor", "--format", "json")
    assert rc == 0  # only optional pieces missing
    assert '"install": "apt-get install -y chromium"' in out


def test_doctor_probes_do_not_raise_on_a_broken_tool(monkeypatch):
    from pipeline import doctor
    assert doctor.run_quietly(["/nonexistent/tool", "--version"]) is None
    assert doctor.run_quietly(["false"]) is None
    findings = doctor.examine()
    assert {f.requirement.name for f in findings} >= {"pandoc", "Java", "Chromium", "NVIDIA GPU", "Noto Sans CJK SC"}


# --- the README, as written, in a fresh shell ---------------------------------------------------------------------

def readme_shell_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text("utf-8")
    section = text.split("## Using `dl500`", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.*?)```", section, re.S)


def fresh_shell(script: str) -> subprocess.CompletedProcess:
    """bash with a bare environment: no activated venv, a PATH without .venv/bin."""
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": os.environ.get("HOME", "/root"), "LANG": "C.UTF-8"}
    return subprocess.run(["bash", "-e", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)


@pytest.mark.skipif(not (ROOT / ".venv" / "bin" / "dl500").exists(), reason="set-up has not created .venv")
def test_readme_commands_work_as_written_in_a_fresh_shell():
    blocks = readme_shell_blocks()
    assert blocks and "dl500 --help" in blocks[0]
    assert fresh_shell("command -v dl500").returncode != 0  # the premise: not on PATH before activation
    for block in blocks:
        res = fresh_shell(block)
        assert res.returncode == 0, (block, res.stdout[-2000:], res.stderr[-2000:])
    res = fresh_shell("./dl500 --help")
    assert res.returncode == 0 and "COMMAND" in res.stdout


def test_wrapper_says_how_to_set_up_when_there_is_no_venv(tmp_path):
    wrapper = tmp_path / "dl500"
    wrapper.write_bytes((ROOT / "dl500").read_bytes())
    wrapper.chmod(0o755)
    res = subprocess.run([str(wrapper), "--help"], capture_output=True, text=True, timeout=30)
    assert res.returncode == 2 and "bash scripts/build-book" in res.stderr


# --- status in a narrow terminal ------------------------------------------------------------------------------------

@pytest.mark.parametrize("columns", [60, 44])
def test_status_wraps_names_in_a_narrow_terminal_instead_of_cutting_them(columns, tmp_path, monkeypatch, capsys):
    from conftest import copy_fixture
    root = copy_fixture("status_book", tmp_path / "book")
    monkeypatch.chdir(root)
    monkeypatch.setenv("COLUMNS", str(columns))
    assert main(["status", ".", "--no-history", "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "…" not in out
    first_table = out.split("─", 1)[1].split("█ reviewed", 1)[0]
    letters = re.sub(r"[\s\d█░%.─]", "", first_table)  # a folded name, read down its column, is whole
    assert letters == "Basicswholebook", out


def test_status_files_do_not_depend_on_the_terminal(tmp_path, monkeypatch, capsys):
    from conftest import copy_fixture
    root = copy_fixture("status_book", tmp_path / "book")
    monkeypatch.chdir(root)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # the report's "generated" time, fixed
    files = []
    for columns in ("40", "200"):
        monkeypatch.setenv("COLUMNS", columns)
        out = tmp_path / f"out{columns}"
        assert main(["status", ".", "--no-history", "--out", str(out)]) == 0
        files.append({p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.suffix in (".json", ".md")})
    assert files[0] == files[1] and files[0]


# --- the command leaves without tearing the interpreter down (cli.run) ----------------------------------------------

def test_the_command_flushes_everything_and_keeps_its_exit_code(tmp_path):
    """`dl500` ends with os._exit after main(): what it wrote to a pipe is all there, and the exit code is main's."""
    import json
    import sys

    from conftest import copy_fixture, patch_file
    root = copy_fixture("minimal", tmp_path / "book")
    run = [sys.executable, "-m", "pipeline"]
    ok = subprocess.run([*run, "check", str(root), "--format", "json"], capture_output=True, text=True, timeout=120,
                        cwd=ROOT)
    assert ok.returncode == 0, ok.stderr
    json.loads(ok.stdout)  # whole
    patch_file(root, "source/ch02/conv-params.zh.md", "个参数。", "个参数，见 [](#nowhere)。")
    bad = subprocess.run([*run, "check", str(root), "--format", "json"], capture_output=True, text=True,
                         timeout=120, cwd=ROOT)
    assert bad.returncode == 1 and any(d["code"] == "DL401" for d in json.loads(bad.stdout)["diagnostics"]), bad.stdout[-500:]
    usage = subprocess.run([*run, "no-such-command"], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert usage.returncode == 2 and "invalid choice" in usage.stderr
