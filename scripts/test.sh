#!/usr/bin/env bash
# Installs the project with its test extras, then runs the whole test suite, ruff and mypy.
# This is the README's test command and what .ci/run calls.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet --disable-pip-version-check -e '.[test]'
python3 -m ruff check src tests
python3 -m mypy
python3 -m pytest "$@"
