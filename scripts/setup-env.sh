#!/usr/bin/env bash
# Create .venv (if missing) and install the course with its test tools. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
bash scripts/setup-system.sh
.venv/bin/python -m pip install --quiet -e '.[test,service]'
# Data for tests and CI: the shared copy beside the repository, never downloaded here.
