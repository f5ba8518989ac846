#!/usr/bin/env bash
# The whole check, as CI runs it (.ci/run calls this):
#
#   ./test.sh              every step but pytest
#   ./test.sh lint pytest  only the named steps (lint, odoo, odoo-demo, pytest, suites)
#
# Steps, each under a banner; all run even after one fails, and the script
# exits non-zero if any failed:
#   setup   .venv, lessc, PostgreSQL and its odoo role (scripts/lib.sh)
#   lint    scripts/lint.sh: ruff, pylint-odoo, check_xml.py
#   odoo    a fresh database $AM_TEST_DB without demo data; Odoo installs the
#           addon and runs its tests (--test-enable); fails on a non-zero
#           exit, on any ERROR or CRITICAL line in .run/odoo-tests.log, or
#           when a test module did not run (Odoo 11 runs at_install tests
#           only with demo data: the addon's tests must be post_install)
#   odoo-demo  the same on a fresh database ${AM_TEST_DB}_demo with demo
#           data (the tests must pass with and without it), log
#           .run/odoo-tests-demo.log
#   pytest  pytest-odoo runs the addon's tests again, on the odoo step's database: only
#           when named (or AM_PYTEST=1); the odoo step already runs each
#           test once, and running them twice would cost 3-4 minutes
#   suites  <dir>/run.sh for each of tests_rpc/ and tests_e2e/ that has one
#           (tests_e2e: the browser journeys, about 2-3 minutes; AM_E2E=0
#           leaves them out, for a quick local run)
# The last line is "N passed, N failed", totalled over Odoo's runner (its
# "Ran N tests" and failures/errors per test module) and the pytest runs; a
# suite that fails before its tests report anything counts as one failure.
#
# Environment: AM_TEST_DB (default account_manager_test), AM_E2E (default 1),
# AM_ADDONS_DIR and AM_DB_* (see scripts/lib.sh).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/scripts/lib.sh"
cd "$am_root"

db="${AM_TEST_DB:-account_manager_test}"
addon_dir="$AM_ADDONS_DIR/$AM_ADDON"
odoo_log="$AM_RUN_DIR/odoo-tests.log" odoo_db="$db" odoo_demo=0
mkdir -p "$AM_RUN_DIR"

wanted=("$@")
names=() statuses=() durations=()
total_passed=0 total_failed=0

banner() { printf '\n========== %s ==========\n' "$*"; }

want() {
  ((${#wanted[@]} == 0)) && return 0
  local w
  for w in "${wanted[@]}"; do [[ $w == "$1" ]] && return 0; done
  return 1
}

# run_step NAME DESCRIPTION FUNCTION: run FUNCTION in a subshell with errexit
# really on (it is ignored in `if` and `||` contexts), record its outcome.
run_step() {
  local name="$1" title="$2" fn="$3" rc start
  banner "$name: $title"
  start=$SECONDS
  set +e
  (set -e; "$fn")
  rc=$?
  set -e
  names+=("$name")
  durations+=("$((SECONDS - start))s")
  if ((rc == 0)); then statuses+=(ok); else statuses+=("FAILED (exit $rc)"); fi
  echo "---------- $name: ${statuses[-1]} in ${durations[-1]}"
  return 0
}

skip_step() {
  names+=("$1"); statuses+=("skipped: $2"); durations+=("-")
}

# count_pytest FILE: add the counts of every pytest summary line in FILE
# ("3 passed, 1 failed, 2 errors in 4.5s", with or without ===) to the totals.
count_pytest() {
  local line n word
  [[ -f $1 ]] || return 0
  while IFS= read -r line; do
    while read -r n word; do
      case "$word" in
        passed) total_passed=$((total_passed + n)) ;;
        failed | error | errors) total_failed=$((total_failed + n)) ;;
      esac
    done < <(grep -oE '[0-9]+ (passed|failed|errors?)' <<<"$line")
  done < <(sed 's/\x1b\[[0-9;]*m//g' "$1" |
    grep -E '^=*[[:space:]]*([0-9]+ [a-z]+(, )?)+ in [0-9.]+s( \([0-9:]+\))?[[:space:]]*=*$' || true)
}

# count_odoo_runner LOG: add the tests Odoo's runner ran to the totals: per
# test module, "Ran N tests in …" and, when it failed, "(failures=F,
# errors=E)" (an error in setUpClass counts one, with no test run).
count_odoo_runner() {
  local counts
  [[ -f $1 ]] || return 0
  counts="$(awk '
    / odoo\.addons\.[a-z0-9_.]+: Ran [0-9]+ tests? in / {
      for (i = 1; i <= NF; i++) if ($i == "Ran") ran += $(i + 1)
    }
    / odoo\.addons\.[a-z0-9_.]+:  *(FAILED )?\((failures|errors)=/ {
      line = $0
      while (match(line, /(failures|errors)=[0-9]+/)) {
        split(substr(line, RSTART, RLENGTH), kv, "=")
        bad += kv[2]
        line = substr(line, RSTART + RLENGTH)
      }
    }
    END { printf "%d %d", ran, bad }' "$1")"
  local ran="${counts% *}" bad="${counts#* }"
  total_passed=$((total_passed + (ran > bad ? ran - bad : 0)))
  total_failed=$((total_failed + bad))
  echo "Odoo's runner: $((ran > bad ? ran - bad : 0)) passed, $bad failed"
}

# ---------------------------------------------------------------- steps
step_setup() {
  ensure_venv
  ensure_lessc
  ensure_postgres
  echo "python: $("$AM_VENV/bin/python" -V 2>&1), lessc: $(lessc --version | cut -d' ' -f2)," \
    "postgres: $AM_DB_HOST:$AM_DB_PORT as $AM_DB_USER, addon: $addon_dir"
}

step_lint() {
  "$am_root/scripts/lint.sh"
}

# Odoo 11 runs the tests of every module it installs in the run.  Creating
# the database with -i account_manager --test-enable would run the tests of
# base, mail and friends too (many minutes); so the addon's dependencies are
# installed first without tests, then the addon alone with its tests.
step_odoo() {
  [[ -f $addon_dir/__manifest__.py ]] || { echo "no addon at $addon_dir"; return 1; }
  local deps port rc=0 errors
  deps="$("$AM_VENV/bin/python" -c 'import ast, sys
print(",".join(ast.literal_eval(open(sys.argv[1]).read()).get("depends") or ["base"]))' \
    "$addon_dir/__manifest__.py")"
  local demo=(--without-demo=all) with="without" deps_log="${odoo_log%.log}-deps.log"
  if ((odoo_demo)); then demo=(); with="with"; fi
  am_db drop "$odoo_db"
  rm -rf "$AM_RUN_DIR/data/filestore/$odoo_db"
  port="$(free_port)"
  echo "database $odoo_db: installing the dependencies ($deps), $with demo data"
  if ! am_odoo -d "$odoo_db" -i "$deps" "${demo[@]}" --stop-after-init --log-level=warn \
    --http-port="$port" >"$deps_log" 2>&1 </dev/null; then
    tail -n 50 "$deps_log"
    echo "installing the dependencies failed (log: $deps_log)"
    return 1
  fi
  # --test-enable makes Odoo bind its HTTP port even with --stop-after-init.
  port="$(free_port)"
  echo "database $odoo_db: installing $AM_ADDON and running its tests (log: $odoo_log)"
  am_odoo -d "$odoo_db" -i "$AM_ADDON" --test-enable --stop-after-init "${demo[@]}" \
    --log-level=test --http-port="$port" >"$odoo_log" 2>&1 </dev/null || rc=$?
  grep -E 'odoo\.modules\.module: odoo\.addons\.[a-z0-9_.]+ running tests|: Ran [0-9]+ tests? in ' "$odoo_log" |
    sed -E 's/^[0-9-]+ [0-9:,]+ [0-9]+ [A-Z]+ [^ ]+ //' || true
  errors="$(am_odoo_log_errors "$odoo_log")"
  local failed=0
  if ((rc != 0)) || [[ -n $errors ]]; then
    failed=1
    echo
    if [[ -n $errors ]]; then
      echo "---- ERROR/CRITICAL records of $odoo_log:"
      error_blocks "$odoo_log"
    else
      echo "---- last 40 lines of $odoo_log:"
      tail -n 40 "$odoo_log"
    fi
    echo "---- Odoo exited with $rc; $(grep -c . <<<"$errors") ERROR/CRITICAL line(s) (full log: $odoo_log)"
  fi
  check_test_modules_ran || failed=1
  return "$failed"
}

# Odoo 11 runs at_install tests (the default) only in databases with demo
# data (odoo/modules/loading.py: `if has_demo: ... run_unit_tests`). Here the
# database has none, so only post_install tests run: make sure no test module
# was silently left out.
check_test_modules_ran() {
  local init="$addon_dir/tests/__init__.py" mod missing=()
  [[ -f $init ]] || return 0
  for mod in $("$AM_VENV/bin/python" - "$init" <<'PY'
import ast, sys
tree = ast.parse(open(sys.argv[1]).read())
for node in ast.walk(tree):
    if isinstance(node, ast.ImportFrom) and node.level == 1:
        names = [a.name for a in node.names] if node.module is None else [node.module.split(".")[0]]
        print("\n".join(n for n in names if n.startswith("test_")))
PY
  ); do
    grep -qF "odoo.addons.$AM_ADDON.tests.$mod running tests" "$odoo_log" || missing+=("$mod")
  done
  if ((${#missing[@]})); then
    cat <<EOF
Odoo's runner ran no test of: ${missing[*]}
Odoo 11 runs at_install tests (the default) only when demo data is loaded,
and this database has none (no test may depend on demo data). Mark the test
classes post_install, e.g. once on the common base class in tests/common.py:
    from odoo.tests.common import SavepointCase, at_install, post_install
    @at_install(False)
    @post_install(True)
    class AccountManagerCase(SavepointCase):
EOF
    return 1
  fi
}

# Each ERROR/CRITICAL record with its continuation lines (tracebacks).
error_blocks() {
  awk '
    /^[0-9][0-9-]+ [0-9:,]+ [0-9]+ [A-Z]+ / {
      show = ($4 == "ERROR" || $4 == "CRITICAL")
    }
    show' "$1"
}

step_pytest() {
  local state conf rc=0
  state="$(am_db module-state "$db" "$AM_ADDON")"
  if [[ $state != installed ]]; then
    echo "$AM_ADDON is not installed in $db (state: '${state:-none}'): the odoo step must pass first"
    return 1
  fi
  [[ -d $addon_dir/tests ]] || { echo "no tests folder: $addon_dir/tests"; return 1; }
  conf="$AM_RUN_DIR/pytest-odoo.conf"
  am_write_odoo_conf "$conf" "http_port = $(free_port)"
  (
    am_odoo_env  # drops HOST/PORT/USER/PASSWORD, which pytest-odoo would use
    cd "$am_root"
    # -W: Odoo 11 on Python 3.7 emits hundreds of DeprecationWarnings.
    "$AM_VENV/bin/pytest" --odoo-database="$db" --odoo-config="$conf" \
      "$addon_dir/tests" -p no:cacheprovider -q -W ignore::DeprecationWarning </dev/null
  ) 2>&1 | tee "$AM_RUN_DIR/pytest-odoo.log" || rc=$?
  ((rc == 5)) && echo "pytest collected no test (exit 5): counted as a failure"
  return "$rc"
}

suite_dir=""
step_suite() {
  # A suite gets AM_ROOT, AM_ADDONS_DIR, AM_DB_* and lessc on PATH, in the
  # environment of am_odoo; it may source scripts/lib.sh for the rest.
  # Note: pytest-odoo, installed in .venv, breaks collection outside an addon
  # (it reads a missing __manifest__.py): a suite running .venv/bin/pytest
  # on its own tests needs `-p no:odoo`.
  local rc=0
  (am_odoo_env; bash "$am_root/$suite_dir/run.sh") </dev/null 2>&1 |
    tee "$AM_RUN_DIR/suite-$suite_dir.log" || rc=$?
  return "$rc"
}

# ---------------------------------------------------------------- main
started=$SECONDS
run_step setup "virtualenv, lessc, PostgreSQL" step_setup
if [[ ${statuses[-1]} != ok ]]; then
  echo "setup failed: nothing else can run"
else
  want lint && run_step lint "ruff, pylint-odoo, XML checks" step_lint
  if want odoo; then
    odoo_db="$db" odoo_demo=0 odoo_log="$AM_RUN_DIR/odoo-tests.log"
    run_step odoo "Odoo test runner on a fresh database $db" step_odoo
    count_odoo_runner "$odoo_log"
  fi
  if want odoo-demo; then
    odoo_db="${db}_demo" odoo_demo=1 odoo_log="$AM_RUN_DIR/odoo-tests-demo.log"
    run_step odoo-demo "the same tests on a fresh database ${db}_demo with demo data" step_odoo
    count_odoo_runner "$odoo_log"
  fi
  if { ((${#wanted[@]} == 0)) && [[ ${AM_PYTEST:-0} == 1 ]]; } ||
     { ((${#wanted[@]} > 0)) && want pytest; }; then
    rm -f "$AM_RUN_DIR/pytest-odoo.log"
    run_step pytest "pytest-odoo on $db" step_pytest
    count_pytest "$AM_RUN_DIR/pytest-odoo.log"
  fi
  if want suites; then
    for suite_dir in tests_rpc tests_e2e; do
      if [[ $suite_dir == tests_e2e && ${AM_E2E:-1} == 0 ]]; then
        skip_step "$suite_dir" "AM_E2E=0"
      elif [[ -f $am_root/$suite_dir/run.sh ]]; then
        rm -f "$AM_RUN_DIR/suite-$suite_dir.log"
        run_step "$suite_dir" "$suite_dir/run.sh" step_suite
        failed_before=$total_failed
        count_pytest "$AM_RUN_DIR/suite-$suite_dir.log"
        if [[ ${statuses[-1]} == FAILED* ]] && ((total_failed == failed_before)); then
          echo "$suite_dir failed before its tests reported: counted as one failure"
          total_failed=$((total_failed + 1))
        fi
      elif [[ -d $am_root/$suite_dir ]]; then
        skip_step "$suite_dir" "no $suite_dir/run.sh"
      fi
    done
  fi
fi

banner "summary ($((SECONDS - started))s)"
failures=0
for i in "${!names[@]}"; do
  printf '  %-10s %-22s %s\n' "${names[$i]}" "${statuses[$i]}" "${durations[$i]}"
  [[ ${statuses[$i]} == FAILED* ]] && failures=$((failures + 1))
done
echo
echo "$total_passed passed, $total_failed failed"
((failures == 0))
