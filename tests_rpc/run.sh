#!/usr/bin/env bash
# The JSON-RPC suite: a fresh database with the addon and its demo data, an
# Odoo server on a free port, pytest against it over /jsonrpc.
#
#   tests_rpc/run.sh [pytest args]   exits with pytest's code
#
# Environment: AM_RPC_DB (default account_manager_rpc), AM_RPC_KEEP=1 keeps
# the database afterwards; AM_ADDONS_DIR and AM_DB_* (see scripts/lib.sh).
set -euo pipefail
# shellcheck source=../scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
cd "$am_root"

db="${AM_RPC_DB:-account_manager_rpc}"
log="$AM_RUN_DIR/odoo-rpc.log"
mkdir -p "$AM_RUN_DIR"

ensure_venv
ensure_postgres
if ! "$AM_VENV/bin/python" -c 'import hypothesis, requests' 2>/dev/null; then
  am_log "installing tests_rpc/requirements.txt into .venv"
  am_pip "$AM_VENV/bin/pip" install -q -r tests_rpc/requirements.txt
fi

am_db drop "$db"
rm -rf "$AM_RUN_DIR/data/filestore/$db"
am_log "database $db: installing $AM_ADDON with demo data (log: $log)"
if ! am_odoo -d "$db" -i "$AM_ADDON" --stop-after-init --log-level=warn \
  --http-port="$(free_port)" >"$log.init" 2>&1 </dev/null; then
  tail -n 40 "$log.init" >&2
  am_die "installing $AM_ADDON into $db failed (log: $log.init)"
fi

port="$(free_port)"
# As production serves it: worker processes, and queue_job's job runner
# (server-wide module) running the addon's background jobs on them.
am_log "serving $db on 127.0.0.1:$port, 2 workers and the job runner (log: $log)"
ODOO_PRELOAD_ADDONS=no ODOO_QUEUE_JOB_CHANNELS="root:2,root.account_manager:2" \
  am_odoo_exec -d "$db" --db-filter="^$db\$" --http-interface=127.0.0.1 \
  --http-port="$port" --longpolling-port="$(free_port)" --workers=2 --max-cron-threads=0 \
  --load=web,queue_job --limit-time-real=900 --limit-time-cpu=900 --log-level=warn \
  --log-handler=odoo.addons.queue_job.jobrunner.runner:INFO \
  >"$log" 2>&1 </dev/null &
server=$!  # am_odoo_exec: the background subshell becomes Odoo itself

stop_server() {
  kill -TERM "$server" 2>/dev/null || return 0
  for _ in $(seq 10); do kill -0 "$server" 2>/dev/null || break; sleep 1; done
  if kill -0 "$server" 2>/dev/null; then
    kill -TERM "$server" 2>/dev/null || true
    sleep 2
  fi
  wait "$server" 2>/dev/null || true
  if [[ ${AM_RPC_KEEP:-} != 1 ]]; then am_db drop "$db" || true; fi
}
trap stop_server EXIT

for _ in $(seq 120); do
  if curl -fs -o /dev/null "http://127.0.0.1:$port/web/login"; then break; fi
  kill -0 "$server" 2>/dev/null || { tail -n 40 "$log" >&2; am_die "the server stopped"; }
  sleep 1
done
curl -fsS -o /dev/null "http://127.0.0.1:$port/web/login" || am_die "no answer on /web/login"

rc=0
AM_RPC_URL="http://127.0.0.1:$port" AM_RPC_DB="$db" AM_RPC_INSTALL_LOG="$log.init" \
  AM_RPC_SERVER_PID="$server" AM_RPC_LOG="$log" \
  "$AM_VENV/bin/pytest" -p no:odoo -p no:cacheprovider -q -s \
  -W ignore::DeprecationWarning -rs tests_rpc "$@" || rc=$?
exit "$rc"
