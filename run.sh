#!/usr/bin/env bash
# Start Odoo 11 with the account_manager addon and its demo data.
#
#   ./run.sh                 http://localhost:8069/web, database account_manager_demo
#
# Installs what is missing (Python 3.7 venv, lessc, PostgreSQL and its odoo
# role), creates the database with demo data on the first run and upgrades
# the addon on later runs, then serves in the foreground (Ctrl-C stops it).
#
# Serves as production does: AM_WORKERS worker processes (default 2), with
# OCA queue_job as a server-wide module, whose job runner (in the main
# process) runs the background jobs on the workers; the long-polling (chat,
# notifications) process listens on AM_LONGPOLLING_PORT.
#
# Environment: AM_DB (database, default account_manager_demo), AM_HTTP_PORT
# (default 8069), AM_LONGPOLLING_PORT (default 8072), AM_WORKERS (default 2),
# AM_JOB_CHANNELS (queue_job channels, default root:2,root.account_manager:2),
# AM_ADDONS_DIR and AM_DB_* (see scripts/lib.sh).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/scripts/lib.sh"

db="${AM_DB:-account_manager_demo}"
port="${AM_HTTP_PORT:-8069}"
longpolling_port="${AM_LONGPOLLING_PORT:-8072}"
workers="${AM_WORKERS:-2}"
channels="${AM_JOB_CHANNELS:-root:2,root.account_manager:2}"
addon_dir="$AM_ADDONS_DIR/$AM_ADDON"

[[ -f $addon_dir/__manifest__.py ]] || am_die "no addon at $addon_dir (no __manifest__.py)"

port_busy() {
  am_die "port $port on 127.0.0.1 is already in use (another Odoo?). Stop it, or pick another port: AM_HTTP_PORT=8070 $0"
}

ensure_venv
# Checked before the slow steps, and again just before serving.
port_is_free "$port" || port_busy
ensure_lessc
ensure_postgres

state="$(am_db module-state "$db" "$AM_ADDON")"
mkdir -p "$AM_RUN_DIR"
if [[ $state == installed || $state == "to upgrade" ]]; then
  am_log "database $db: upgrading $AM_ADDON (log: .run/odoo-run-init.log)"
  mode=(-u "$AM_ADDON")
else
  # No --without-demo: Odoo 11 loads demo data by default, and creates the
  # database itself when it does not exist.
  am_log "database $db: installing $AM_ADDON with demo data (log: .run/odoo-run-init.log)"
  mode=(-i "$AM_ADDON")
fi
if ! am_odoo -d "$db" "${mode[@]}" --stop-after-init --log-level=info \
  >"$AM_RUN_DIR/odoo-run-init.log" 2>&1 </dev/null; then
  tail -n 60 "$AM_RUN_DIR/odoo-run-init.log" >&2
  am_die "installing/upgrading $AM_ADDON in $db failed (full log: $AM_RUN_DIR/odoo-run-init.log)"
fi
# A database made before scripts/odoo-bin hid the incomplete addons may
# still have some "to install": the scheduler would skip it (see
# scripts/dbtool.py).
am_db settle-modules "$db" >/dev/null
am_set_base_url "$db" "http://localhost:$port"
errors="$(am_odoo_log_errors "$AM_RUN_DIR/odoo-run-init.log")"
if [[ -n $errors ]]; then
  printf '%s\n' "$errors" >&2
  am_log "warning: errors were logged while loading $AM_ADDON (see $AM_RUN_DIR/odoo-run-init.log)"
fi

port_is_free "$port" || port_busy
port_is_free "$longpolling_port" ||
  am_die "port $longpolling_port on 127.0.0.1 (long polling) is already in use. Pick another: AM_LONGPOLLING_PORT=8073 $0"

logins="$addon_dir/demo/LOGINS.txt"
cat <<EOF

Odoo 11 with $AM_ADDON, database $db
URL: http://localhost:$port/web
Logins (login password role):
EOF
# The addon's list, verbatim; admin/admin first unless the list has it.
if ! grep -qE '^admin[[:space:]]' "$logins" 2>/dev/null; then echo "admin admin Administrator"; fi
if [[ -f $logins ]]; then cat "$logins"; fi
echo
echo "Ctrl-C stops the server (press it again if it lingers)."
echo

echo "Background jobs: $workers workers, job runner channels $channels (Job Queue app, as admin; a reassignment shows its own batches)."
echo
ODOO_QUEUE_JOB_CHANNELS="$channels" am_odoo_exec -d "$db" --http-interface=127.0.0.1 \
  --http-port="$port" --longpolling-port="$longpolling_port" --workers="$workers" \
  --max-cron-threads=1 --load=web,queue_job --limit-time-real=900 --limit-time-cpu=900 \
  --log-level=info
