#!/usr/bin/env bash
# Set up Xianfeng in ./.venv and run it:   ./run.sh
# Run the test suite:                        ./run.sh test
# Any other arguments go to the `xianfeng` command, e.g. ./run.sh demo
set -euo pipefail
cd "$(dirname "$0")"

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "Xianfeng needs Python 3.11 or newer (found: $("$PYTHON" --version 2>&1))." >&2
    exit 1
fi
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
stamp=.venv/.installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e '.[test]'
    touch "$stamp"
fi

if [ "${1:-run}" = "test" ]; then
    shift
    exec .venv/bin/python -m pytest "$@"
fi
exec .venv/bin/xianfeng "${@:-run}"
