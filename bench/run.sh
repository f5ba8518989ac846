#!/usr/bin/env bash
# Run the account_manager benchmarks and write bench/RESULTS.md.
#
#   bench/run.sh                  100,000 accounts (database am_bench)
#   bench/run.sh --small          2,000 accounts (database am_bench_small), a quick check
#   bench/run.sh --only reassign  one benchmark (reassign, list, realign, escalation, portfolio)
#
# Sets up what the project's scripts set up (Python 3.7 venv with Odoo 11,
# PostgreSQL and its role: scripts/lib.sh), (re)generates the database when
# the addon, the generator or the sizes changed (bench/generate.py
# --if-stale), then runs bench/run.py.  Arguments other than --small and
# --db go to bench/run.py.
#
# Environment: AM_BENCH_DB (database), AM_BENCH_PYTHON (a Python with Odoo 11,
# instead of the project's .venv), AM_DB_* (see scripts/lib.sh).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"

small=0
db="${AM_BENCH_DB:-}"
run_args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --small) small=1 ;;
    --db) db="$2"; shift ;;
    --db=*) db="${1#--db=}" ;;
    *) run_args+=("$1") ;;
  esac
  shift
done

if [[ -n ${AM_BENCH_PYTHON:-} ]]; then
  python="$AM_BENCH_PYTHON"
elif [[ -f $root/scripts/lib.sh ]]; then
  # shellcheck source=../scripts/lib.sh
  source "$root/scripts/lib.sh"
  ensure_venv
  ensure_postgres
  am_odoo_env
  python="$AM_VENV/bin/python"
else
  echo "no scripts/lib.sh here: set AM_BENCH_PYTHON to a Python 3.7 with Odoo 11" >&2
  exit 1
fi
export TZ=UTC ODOO_PRELOAD_ADDONS=no PYTHONDONTWRITEBYTECODE=1
unset HOST PORT USER PASSWORD PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE

gen_args=(--if-stale)
results="$here/RESULTS.md"
if [[ $small -eq 1 ]]; then
  db="${db:-am_bench_small}"
  gen_args+=(--small)
  # A smoke run must not overwrite the real figures.
  results="$here/RESULTS-small.md"
  run_args=(--reassign-sizes 500,2000 "${run_args[@]}")
fi
db="${db:-am_bench}"

"$python" "$here/generate.py" --db "$db" "${gen_args[@]}"
"$python" "$here/run.py" --db "$db" --results "$results" "${run_args[@]}"
echo "results: $results"
