#!/usr/bin/env bash
# Installs everything dl500 needs on a Debian machine: system packages, a
# virtual environment in .venv with the CPU build of torch, and the project.
# Idempotent: a second run with nothing changed takes about a second.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(fonts-noto-cjk fonts-noto-core poppler-utils default-jre-headless bubblewrap)
if [[ "${DL500_WITH_BROWSER:-0}" == 1 ]]; then APT_PACKAGES+=(chromium); fi

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Java is present on some machines without the Debian package: accept that.
if command -v java >/dev/null; then
  missing=("${missing[@]/default-jre-headless}")
fi
missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "setup: installing system packages: ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "setup: missing system packages: ${missing[*]}" >&2
    echo "setup: run as root: apt-get install -y ${missing[*]}" >&2
    exit 2
  fi
fi

PY=${PYTHON:-python3}
if [[ ! -x .venv/bin/python ]]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.dl500-installed
want=$(sha256sum pyproject.toml | cut -c1-16)
if [[ ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
  echo "setup: installing Python packages into .venv" >&2
  # torch first, pinned to the CPU wheel this machine carries; pyproject keeps
  # an open range (torch>=2.4) so GPU users keep their own build.
  .venv/bin/python -c "import torch" 2>/dev/null || .venv/bin/pip install -q torch==2.13.0
  .venv/bin/pip install -q -e '.[test,web]'
  echo "$want" > "$stamp"
fi

# The browser tests' accessibility judge (tests/test_site_browser.py looks here): axe-core from npm, no install
# scripts run, kept in the user's cache, never in the repository.
if [[ "${DL500_WITH_BROWSER:-0}" == 1 ]]; then
  axe_dir="${XDG_CACHE_HOME:-$HOME/.cache}/dl500/axe"
  if [[ ! -f $axe_dir/node_modules/axe-core/axe.min.js ]] && command -v npm >/dev/null; then
    mkdir -p "$axe_dir" && npm install --prefix "$axe_dir" --ignore-scripts --no-audit --no-fund -q axe-core >&2 \
      || echo "setup: could not install axe-core; the accessibility test will be skipped" >&2
  fi
fi
