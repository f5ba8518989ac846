#!/usr/bin/env bash
# Browser journeys: the Odoo web client driven by Debian's Chromium.
#
#   tests_e2e/run.sh                   every journey
#   tests_e2e/run.sh -k escalat -x     pytest arguments pass through
#
# 1. makes sure of .venv (Odoo), lessc (without it the web client has no
#    CSS), PostgreSQL, the chromium package (apt) and .venv-e2e (Python
#    3.11: Playwright and pytest, pinned in tests_e2e/requirements.txt;
#    Playwright drives /usr/bin/chromium and never downloads a browser);
# 2. creates a fresh database with the addon and its demo organisation;
# 3. serves it on a free port, runs pytest on the journeys, stops the server.
#
# Screenshots: tests_e2e/artifacts/<journey>/ (a failed step leaves
# NN-FAILED-<step>.png); with E2E_DOCS_SCREENSHOTS=1 the ones the README
# shows are also copied to docs/screenshots/.  Server log:
# .run/e2e-server.log.  Exits with pytest's status.
#
# Environment: AM_E2E_DB (default account_manager_e2e), AM_E2E_PORT (default:
# a free port), AM_E2E_START_TIMEOUT (seconds to wait for the server, default
# 600), E2E_TIMEOUT_MS (default wait for an element, 30000), E2E_HEADED=1
# (show the browser), E2E_DOCS_SCREENSHOTS=1, AM_ADDONS_DIR and AM_DB_*
# (see scripts/lib.sh).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/../scripts/lib.sh"

db="${AM_E2E_DB:-account_manager_e2e}"
e2e_venv="$am_root/.venv-e2e"
server_log="$AM_RUN_DIR/e2e-server.log"
install_log="$AM_RUN_DIR/e2e-install.log"
mkdir -p "$AM_RUN_DIR"
started=$SECONDS

ensure_chromium() {
  if ! command -v chromium >/dev/null 2>&1; then
    am_apt_install chromium
  fi
  E2E_CHROMIUM="$(command -v chromium)"
  export E2E_CHROMIUM
}

# Python 3.11 (pyenv's, else python3 if >= 3.9) with Playwright and pytest.
ensure_e2e_venv() {
  local stamp="$e2e_venv/.am-requirements.sha256" want py="" c r
  want="$(am_hash_files tests_e2e/requirements.txt)"
  if [[ -f $stamp && $(<"$stamp") == "$want" ]] && "$e2e_venv/bin/python" -c '' 2>/dev/null; then
    return 0
  fi
  for r in "$(command -v pyenv >/dev/null 2>&1 && pyenv root)" "${PYENV_ROOT:-$HOME/.pyenv}"; do
    [[ -n $r ]] || continue
    for c in "$r"/versions/3.11.*/bin/python3.11; do [[ -x $c ]] && py="$c"; done
    [[ -n $py ]] && break
  done
  if [[ -z $py ]]; then
    py="$(command -v python3)" || am_die "no Python 3 for the browser tests (want 3.11)"
    "$py" -c 'import sys; sys.exit(sys.version_info < (3, 9))' \
      || am_die "$py is too old for Playwright; install Python 3.11 (pyenv install 3.11)"
    "$py" -c 'import venv, ensurepip' 2>/dev/null || am_apt_install python3-venv
  fi
  am_log "setting up .venv-e2e ($("$py" -V 2>&1): playwright, pytest)"
  "$e2e_venv/bin/python" -c '' 2>/dev/null || { rm -rf "$e2e_venv"; "$py" -m venv "$e2e_venv"; }
  am_pip "$e2e_venv/bin/python" -m pip install -q -r "$here/requirements.txt"
  printf '%s\n' "$want" >"$stamp"
}

server_pid=""
stop_server() {
  [[ -n $server_pid ]] || return 0
  local pid="$server_pid" i
  server_pid=""
  kill -0 "$pid" 2>/dev/null || return 0
  # The first SIGTERM waits for the long-polling threads (up to ~50 s);
  # a second one ends the server at once.
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 20; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 40; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  if kill -0 "$pid" 2>/dev/null; then
    am_log "the Odoo server (pid $pid) ignored two SIGTERMs: killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}
trap stop_server EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- set-up
cd "$am_root"
ensure_venv
ensure_lessc
ensure_postgres
ensure_chromium
ensure_e2e_venv
am_log "chromium: $("$E2E_CHROMIUM" --version 2>/dev/null | head -n1), lessc: $(lessc --version | cut -d' ' -f2)"

# ---------------------------------------------------------------- database
am_log "database $db: fresh, with $AM_ADDON and its demo data (log: $install_log)"
am_db drop "$db"
rm -rf "$AM_RUN_DIR/data/filestore/$db"
# Demo data is loaded by default in Odoo 11 (no --without-demo).
if ! am_odoo -d "$db" -i "$AM_ADDON" --stop-after-init --log-level=warn \
  --http-port="$(free_port)" >"$install_log" 2>&1 </dev/null; then
  tail -n 40 "$install_log"
  am_die "installing $AM_ADDON with demo data failed (log: $install_log)"
fi

# ---------------------------------------------------------------- server
port="${AM_E2E_PORT:-$(free_port)}"
port_is_free "$port" || am_die "port $port is in use (AM_E2E_PORT)"
base_url="http://127.0.0.1:$port"
am_set_base_url "$db" "$base_url"
am_log "serving $db on $base_url (log: $server_log)"
# lessc is on PATH (ensure_lessc): the server compiles the web client's CSS.
# No cron thread: nothing but the journeys changes the data.
(am_odoo_exec -d "$db" --db-filter="^${db}\$" --http-interface=127.0.0.1 \
  --http-port="$port" --max-cron-threads=0 --workers=0 --log-level=info) \
  >"$server_log" 2>&1 </dev/null &
server_pid=$!

"$e2e_venv/bin/python" - "$base_url/web/login?db=$db" "$server_pid" <<'PY' || { tail -n 40 "$server_log"; am_die "the Odoo server did not come up (log: $server_log)"; }
import os, sys, time, urllib.request
url, pid = sys.argv[1], int(sys.argv[2])
deadline = time.time() + int(os.environ.get("AM_E2E_START_TIMEOUT", "600"))
while time.time() < deadline:
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit("the server exited")
    try:
        with urllib.request.urlopen(url, timeout=60) as resp:
            if resp.status == 200:
                sys.exit(0)
    except OSError:
        pass
    time.sleep(1)
sys.exit("no answer from %s" % url)
PY
am_log "server up after $((SECONDS - started))s; running the journeys"

# ---------------------------------------------------------------- journeys
pytest_log="$AM_RUN_DIR/e2e-pytest.log"
rc=0
(
  cd "$here"
  export E2E_BASE_URL="$base_url" E2E_DB="$db" COLUMNS="${COLUMNS:-160}"
  exec "$e2e_venv/bin/pytest" "$@"
) </dev/null 2>&1 | tee "$pytest_log" || rc=$?

if ((rc != 0)); then
  echo
  echo "---- ERROR lines of the server log ($server_log):"
  grep -E '^[0-9-]+ [0-9:,]+ [0-9]+ (ERROR|CRITICAL) ' "$server_log" |
    grep -vE 'Unmet dependencies|MailDeliveryException|Connection refused' | tail -n 20 || true
  echo "---- screenshots: $here/artifacts/"
fi
stop_server
am_log "browser journeys done in $((SECONDS - started))s"
# pytest's summary line is above, once: test.sh adds up every such line of
# this output.
exit "$rc"
