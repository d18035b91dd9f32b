#!/usr/bin/env bash
# Installs the project with its test extras, then runs the whole test suite, ruff and mypy.
# This is the README's test command and what .ci/run calls.
set -euo pipefail
cd "$(dirname "$0")/.."
# The HTML report is tested in headless Chromium: Debian's browser and its matching driver,
# installed here when missing (never downloaded by Selenium) so a fresh machine has them.
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo -n"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
fi
python3 -m pip install --quiet --disable-pip-version-check -e '.[test]'
python3 -m ruff check src tests
python3 -m mypy
python3 -m pytest "$@"
