#!/usr/bin/env bash
# The whole test suite on both supported stacks, one after the other (B's venvs are made
# while A runs):
#   stack A: the default python3 (3.11: Panel 1.9 / Bokeh 3.9), installed into it as a user would;
#   stack B: Python 3.12 (Panel 1.10 / Bokeh 3.10) in .venv-py312/ of this checkout, all but
#            the benchmark harness checks (marker "harness");
#   and, where Python 3.13 is found, the unit tests in .venv-py313/ (same packages as B).
# Exits non-zero if any stack failed; each failed stack's tracebacks and summary are printed
# again at the end (its whole output is in .cache/pytest-<stack>.log).
# Needs Debian's chromium, redis-server and nginx (README's test command installs them).
set -uo pipefail
cd "$(dirname "$0")/.."
export PIP_DISABLE_PIP_VERSION_CHECK=1

find_python() {  # $1: version (3.12); prints a python of that version, or nothing
    local candidate
    for candidate in "python$1" "$(pyenv root 2>/dev/null)"/versions/"$1".*/bin/"python$1"; do
        if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys' 2>/dev/null; then
            command -v "$candidate"
            return
        fi
    done
}

venv_for() {  # $1: version, $2: folder; creates the venv and installs the test extras
    local python
    python=$(find_python "$1")
    if [ -z "$python" ]; then
        return 1
    fi
    [ -x "$2/bin/python" ] || "$python" -m venv "$2" || return 1
    "$2/bin/python" -m pip install -q -e '.[test]' || return 1
}

failed=() failed_logs=()
run_stack() {  # $1: name, $2: python, rest: pytest arguments
    local name=$1 python=$2 log
    shift 2
    log=".cache/pytest-$(printf %s "$name" | tr -c 'A-Za-z0-9.' '-').log"
    echo "=== stack $name: $("$python" -m brownian_panel --versions | sed -n 1p)"
    "$python" -m brownian_panel --versions | tail -n +3
    if ! "$python" -m pytest --durations=40 "$@" 2>&1 | tee "$log"; then
        failed+=("$name") failed_logs+=("$log")
    fi
}

why_failed() {  # after all stacks: each failed stack's tracebacks and summary, last in the log
    local log
    for log in "${failed_logs[@]}"; do
        echo "=== why $log failed"
        sed -n '/^=* FAILURES =*$/,/^=* slowest [0-9]* durations =*$/p' "$log" | head -n 200
        sed -n '/^=* short test summary info =*$/,$p' "$log"
    done
}

python3 -m pip install -q -e '.[test]' || exit 1
# axe-core for the accessibility test, from the npm registry (Node.js and npm from Debian).
if [ ! -s .cache/axe-core/axe.min.js ]; then
    mkdir -p .cache/axe-core
    (cd .cache/axe-core && npm pack --silent axe-core@4 >/dev/null \
        && tar -xzf axe-core-*.tgz --strip-components=1 package/axe.min.js \
        && rm axe-core-*.tgz) || failed+=("axe-core download")
fi
python3 -m ruff check . || failed+=("ruff")
# Stack B's venvs are made while stack A runs, at the lowest CPU priority; their pip output
# is shown only if an install fails.
mkdir -p .cache && rm -f .cache/venv-*.status
(
    renice -n 19 "$BASHPID" >/dev/null
    venv_for 3.12 .venv-py312 >.cache/venv-3.12.log 2>&1; echo $? >.cache/venv-3.12.status
    if [ -n "$(find_python 3.13)" ]; then
        venv_for 3.13 .venv-py313 >.cache/venv-3.13.log 2>&1; echo $? >.cache/venv-3.13.status
    fi
) &
venvs=$!
run_stack A python3
wait "$venvs"

venv_made() {  # $1: version; whether its venv was made (else its pip output is shown)
    [ "$(cat ".cache/venv-$1.status" 2>/dev/null)" = 0 ] && return 0
    cat ".cache/venv-$1.log" >&2 2>/dev/null
    return 1
}

if venv_made 3.12; then
    run_stack B .venv-py312/bin/python -m "not harness"  # the benchmark harness ran on A
else
    echo "stack B: no Python 3.12 found, or its install failed" >&2
    failed+=("B")
fi

if [ -n "$(find_python 3.13)" ]; then
    if venv_made 3.13; then
        run_stack "B (3.13, unit tests)" .venv-py313/bin/python tests/unit
    else
        failed+=("B-3.13 install")
    fi
else
    echo "Python 3.13 not found: its unit tests not run"
fi

if [ ${#failed[@]} -gt 0 ]; then
    why_failed >&2
    echo "FAILED: ${failed[*]}" >&2
    exit 1
fi
echo "both stacks passed"
