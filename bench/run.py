#!/usr/bin/env python3
"""Run the account_manager benchmarks on a generated database and write
bench/RESULTS.md.

    python bench/run.py --db am_bench            # after bench/generate.py --db am_bench
    bench/run.sh                                 # venv + database + generate + run

Everything runs in-process on one cursor, as the superuser unless a
benchmark says otherwise.  Each measured call runs inside a savepoint that
is rolled back afterwards, with the ORM record cache emptied before and
after: every run starts from the same data and a cold record cache, like a
new request.  The registry's caches (ormcache: rule domains, xmlids…) are
cleared after each rollback too, so every run, baseline included, also
starts with them cold.  The figure is the median wall time of the runs; the
baseline is measured in the same process, on the same data, in between.
Queries are counted by Odoo 11's cursor (``cr.sql_log_count``).

While a benchmark runs, ``cr.commit()`` is intercepted (counted, not
executed) so that the rollback restores the data, and the thread is marked
as testing, so no e-mail leaves the machine.
"""
import argparse
import cProfile
import contextlib
import datetime
import os
import platform
import pstats
import signal
import statistics
import subprocess
import sys
import threading
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402
import odoo  # noqa: E402
from odoo.tools.safe_eval import safe_eval  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ACCOUNT_DOMAIN = ['|', ('is_company', '=', True), ('parent_id', '=', False)]


class _Timeout(BaseException):
    """Raised in the measured call when it overruns its time limit (a
    BaseException, so that no ``except Exception`` in the code under test
    swallows it)."""


@contextlib.contextmanager
def _time_limit(seconds):
    if not seconds:
        yield
        return

    def expire(_signum, _frame):
        raise _Timeout()
    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class NotAvailable(Exception):
    """A feature the benchmark needs has not landed yet."""


class Result(object):
    """One line of the results table.  ``base`` is a measurement tuple
    (seconds, queries, runs, stopped) of the baseline."""

    def __init__(self, bench, name, seconds=None, queries=None, runs=0,
                 baseline=None, base=None, target=None, ok=None, note=''):
        self.bench, self.name = bench, name
        self.seconds, self.queries, self.runs = seconds, queries, runs
        self.baseline = baseline
        base = base or (None, None, 0, False)
        self.base_seconds, self.base_queries, self.base_runs, self.base_stopped = base
        self.target, self.ok, self.note = target, ok, note
        if self.base_stopped:
            extra = 'baseline stopped at %s: it is at least that, the ratio at most' % (
                _secs(self.base_seconds))
            self.note = '; '.join(filter(None, [self.note, extra]))

    @property
    def ratio(self):
        if self.seconds is None or not self.base_seconds:
            return None
        return self.seconds / self.base_seconds

    @property
    def ratio_text(self):
        if self.ratio is None:
            return '-'
        return ('<= ' if self.base_stopped else '') + _ratio(self.ratio)

    @property
    def status(self):
        if self.seconds is None:
            return 'SKIP'
        if self.ok is None:
            return 'INFO'
        return 'PASS' if self.ok else 'MISS'

    def line(self):
        if self.seconds is None:
            return '%-58s SKIP  %s' % (self.name, self.note)
        text = '%-58s %9s  q=%-7s' % (self.name, _secs(self.seconds), self.queries)
        if self.baseline:
            text += ' | %-34s %s%9s  q=%-7s ratio %8s' % (
                self.baseline, '>' if self.base_stopped else ' ', _secs(self.base_seconds),
                self.base_queries, self.ratio_text)
        if self.target:
            text += ' | target %s' % self.target
        text += '  %s' % self.status
        if self.note:
            text += '  (%s)' % self.note
        return text


def _short_path(filename):
    for marker in ('site-packages/', os.path.dirname(common.ROOT) + '/'):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


def _secs(value):
    if value is None:
        return '-'
    return '%.3f s' % value if value < 10 else '%.1f s' % value


def _ratio(value):
    return '-' if value is None else '%.2fx' % value


class Harness(object):

    def __init__(self, env, repeat=3, fast_repeat=5, warmup=1, verbose=True):
        self.env = env
        self.cr = env.cr
        self.repeat = repeat            # runs of a slow measurement
        self.fast_repeat = fast_repeat  # runs of a sub-second one (list, pivot)
        self.warmup = warmup            # unmeasured runs before a fast one
        self.verbose = verbose
        self.results = []
        self.commits_intercepted = 0
        self._sp = 0
        self.profiling = False
        self.profiles = []
        self.slow_budget = 600
        self.slow_timeout = None

    def log(self, text):
        if self.verbose:
            print(text, flush=True)

    # -- isolation
    def _begin(self):
        self._sp += 1
        name = 'bench_%d' % self._sp
        self.cr.execute('SAVEPOINT %s' % name)
        self.env.clear()
        return name

    def _end(self, name):
        self.cr.execute('ROLLBACK TO SAVEPOINT %s' % name)
        self.cr.execute('RELEASE SAVEPOINT %s' % name)
        self.env.clear()
        # What the rolled-back code may have dropped or changed in the
        # registry's caches must not leak into the next run.
        self.env['ir.rule'].clear_caches()

    def measure(self, fn, setup=None, runs=None, warmup=0, label='', budget=None,
                timeout=None):
        """Median seconds and median query count of ``fn(state)`` over runs,
        each in its own rolled-back savepoint.  ``setup()`` runs inside the
        savepoint, outside the timing, and returns the state.

        ``budget``: no further run once the measured runs took that many
        seconds in all (at least one run is always made).  ``timeout``: a
        run still going after that many seconds is stopped and rolled back;
        its time counts as ``timeout`` and the measurement is marked
        ``stopped`` (the median is then a lower bound).

        Returns (median seconds, median queries, runs made, stopped)."""
        runs = runs or self.repeat
        times, queries = [], []
        stopped = False
        cr = self.cr
        real_commit = cr.commit

        def fake_commit():
            self.commits_intercepted += 1
        thread = threading.current_thread()
        was_testing = getattr(thread, 'testing', False)
        for i in range(warmup + runs):
            sp = self._begin()
            cr.commit = fake_commit
            thread.testing = True
            timed_out = False
            try:
                state = setup() if setup else None
                self.env.clear()
                with common.Measure(cr) as m:
                    try:
                        with _time_limit(timeout):
                            fn(state)
                    except _Timeout:
                        timed_out = True
            finally:
                cr.commit = real_commit
                thread.testing = was_testing
                self._end(sp)
            if i >= warmup:
                times.append(timeout if timed_out else m.seconds)
                queries.append(m.queries)
                stopped = stopped or timed_out
            self.log('    %-50s run %d%s: %s, %d queries%s' % (
                label, i + 1, ' (warm-up)' if i < warmup else '', _secs(m.seconds),
                m.queries, ' -- STOPPED at the time limit' if timed_out else ''))
            if timed_out or (budget and i >= warmup and sum(times) > budget):
                break
        return statistics.median(times), int(statistics.median(queries)), len(times), stopped

    def profile(self, fn, label, setup=None):
        """With --profile: one more run of ``fn`` under cProfile and a query
        timer, in its own rolled-back savepoint; the top entries are kept
        for the results file."""
        if not self.profiling:
            return
        cr = self.cr
        sp = self._begin()
        real_commit = cr.commit
        cr.commit = lambda: None
        thread = threading.current_thread()
        was_testing = getattr(thread, 'testing', False)
        thread.testing = True
        profiler = cProfile.Profile()
        try:
            state = setup() if setup else None
            self.env.clear()
            t0 = time.perf_counter()
            with common.QueryProfile(cr) as queries:
                profiler.enable()
                try:
                    fn(state)
                finally:
                    profiler.disable()
            wall = time.perf_counter() - t0
        finally:
            cr.commit = real_commit
            thread.testing = was_testing
            self._end(sp)
        stats = pstats.Stats(profiler)
        rows = []
        for (filename, line, func), (_cc, _nc, tottime, cumtime, _callers) in stats.stats.items():
            rows.append((tottime, cumtime, '%s:%d(%s)' % (_short_path(filename), line, func)))
        own = sorted((r for r in rows if common.ADDON in r[2]), key=lambda r: -r[1])[:8]
        hot = sorted(rows, reverse=True)[:8]
        text = ['Profile of %s: %s wall (under the profiler), %s in %d SQL statements' % (
            label, _secs(wall), _secs(queries.total()),
            sum(v[1] for v in queries.stats.values()))]
        text.append('  SQL, by total time:')
        text += ['    %8s  x%-5d %s' % (_secs(t), n, q) for t, n, q in queries.top(6)]
        text.append('  Python, by own time:')
        text += ['    %8s  %s' % (_secs(t), f) for t, _c, f in hot]
        text.append('  account_manager code, by cumulative time:')
        text += ['    %8s  %s' % (_secs(c), f) for _t, c, f in own]
        self.profiles.append('\n'.join(text))
        print(self.profiles[-1], flush=True)

    def add(self, result):
        self.results.append(result)
        print(result.line(), flush=True)
        return result


# ---------------------------------------------------------------- helpers

def accounts(env, limit=None, exclude_manager=None):
    domain = list(ACCOUNT_DOMAIN)
    if exclude_manager:
        domain = ['&'] + domain + ['|', ('account_manager_id', '=', False),
                                   ('account_manager_id', '!=', exclude_manager.id)]
    return env['res.partner'].search(domain, order='id', limit=limit)


def managers_of_tier(env, xmlid):
    return env['account.manager'].search(
        [('tier_id', '=', env.ref(xmlid).id), ('user_id.login', '=like', 'bench.mgr.%')],
        order='id')


def require_method(env, model, method, what):
    if model not in env or not hasattr(type(env[model]), method):
        raise NotAvailable('%s (%s.%s)' % (what, model, method))


# ---------------------------------------------------------------- 1. reassign

def wizard_options(env):
    wizard = 'account.manager.reassign.wizard'
    names = ('move_activities', 'swap_followers', 'notify')
    if wizard not in env:
        return {}
    defaults = env[wizard].default_get([n for n in names if n in env[wizard]._fields])
    return {n: bool(defaults.get(n)) for n in names if n in defaults}


def bench_reassign(h, sizes=(10000, 100000), baseline_budget=600, baseline_timeout=1200):
    """Reassign N accounts through the wizard's core method vs Odoo's own
    salesperson write and vs a raw UPDATE of one column.

    The salesperson write of 100,000 partners takes minutes (hours on a
    loaded machine): its runs stop repeating once they took
    ``baseline_budget`` seconds, and a run is stopped after
    ``baseline_timeout`` seconds (the figure is then a lower bound and the
    ratio an upper bound: both say so)."""
    env = h.env
    require_method(env, 'account.manager.reassignment', '_execute', 'the reassign wizard core')
    from odoo.addons.account_manager.models.res_partner import (  # the registry loaded it
        SALESPERSON_AS_IS, SALESPERSON_AS_IS_KEY)
    target = managers_of_tier(env, 'account_manager.tier_global_account_manager')[:1]
    total = env['res.partner'].search_count(ACCOUNT_DOMAIN)
    # The options as the wizard proposes them (move activities, swap
    # followers, notify): the handover a user actually runs.
    options = wizard_options(env)
    results = {}
    for wanted in sizes:
        n = min(wanted, total)
        ids = accounts(env, limit=n).ids
        label = '%s accounts' % '{:,}'.format(n)
        user_id = target.user_id.id
        Reassignment = env['account.manager.reassignment']

        def run_execute(_state, ids=ids, Reassignment=Reassignment, target=target):
            partners = env['res.partner'].browse(ids)
            Reassignment._execute(partners, target, 'Benchmark: reassign', origin='reassign',
                                  **options)

        def run_orm(_state, ids=ids, user_id=user_id):
            # Odoo's own salesperson write (not the addon's turning it into
            # a change of manager).
            env['res.partner'].with_context(**{
                SALESPERSON_AS_IS_KEY: SALESPERSON_AS_IS}).browse(ids).write({'user_id': user_id})

        def run_sql(_state, ids=ids, user_id=user_id):
            env.cr.execute('UPDATE res_partner SET user_id = %s WHERE id = ANY(%s)',
                           (user_id, ids))

        ex = h.measure(run_execute, label='_execute %s' % label, budget=baseline_budget)
        results[n] = ex
        orm = h.measure(run_orm, label='write(user_id) %s' % label,
                        budget=baseline_budget, timeout=baseline_timeout)
        sql = h.measure(run_sql, label='UPDATE %s' % label)
        h.profile(run_execute, '_execute %s' % label)
        h.add(Result('reassign', 'reassign %s (_execute)' % label, *ex[:3],
                     baseline='write(user_id), tracking on', base=orm,
                     target='<= 1.00x', ok=ex[0] <= orm[0],
                     note='options: %s' % (', '.join(k for k, v in sorted(options.items()) if v)
                                           or 'none')))
        h.add(Result('reassign', 'reassign %s vs raw UPDATE' % label, *ex[:3],
                     baseline='UPDATE res_partner SET user_id', base=sql,
                     target='<= 10x', ok=ex[0] <= 10 * sql[0]))
    counts = sorted(results)
    if len(counts) == 2:
        n1, n2 = counts
        q1, q2 = results[n1][1], results[n2][1]
        extra = q2 - q1
        # Growing with the batches, not the accounts: fewer than one more
        # query per 100 more accounts.
        h.add(Result('reassign', 'reassign query growth %s -> %s accounts' % (
            '{:,}'.format(n1), '{:,}'.format(n2)), results[n2][0], q2, results[n2][2],
            target='< 1 more query per 100 more accounts',
            ok=extra * 100 < (n2 - n1),
            note='%d -> %d queries: %+d for %s more accounts' % (
                q1, q2, extra, '{:,}'.format(n2 - n1))))
    return results


# ---------------------------------------------------------------- 2. partner list

def web_list(env, domain, fields, limit=80):
    """What the web client's list view asks for (web/dataset/search_read):
    search_read of one page in the model's default order, and search_count
    when the page is full."""
    Partner = env['res.partner']
    records = Partner.search_read(domain, fields, offset=0, limit=limit, order=False)
    if len(records) == limit:
        return Partner.search_count(domain)
    return len(records)


def list_users(env):
    """Restricted users of the generated hierarchy: an account manager with
    a median portfolio (own accounts), and one team user per tier above."""
    users = []
    ams = managers_of_tier(env, 'account_manager.tier_account_manager')
    if ams:
        env.cr.execute("""SELECT account_manager_id FROM res_partner
                          WHERE account_manager_id = ANY(%s) AND (is_company OR parent_id IS NULL)
                          GROUP BY 1 ORDER BY count(*), 1""", (ams.ids,))
        rows = [r[0] for r in env.cr.fetchall()]
        if rows:
            manager = env['account.manager'].browse(rows[len(rows) // 2])
            users.append(('own', 'account manager', manager))
    for xmlid, label in (('account_manager.tier_key_account_manager', 'key account manager'),
                         ('account_manager.tier_national_account_manager', 'national account manager'),
                         ('account_manager.tier_global_account_manager', 'global account manager')):
        managers = managers_of_tier(env, xmlid)
        if managers:
            users.append(('team', label, managers[0]))
    return users


def bench_partner_list(h):
    env = h.env
    group_own = env.ref('account_manager.group_own_accounts')
    action = env.ref('account_manager.res_partner_account_action')
    domain = safe_eval(action.domain or '[]')
    context = dict(safe_eval(action.context or '{}'), lang='en_US', tz=False)
    view = env['res.partner'].with_context(context).fields_view_get(view_type='tree')
    fields = list(view['fields'])
    reference = env['res.users'].search([('login', '=', 'bench_all')])
    if not reference:
        raise NotAvailable('the generated user bench_all')
    Rule = env['ir.rule']
    restricting = Rule.search([('model_id.model', '=', 'res.partner'),
                               '|', ('groups', '=', False), ('groups', 'in', group_own.ids)])
    rules_note = '' if any('account_manager' in (r.get_external_id().get(r.id) or '')
                           for r in restricting) else 'no account_manager rule on res.partner yet'

    def as_user(user):
        return odoo.api.Environment(env.cr, user.id, dict(context, uid=user.id))

    def list_call(user):
        def call(_state):
            web_list(as_user(user), domain, fields)
        return call

    base = h.measure(list_call(reference), runs=h.fast_repeat, warmup=h.warmup,
                     label='list as %s' % reference.login)
    count_all = web_list(as_user(reference), domain, fields)
    for scope, label, manager in list_users(env):
        user = manager.user_id
        t, q, r, _stopped = h.measure(list_call(user), runs=h.fast_repeat, warmup=h.warmup,
                                      label='list as %s' % user.login)
        visible = web_list(as_user(user), domain, fields)
        note = '%s of %s rows visible' % ('{:,}'.format(visible), '{:,}'.format(count_all))
        if rules_note:
            note += '; ' + rules_note
        h.add(Result('list', 'Accounts list as %s (%s, group %s)' % (label, user.login, scope),
                     t, q, r, 'same as bench_all (All Accounts)', base,
                     target='<= 1.50x', ok=t <= 1.5 * base[0], note=note))


# ---------------------------------------------------------------- 3. realign

def rotate_territory_managers(env):
    """The annual reshuffle: every territory goes to the manager of the
    next territory of its type (by id), so that nearly every account's
    manager changes.  Direct SQL (setup, not measured), then the caches
    the ORM and the record rules keep are dropped."""
    cr = env.cr
    cr.execute("""SELECT territory_type, array_agg(id ORDER BY id), array_agg(manager_id ORDER BY id)
                  FROM account_territory WHERE manager_id IS NOT NULL GROUP BY 1""")
    for _type, ids, managers in cr.fetchall():
        if len(ids) < 2:
            continue
        rotated = managers[1:] + managers[:1]
        cr.execute("""UPDATE account_territory t SET manager_id = m.manager_id
                      FROM unnest(%s::int[], %s::int[]) AS m(id, manager_id)
                      WHERE t.id = m.id""", (ids, rotated))
    env['account.territory'].invalidate_cache()
    env['ir.rule'].clear_caches()


def run_queued_jobs(env):
    """Carry out the addon's pending queue_job jobs (channel
    root.account_manager) one after the other in this transaction, as the
    job runner's /queue_job/runjob does each. Returns how many ran."""
    if 'queue.job' not in env:
        return 0
    from odoo.addons.queue_job.job import Job
    records = env['queue.job'].sudo().search([
        ('channel', '=like', 'root.account_manager%'), ('state', 'in', ('pending', 'enqueued'))],
        order='id')
    for record in records:
        job = Job.load(env, record.uuid)
        job.set_started()
        job.store()
        job.perform()
        job.set_done()
        job.store()
    return len(records)


def bench_realign(h, reassign_results=None):
    """Realign every account after the territories changed hands, as an
    administrator runs it: the realignment wizard's Apply (territory
    matching, then the reassign machinery), plus the background jobs it
    queues when it is large (run here one after the other, in this
    process, as a single worker of the job runner would).  Compared with benchmark 1's reassignment of
    the same number of accounts (measured here when benchmark 1 did not
    run at that size)."""
    env = h.env
    require_method(env, 'res.partner', '_match_territories', 'territory matching')
    require_method(env, 'account.territory.realign.wizard', 'action_apply', 'the realign wizard')
    Wizard = env['account.territory.realign.wizard']
    Reassignment = env['account.manager.reassignment']
    total = env['res.partner'].search_count(ACCOUNT_DOMAIN)

    def setup():
        rotate_territory_managers(env)
        return Wizard.with_context(active_model='account.territory').create(
            {'scope': 'all', 'reason': 'Benchmark: annual realignment'})

    moved = {}

    def run_apply(wizard):
        wizard.action_apply()
        if hasattr(type(Reassignment), '_cron_process_queued'):
            Reassignment._cron_process_queued()  # the addon's own queue (before queue_job)
        moved['jobs'] = run_queued_jobs(env)
        moved['accounts'] = wizard.manager_move_count
        moved['territories'] = wizard.territory_move_count
        moved['reassignments'] = len(wizard.reassignment_ids)
        moved['handovers'] = sum(len(r.handover_ids) for r in wizard.reassignment_ids) \
            if 'handover_ids' in Reassignment._fields else moved['reassignments']

    def run_preview(wizard):
        wizard.action_preview()

    preview = h.measure(run_preview, setup=setup, label='realign preview (dry run)')
    apply_ = h.measure(run_apply, setup=setup, label='realign apply',
                       budget=h.slow_budget, timeout=h.slow_timeout)
    h.profile(run_apply, 'realign apply', setup=setup)
    note = '%s accounts change manager, %s territory, in %s reassignment(s) of %s handovers, ' \
        '%s background jobs' % (
            '{:,}'.format(moved.get('accounts', 0)), '{:,}'.format(moved.get('territories', 0)),
            '{:,}'.format(moved.get('reassignments', 0)), '{:,}'.format(moved.get('handovers', 0)),
            '{:,}'.format(moved.get('jobs', 0)))
    base = (reassign_results or {}).get(total)
    if base:
        base_label = 'benchmark 1: _execute, %s accounts' % '{:,}'.format(total)
    else:
        ids = accounts(env).ids
        target = managers_of_tier(env, 'account_manager.tier_global_account_manager')[:1]
        options = wizard_options(env)
        base = h.measure(lambda _s: Reassignment._execute(
            env['res.partner'].browse(ids), target, 'Benchmark: reassign', **options),
            label='_execute %s accounts' % '{:,}'.format(len(ids)), budget=h.slow_budget,
            timeout=h.slow_timeout)
        base_label = '_execute, %s accounts' % '{:,}'.format(len(ids))
    h.add(Result('realign', 'realign all %s accounts (wizard Apply)' % '{:,}'.format(total),
                 *apply_[:3], baseline=base_label, base=base, target='<= 2.00x',
                 ok=apply_[0] <= 2 * base[0], note=note))
    h.add(Result('realign', 'realignment preview, %s accounts (dry run)' % '{:,}'.format(total),
                 *preview[:3], note='matching and plan only; nothing written'))


# ---------------------------------------------------------------- 4. auto-escalation

def escalation_cron(env):
    if 'account.escalation' not in env:
        raise NotAvailable('account.escalation')
    crons = env['ir.cron'].with_context(active_test=False).search(
        [('model_id.model', '=', 'account.escalation')])
    if not crons:
        raise NotAvailable('the auto-escalation scheduled action (ir.cron on account.escalation)')
    return crons[0]


def bench_auto_escalation(h, sizes=(1000, 10000)):
    """The auto-escalation scheduled action, run as the scheduler runs it
    (its server action, as the cron's user), over N escalations made open
    and overdue beforehand (setup, not measured).  Each batch the cron
    method hands to ``_auto_escalate`` is timed and its queries counted."""
    env = h.env
    cron = escalation_cron(env)
    Escalation = env['account.escalation']
    cls = type(Escalation)
    if not hasattr(cls, '_auto_escalate'):
        raise NotAvailable('account.escalation._auto_escalate (the per-batch method)')
    columns = set(Escalation._fields)
    cr = env.cr
    cr.execute('SELECT id FROM account_escalation ORDER BY id')
    all_ids = [row[0] for row in cr.fetchall()]
    batches = []
    own = '_auto_escalate' in cls.__dict__
    original = cls._auto_escalate

    def instrumented(self, *args, **kwargs):
        with common.Measure(self.env.cr) as m:
            result = original(self, *args, **kwargs)
        batches.append((len(self), m.queries, m.seconds, not batches))
        return result

    per_size = {}
    for wanted in sizes:
        ids = all_ids[:wanted]
        n = len(ids)

        def setup(ids=ids):
            extra = ', top_reached = false' if 'top_reached' in columns else ''
            cr.execute("""UPDATE account_escalation
                          SET state = 'open', date_acknowledged = NULL, date_resolved = NULL,
                              deadline = (now() at time zone 'UTC') - interval '2 hours'%s
                          WHERE id = ANY(%%s)""" % extra, (ids,))
            cr.execute("""UPDATE account_escalation
                          SET state = 'resolved', date_resolved = create_date
                          WHERE NOT (id = ANY(%s)) AND state IN ('open', 'acknowledged')""",
                       (ids,))
            del batches[:]

        def run_cron(_state):
            del batches[:]
            cron.method_direct_trigger()
            run_queued_jobs(env)  # its notifications, as the job runner sends them

        cls._auto_escalate = instrumented
        try:
            m = h.measure(run_cron, setup=setup, label='auto-escalation cron, %d overdue' % n,
                          runs=h.repeat, budget=h.slow_budget,
                          timeout=h.slow_timeout)
            # The first batch of a run is set apart: the bench empties the
            # registry caches before each run, so it alone reads again what
            # a worker reads once per process (translations, group checks,
            # xml ids, mail subtypes); with warm caches it costs what the
            # others do.
            first = [b for b in batches if b[3]]
            full = [b for b in batches if b[0] == max(x[0] for x in batches)
                    and not b[3]] if batches else []
        finally:
            if own:
                cls._auto_escalate = original
            else:
                del cls._auto_escalate
        per_size[n] = (m, full)
        if full:
            q = sorted(b[1] for b in full)
            t = sorted(b[2] for b in full)
            done = sum(b[0] for b in batches)
            per_1000 = sum(b[2] for b in batches) * 1000.0 / max(done, 1)
            note = ('first batch %d queries (cold registry caches), then %d batches of %d: '
                    '%d-%d queries (median %d), %s-%s each; %.1f s per 1,000') % (
                first[0][1] if first else 0, len(full), full[0][0], q[0], q[-1],
                q[len(q) // 2], _secs(t[0]), _secs(t[-1]), per_1000)
            if m[3]:
                note += ' (stopped after %s escalations)' % '{:,}'.format(done)
        else:
            note = 'no batch ran'
        h.add(Result('escalation', 'auto-escalation cron, %s overdue escalations' % (
            '{:,}'.format(n)), *m[:3], note=note))
        if n == min(len(all_ids[:w]) for w in sizes):
            h.profile(run_cron, 'auto-escalation cron, %d overdue' % n, setup=setup)
    if len(per_size) == 2:
        (n1, (m1, b1)), (n2, (m2, b2)) = sorted(per_size.items())
        if b1 and b2:
            q1 = statistics.median(b[1] for b in b1)
            q2 = statistics.median(b[1] for b in b2)
            spread = max(b[1] for b in b2) - min(b[1] for b in b2)
            h.add(Result('escalation', 'auto-escalation queries per batch, %s vs %s overdue' % (
                '{:,}'.format(n1), '{:,}'.format(n2)), m2[0], m2[1], m2[2],
                target='per-batch queries constant (within 20%), after the first batch',
                ok=max(b[1] for b in b2) <= 1.2 * q1 and min(b[1] for b in b2) >= 0.8 * q1,
                note='median %d vs %d queries per batch, spread %d at %s; time per 1,000: '
                     '%.1f s vs %.1f s' % (q1, q2, spread, '{:,}'.format(n2),
                                          m1[0] * 1000.0 / n1, m2[0] * 1000.0 / n2)))


# ---------------------------------------------------------------- 5. portfolio pivot

def bench_portfolio(h):
    """The portfolio pivot's read_group (tier x territory type, lazy=False as
    the pivot asks for a cell grid) and the graph's (by manager), as an
    unrestricted user and as team users, against Odoo's own read_group of
    the Accounts by salesperson for the same user."""
    env = h.env
    model = 'account.manager.portfolio.report'
    if model not in env:
        raise NotAvailable(model)
    fields_ = env[model]._fields
    if not {'tier_id', 'territory_type', 'manager_id', 'account_count'} <= set(fields_):
        raise NotAvailable('the portfolio report fields (tier_id, territory_type, manager_id)')
    action = env.ref('account_manager.res_partner_account_action')
    partner_domain = safe_eval(action.domain or '[]')
    users = [('unrestricted', env['res.users'].search([('login', '=', 'bench_all')]))]
    for scope, label, manager in list_users(env):
        if scope == 'team' and label in ('national account manager', 'global account manager'):
            users.append((label, manager.user_id))
    calls = [
        ('tier x territory type', ['tier_id', 'territory_type']),
        ('by manager', ['manager_id']),
    ]
    for who, user in users:
        uenv = odoo.api.Environment(env.cr, user.id, {'lang': 'en_US', 'tz': False})
        Report = uenv[model]
        Partner = uenv['res.partner']

        def baseline(_state, Partner=Partner):
            Partner.read_group(partner_domain, ['user_id'], ['user_id'])
        base = h.measure(baseline, runs=h.fast_repeat, warmup=h.warmup,
                         label='partners by salesperson as %s' % user.login)
        for label, groupby in calls:
            def call(_state, Report=Report, groupby=groupby):
                Report.read_group([], ['account_count'] + groupby, groupby, lazy=False)
            m = h.measure(call, runs=h.fast_repeat, warmup=h.warmup,
                          label='portfolio %s as %s' % (label, user.login))
            groups = len(Report.read_group([], ['account_count'] + groupby, groupby, lazy=False))
            h.add(Result('portfolio', 'portfolio read_group %s, %s (%s)' % (
                label, who, user.login), *m[:3],
                baseline='partners read_group by salesperson', base=base,
                target='<= 2.00x', ok=m[0] <= 2 * base[0], note='%d groups' % groups))
        if who == 'unrestricted':
            h.profile(lambda _s, Report=Report: Report.read_group(
                [], ['account_count', 'manager_id'], ['manager_id'], lazy=False),
                'portfolio by manager as %s' % user.login)


BENCHMARKS = [
    ('reassign', '1. Reassign accounts', bench_reassign),
    ('list', '2. Partner list as restricted users', bench_partner_list),
    ('realign', '3. Realignment', bench_realign),
    ('escalation', '4. Auto-escalation scheduled action', bench_auto_escalation),
    ('portfolio', '5. Portfolio pivot', bench_portfolio),
]


# ---------------------------------------------------------------- report

def machine_info(env):
    info = {}
    info['date'] = datetime.datetime.now().strftime('%Y-%m-%d %H:%M')
    info['cores'] = os.cpu_count()
    cpu = ''
    try:
        with open('/proc/cpuinfo') as handle:
            for line in handle:
                if line.startswith('model name'):
                    cpu = line.split(':', 1)[1].strip()
                    break
        with open('/proc/meminfo') as handle:
            mem_kb = int(handle.readline().split()[1])
        info['memory'] = '%.1f GiB' % (mem_kb / 1024.0 / 1024.0)
    except (IOError, ValueError):
        info['memory'] = '?'
    info['cpu'] = cpu or platform.processor() or '?'
    info['load'] = ' '.join('%.2f' % x for x in os.getloadavg())
    info['python'] = platform.python_version()
    env.cr.execute('SHOW server_version')
    info['postgres'] = env.cr.fetchone()[0]
    info['odoo'] = odoo.release.version
    try:
        info['commit'] = subprocess.check_output(
            ['git', '-C', common.ROOT, 'rev-parse', '--short', 'HEAD'],
            stderr=subprocess.DEVNULL).decode().strip()
    except (OSError, subprocess.CalledProcessError):
        info['commit'] = '?'
    return info


def data_sizes(env):
    cr = env.cr
    queries = [
        ('accounts', "SELECT count(*) FROM res_partner WHERE account_manager_id IS NOT NULL "
                     "OR territory_id IS NOT NULL OR (is_company AND customer)"),
        ('contacts', "SELECT count(*) FROM res_partner WHERE parent_id IS NOT NULL"),
        ('partners', "SELECT count(*) FROM res_partner"),
        ('managers', "SELECT count(*) FROM account_manager"),
        ('territories', "SELECT count(*) FROM account_territory"),
        ('assignment lines', "SELECT count(*) FROM account_manager_assignment"),
        ('escalations', "SELECT count(*) FROM account_escalation"),
        ('open overdue escalations', "SELECT count(*) FROM account_escalation "
                                     "WHERE state = 'open' AND deadline < now() at time zone 'UTC'"),
    ]
    sizes = []
    for label, query in queries:
        cr.execute(query)
        sizes.append((label, cr.fetchone()[0]))
    return sizes


def write_results(path, db, info, sizes, harness, skipped, elapsed, notes=()):
    lines = [
        '# Benchmark results',
        '',
        'Written by `bench/run.sh` (`bench/run.py --db %s`) on %s, in %.0f s.' % (
            db, info['date'], elapsed),
        '',
        '## Machine',
        '',
        '| | |', '|---|---|',
        '| CPU | %s |' % info['cpu'],
        '| cores | %s |' % info['cores'],
        '| memory | %s |' % info['memory'],
        '| load average at start | %s |' % info['load'],
        '| Python | %s |' % info['python'],
        '| PostgreSQL | %s |' % info['postgres'],
        '| Odoo | %s |' % info['odoo'],
        '| code | commit %s |' % info['commit'],
        '',
        '## Data',
        '',
        '| | rows |', '|---|---:|',
    ]
    lines += ['| %s | %s |' % (label, '{:,}'.format(count)) for label, count in sizes]
    lines += [
        '',
        '## Results',
        '',
        'Median wall time of the runs (each in a rolled-back savepoint, cold '
        'record cache); the baseline is measured in the same run on the same '
        'data.  q = SQL queries (median).',
        '',
        '| benchmark | time | q | runs | baseline | time | q | runs | ratio | target | result | note |',
        '|---|---:|---:|---:|---|---:|---:|---:|---:|---|---|---|',
    ]
    for r in harness.results:
        if r.seconds is None:
            continue
        lines.append('| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |' % (
            r.name, _secs(r.seconds), r.queries, r.runs or '', r.baseline or '',
            ('>= ' if r.base_stopped else '') + _secs(r.base_seconds) if r.baseline else '',
            r.base_queries if r.baseline else '', r.base_runs or '', r.ratio_text,
            r.target or '', r.status, r.note))
    if skipped:
        lines += ['', '## Not run', '']
        lines += ['- %s: %s' % item for item in skipped]
    if harness.commits_intercepted:
        lines += ['', 'Commits intercepted during measured calls: %d.' % harness.commits_intercepted]
    if notes:
        lines += ['', '## Notes', ''] + list(notes)
    if harness.profiles:
        lines += ['', '## Profiles', '', '```'] + harness.profiles + ['```']
    with open(path, 'w') as handle:
        handle.write('\n'.join(lines) + '\n')


def run(db, only=None, repeat=3, fast_repeat=5, warmup=1, results_path=None,
        reassign_sizes=(10000, 100000), escalation_sizes=(1000, 10000), baseline_budget=600,
        baseline_timeout=1200, profile=False, verbose=True):
    """Run the benchmarks; returns the harness (results) and the skipped list."""
    t0 = time.time()
    skipped = []
    with common.environment(db) as env:
        info = machine_info(env)
        sizes = data_sizes(env)
        h = Harness(env, repeat=repeat, fast_repeat=fast_repeat, warmup=warmup,
                    verbose=verbose)
        h.profiling = profile
        h.slow_budget = baseline_budget
        h.slow_timeout = baseline_timeout
        reassign_results = {}
        for key, title, fn in BENCHMARKS:
            if only and key not in only:
                continue
            print('== %s' % title, flush=True)
            try:
                if key == 'reassign':
                    reassign_results = fn(h, sizes=reassign_sizes,
                                          baseline_budget=baseline_budget,
                                          baseline_timeout=baseline_timeout)
                elif key == 'realign':
                    fn(h, reassign_results=reassign_results)
                elif key == 'escalation':
                    fn(h, sizes=escalation_sizes)
                else:
                    fn(h)
            except NotAvailable as exc:
                print('   not available yet: %s' % exc, flush=True)
                skipped.append((title, 'not available yet: %s' % exc))
            except Exception as exc:  # a broken benchmark must not hide the others
                traceback.print_exc()
                skipped.append((title, 'failed: %s: %s' % (type(exc).__name__, exc)))
                env.cr.rollback()
                env.clear()
    if results_path:
        write_results(results_path, db, info, sizes, h, skipped, time.time() - t0)
    return h, skipped


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--db', default='am_bench')
    parser.add_argument('--only', help='comma-separated: %s' % ','.join(b[0] for b in BENCHMARKS))
    parser.add_argument('--repeat', type=int, default=3, help='runs per measurement (median)')
    parser.add_argument('--reassign-sizes', default='10000,100000')
    parser.add_argument('--escalation-sizes', default='1000,10000')
    parser.add_argument('--baseline-budget', type=float, default=600,
                        help='seconds after which a slow measurement stops repeating')
    parser.add_argument('--baseline-timeout', type=float, default=1200,
                        help='seconds after which one run of the salesperson write is stopped')
    parser.add_argument('--profile', action='store_true',
                        help='one more run of each main call under cProfile and a query timer')
    parser.add_argument('--results', default=os.path.join(HERE, 'RESULTS.md'),
                        help="where to write the results ('' for nowhere)")
    args = parser.parse_args(argv)
    common.start_odoo(log_level='warn')
    only = set(args.only.split(',')) if args.only else None
    sizes = tuple(int(x) for x in args.reassign_sizes.split(','))
    escalation_sizes = tuple(int(x) for x in args.escalation_sizes.split(','))
    h, skipped = run(args.db, only=only, repeat=args.repeat, results_path=args.results or None,
                     reassign_sizes=sizes, escalation_sizes=escalation_sizes,
                     baseline_budget=args.baseline_budget,
                     baseline_timeout=args.baseline_timeout, profile=args.profile)
    misses = [r for r in h.results if r.status == 'MISS']
    print('%d results, %d missed, %d skipped' % (len(h.results), len(misses), len(skipped)))


if __name__ == '__main__':
    main()
