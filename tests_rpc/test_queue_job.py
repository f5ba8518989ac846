"""Background reassignments on a server run as production runs it: worker
processes, and OCA queue_job's job runner (tests_rpc/run.sh starts it so).

A reassignment over the threshold is queued as jobs of the channel
root.account_manager, run by the workers to done, and leaves exactly one
open history line per account. A worker killed in the middle of a batch
leaves its job "started" and moves nothing; retried from the reassignment,
the batch runs again and moves each account once."""
import os
import signal
import time
import uuid

import psutil
import psycopg2
import requests

from conftest import DB, URL, RpcError

A = 'account_manager.'
PARAM_THRESHOLD = 'account_manager.reassign_async_threshold'
PARAM_BATCH = 'account_manager.reassign_batch_size'


def _ref(admin, xmlid):
    return admin.ref(xmlid)


def _wait(what, predicate, timeout=180, step=0.5):
    deadline = time.time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.time() < deadline, 'timed out waiting for %s' % what
        time.sleep(step)


def _set_params(admin, values):
    """Set system parameters; returns their previous values."""
    old = {}
    for key, value in values.items():
        old[key] = admin('ir.config_parameter', 'get_param', key)
        admin('ir.config_parameter', 'set_param', key, value)
    return old


def _make_accounts(admin, manager, count, tag):
    return [admin('res.partner', 'create', {
        'name': 'RPC Queue %s %02d' % (tag, index), 'is_company': True,
        'customer': True, 'account_manager_id': manager}) for index in range(count)]


def _reassign(client, partner_ids, to_manager, reason):
    ctx = {'active_model': 'res.partner', 'active_ids': partner_ids}
    wizard = client('account.manager.reassign.wizard', 'create', {
        'to_manager_id': to_manager, 'reason': reason}, context=ctx)
    action = client('account.manager.reassign.wizard', 'action_reassign', [wizard], context=ctx)
    return action['res_id']


def _state(admin, run):
    return admin('account.manager.reassignment', 'read', [run], ['state'])[0]['state']


def _jobs(admin, run):
    return admin('queue.job', 'search_read', [('account_manager_reassignment_id', '=', run)],
                 ['state', 'channel', 'user_id', 'account_manager_batch_size', 'retry'],
                 order='id')


def _assert_moved_once(admin, accounts, manager, run):
    lines = admin('account.manager.assignment', 'search_read', [
        ('partner_id', 'in', accounts), ('date_end', '=', False), ('role', '=', 'primary')],
        ['partner_id', 'manager_id', 'reassignment_id'])
    by_account = {}
    for line in lines:
        by_account.setdefault(line['partner_id'][0], []).append(line)
    assert sorted(by_account) == sorted(accounts), 'an account without an open line'
    for account, open_lines in by_account.items():
        assert len(open_lines) == 1, 'account %d has %d open lines' % (account, len(open_lines))
        assert open_lines[0]['manager_id'][0] == manager
        assert open_lines[0]['reassignment_id'][0] == run
    notes = admin('mail.message', 'search_read', [
        ('model', '=', 'res.partner'), ('res_id', 'in', accounts),
        ('tracking_value_ids.field', '=', 'account_manager_id'),
        ('tracking_value_ids.new_value_integer', '=', manager)], ['res_id'])
    per_account = {}
    for note in notes:
        per_account[note['res_id']] = per_account.get(note['res_id'], 0) + 1
    assert per_account == dict.fromkeys(accounts, 1), per_account
    run_row = admin('account.manager.reassignment', 'read', [run],
                    ['account_count', 'done_count', 'queued_count'])[0]
    assert run_row['account_count'] == len(accounts), run_row
    assert run_row['done_count'] == run_row['queued_count'] == len(accounts), run_row


def _connect():
    return psycopg2.connect(dbname=DB, host=os.environ.get('AM_DB_HOST', '127.0.0.1'),
                            port=os.environ.get('AM_DB_PORT', '5432'),
                            user=os.environ.get('AM_DB_USER', 'odoo'),
                            password=os.environ.get('AM_DB_PASSWORD', 'odoo'))


def _activity(query, params):
    """[first column] of a query on PostgreSQL's activity, in a fresh
    transaction."""
    conn = _connect()
    try:
        cr = conn.cursor()
        cr.execute(query, params)
        return [row[0] for row in cr.fetchall()]
    finally:
        conn.close()


def _http_workers():
    """The server's HTTP worker processes (not its long-polling process)."""
    master = psutil.Process(int(os.environ['AM_RPC_SERVER_PID']))
    return [child for child in master.children()
            if 'gevent' not in ' '.join(child.cmdline())]


def _server_up():
    try:
        return requests.get(URL + '/web/login', timeout=5).status_code == 200
    except requests.RequestException:
        return False


def test_queue_server_runs_workers_and_the_runner():
    assert len(_http_workers()) >= 2, 'the suite runs against a multi-process server'

    def runner_ready():
        with open(os.environ['AM_RPC_LOG']) as handle:
            return 'queue job runner ready for db %s' % DB in handle.read()

    # The runner starts a few seconds after the server.
    _wait('the job runner in the server log', runner_ready, timeout=60)


def test_queue_reassignment_runs_to_done_on_workers(admin, users):
    nadia = users['nadia']
    karim = _ref(admin, A + 'manager_karim_demo')
    kenji = _ref(admin, A + 'manager_kenji_demo')
    accounts = _make_accounts(admin, karim, 7, uuid.uuid4().hex[:6])
    old = _set_params(admin, {PARAM_THRESHOLD: '2', PARAM_BATCH: '3'})
    try:
        run = _reassign(nadia, accounts, kenji, 'RPC queue_job: in the background')
    finally:
        _set_params(admin, old)
    assert _state(admin, run) in ('queued', 'running', 'done')
    jobs = _jobs(admin, run)
    assert [job['account_manager_batch_size'] for job in jobs] == [3, 3, 1]
    assert {job['channel'] for job in jobs} == {'root.account_manager'}
    assert {job['user_id'][0] for job in jobs} == {nadia.uid}, 'jobs run as who asked'
    _wait('the reassignment to finish', lambda: _state(admin, run) in ('done', 'failed'))
    assert _state(admin, run) == 'done', _jobs(admin, run)
    assert {job['state'] for job in _jobs(admin, run)} == {'done'}
    _assert_moved_once(admin, accounts, kenji, run)
    # The team lead sees the progress, not the job queue.
    row = nadia('account.manager.reassignment', 'read', [run],
                ['job_count', 'job_done_count', 'progress'])[0]
    assert (row['job_count'], row['job_done_count'], row['progress']) == (3, 3, 100.0)
    error = nadia.refused('queue.job', 'search', [])
    assert error.name == 'odoo.exceptions.AccessError'


def test_queue_killed_batch_is_retried_without_duplicates(admin, users):
    nadia = users['nadia']
    karim = _ref(admin, A + 'manager_karim_demo')
    kenji = _ref(admin, A + 'manager_kenji_demo')
    accounts = _make_accounts(admin, karim, 5, uuid.uuid4().hex[:6])
    # Hold one account's row: the batch blocks on it, mid-way, with the
    # reassignment's own lock taken and its first statements done.
    conn = _connect()
    try:
        cr = conn.cursor()
        # (NO KEY: rows that merely refer to the account, as the wizard's,
        # may still be written.)
        cr.execute("SELECT id FROM res_partner WHERE id = %s FOR NO KEY UPDATE",
                   (accounts[-1],))
        old = _set_params(admin, {PARAM_THRESHOLD: '1', PARAM_BATCH: '100'})
        try:
            run = _reassign(nadia, accounts, kenji, 'RPC queue_job: killed and retried')
        finally:
            _set_params(admin, old)

        def blocked():
            # Polled from another connection: a transaction sees the
            # activity statistics as they were when it first read them.
            return _activity("""SELECT pid FROM pg_stat_activity
                                 WHERE datname = %s AND wait_event_type = 'Lock'
                                   AND query ILIKE '%%UPDATE res_partner%%'""", (DB,))

        backends = _wait('the batch to block on the held account', blocked, timeout=120)
        assert [job['state'] for job in _jobs(admin, run)] == ['started']
        for worker in _http_workers():
            worker.send_signal(signal.SIGKILL)
    finally:
        conn.rollback()
        conn.close()
    _wait('the server to respawn its workers', _server_up, timeout=120)

    def gone():
        return not _activity("SELECT pid FROM pg_stat_activity WHERE pid = ANY(%s)",
                             (backends,))

    _wait("the killed worker's transaction to end", gone, timeout=120)
    # Killed: the job stays "started" (the runner cannot know), nothing moved.
    assert [job['state'] for job in _jobs(admin, run)] == ['started']
    managers = admin('res.partner', 'read', accounts, ['account_manager_id'])
    assert {row['account_manager_id'][0] for row in managers} == {karim}
    # (The batch's own change of state was rolled back with it.)
    assert _state(admin, run) == 'queued'

    def retried():
        try:
            return nadia('account.manager.reassignment', 'action_retry', [run]) is True
        except RpcError as error:
            assert 'being processed right now' in error.message, error.message
            return False

    _wait('the retry to be accepted', retried, timeout=60, step=1)
    _wait('the retried batch to finish', lambda: _state(admin, run) in ('done', 'failed'))
    assert _state(admin, run) == 'done', _jobs(admin, run)
    _assert_moved_once(admin, accounts, kenji, run)
