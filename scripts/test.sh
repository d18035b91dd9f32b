#!/usr/bin/env bash
# The README's test command and what .ci/run calls: installs the project with its test extras,
# then runs the whole test suite, ruff and mypy.
#
# What it installs, and why:
#   - the project and its [test] extras (pytest, ruff, mypy, selenium, pre-commit, …) with pip,
#     into the Python running this script (as CI does), or into a virtual environment when
#     ECS_EXPOSURE_TEST_VENV names one (created if missing) — use that on a machine whose
#     system Python is "externally managed" (PEP 668: Debian 12, Ubuntu 24.04);
#   - Debian's chromium and chromium-driver with apt, only when missing: the HTML report is
#     tested in headless Chromium (never downloaded by Selenium);
#   - Debian's postgresql with apt, only when missing: the findings-store tests run on SQLite
#     and on a throwaway PostgreSQL cluster the test session starts itself (initdb into a
#     temporary folder, a Unix socket there, stopped and deleted at the end; as root, the
#     server runs as the postgres user the package creates). No server is left running.
set -euo pipefail
cd "$(dirname "$0")/.."
APT_LOCK_WAIT=${APT_LOCK_WAIT:-300}

if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  echo "test.sh: installing chromium and chromium-driver with apt (for the HTML report tests)" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo -n"
  if command -v fuser >/dev/null 2>&1 && \
     fuser /var/lib/dpkg/lock-frontend /var/lib/apt/lists/lock >/dev/null 2>&1; then
    echo "test.sh: the apt lock is held (another apt, or unattended-upgrades); waiting up to" \
         "${APT_LOCK_WAIT}s for it (APT_LOCK_WAIT=seconds to change)" >&2
  fi
  apt_get() {
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get -o "DPkg::Lock::Timeout=${APT_LOCK_WAIT}" "$@"
  }
  if ! apt_get update -qq || ! apt_get install -y -qq chromium chromium-driver >/dev/null; then
    echo "test.sh: apt could not install chromium/chromium-driver: if the apt lock is still" \
         "held after ${APT_LOCK_WAIT}s, wait for the other apt to finish (ps aux | grep apt)" \
         "and run this again; without root, run it with sudo rights" >&2
    exit 1
  fi
fi

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  echo "test.sh: installing postgresql with apt (for the findings-store tests)" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo -n"
  apt_get() {
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get -o "DPkg::Lock::Timeout=${APT_LOCK_WAIT}" "$@"
  }
  if ! apt_get update -qq || ! apt_get install -y -qq postgresql >/dev/null; then
    echo "test.sh: apt could not install postgresql: if the apt lock is still held after" \
         "${APT_LOCK_WAIT}s, wait for the other apt to finish and run this again; without" \
         "root, run it with sudo rights" >&2
    exit 1
  fi
  # Debian's package starts a cluster of its own; the tests start theirs, so stop it.
  $sudo service postgresql stop >/dev/null 2>&1 || true
fi

python=python3
if [ -n "${ECS_EXPOSURE_TEST_VENV:-}" ]; then
  [ -x "$ECS_EXPOSURE_TEST_VENV/bin/python" ] || python3 -m venv "$ECS_EXPOSURE_TEST_VENV"
  python="$ECS_EXPOSURE_TEST_VENV/bin/python"
  export PATH="$ECS_EXPOSURE_TEST_VENV/bin:$PATH"
fi
echo "test.sh: installing ecs-exposure and its test extras into $("$python" -c 'import sys; print(sys.prefix)')" >&2
"$python" -m pip install --quiet --disable-pip-version-check -e '.[test]'
"$python" -m ruff check src tests
"$python" -m mypy
"$python" -m pytest "$@"
