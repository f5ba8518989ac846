"""Two reassignments of overlapping accounts at the same moment, from two
connections: each finishes or fails cleanly, and the history stays whole
(one open primary line per account, matching its manager)."""
import threading

import requests

import conftest
from conftest import RpcError, assert_clean

A = 'account_manager.'


def _call(session, client, model, method, *args, **kwargs):
    response = session.post(conftest.URL + '/jsonrpc', json={
        'jsonrpc': '2.0', 'method': 'call', 'id': 1, 'params': {
            'service': 'object', 'method': 'execute_kw',
            'args': [conftest.DB, client.uid, client.password, model, method,
                     list(args), kwargs]}}, timeout=300)
    body = response.json()
    if 'error' in body:
        raise RpcError(body['error'])
    return body['result']


def _open_lines(admin, accounts):
    return admin('account.manager.assignment', 'search_read', [
        ('partner_id', 'in', accounts), ('role', '=', 'primary'),
        ('date_end', '=', False)], ['partner_id', 'manager_id'])


def test_concurrent_reassignments(admin):
    karim = admin.ref(A + 'manager_karim_demo')
    targets = [admin.ref(A + 'manager_nadia_demo'), admin.ref(A + 'manager_gloria_demo')]
    accounts = admin('res.partner', 'search', [
        ('account_manager_id', '=', karim), ('is_company', '=', True)])
    assert len(accounts) >= 2
    # Overlapping selections: the first takes all, the second all but one.
    selections = [accounts, accounts[1:]]
    outcomes = [None, None]
    barrier = threading.Barrier(2)

    def run(i):
        session = requests.Session()
        ctx = {'active_model': 'res.partner', 'active_ids': selections[i]}
        try:
            wizard = _call(session, admin, 'account.manager.reassign.wizard', 'create', {
                'to_manager_id': targets[i], 'reason': 'race %d' % i}, context=ctx)
            barrier.wait(timeout=60)
            _call(session, admin, 'account.manager.reassign.wizard', 'action_reassign',
                  [wizard], context=ctx)
            outcomes[i] = 'done'
        except RpcError as error:
            outcomes[i] = error
        except Exception as error:  # noqa: BLE001 - reported below
            outcomes[i] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    print('\nconcurrent reassignments: %s' % [
        o if o == 'done' else '%s' % o for o in outcomes])
    for outcome in outcomes:
        if outcome != 'done':
            assert isinstance(outcome, RpcError), outcome
            assert_clean(outcome)
    assert 'done' in outcomes
    try:
        partners = admin('res.partner', 'read', accounts, ['account_manager_id'])
        lines = _open_lines(admin, accounts)
        assert len(lines) == len(accounts), 'one open line per account: %s' % lines
        current = {p['id']: p['account_manager_id'][0] for p in partners}
        for line in lines:
            assert current[line['partner_id'][0]] == line['manager_id'][0]
            assert line['manager_id'][0] in targets
    finally:
        admin('res.partner', 'write', accounts, {'account_manager_id': karim})
    assert len(_open_lines(admin, accounts)) == len(accounts)


def test_reassignment_races_auto_escalation(admin):
    """A handover of accounts with overdue escalations while the
    auto-escalation scheduled action runs: both finish (they touch different
    rows) or one fails cleanly and succeeds when run again; the history
    stays whole and each escalation climbs exactly one level."""
    karim = admin.ref(A + 'manager_karim_demo')
    nadia = admin.ref(A + 'manager_nadia_demo')
    gloria = admin.ref(A + 'manager_gloria_demo')
    cron = admin.ref(A + 'ir_cron_account_escalation_auto_escalate')
    accounts = admin('res.partner', 'search', [
        ('account_manager_id', '=', karim), ('is_company', '=', True)])
    escalations = [admin('account.escalation', 'create', {
        'partner_id': account, 'subject': 'race with the scheduled action',
        'manager_id': karim, 'state': 'open', 'deadline': '2020-01-01 00:00:00',
    }) for account in accounts]
    outcomes = {}
    barrier = threading.Barrier(2)

    def reassign():
        session = requests.Session()
        ctx = {'active_model': 'res.partner', 'active_ids': accounts}
        wizard = _call(session, admin, 'account.manager.reassign.wizard', 'create', {
            'to_manager_id': gloria, 'reason': 'race with the cron'}, context=ctx)
        barrier.wait(timeout=60)
        _call(session, admin, 'account.manager.reassign.wizard', 'action_reassign',
              [wizard], context=ctx)

    def escalate():
        session = requests.Session()
        barrier.wait(timeout=60)
        _call(session, admin, 'ir.cron', 'method_direct_trigger', [cron])

    def run(name, function):
        try:
            function()
            outcomes[name] = 'done'
        except Exception as error:  # noqa: BLE001 - reported below
            outcomes[name] = error

    threads = [threading.Thread(target=run, args=item)
               for item in (('reassign', reassign), ('escalate', escalate))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    print('\nreassignment vs auto-escalation: %s' % outcomes)
    for outcome in outcomes.values():
        if outcome != 'done':
            assert isinstance(outcome, RpcError), outcome
            assert_clean(outcome)
    try:
        # Whatever failed succeeds when run again.
        if outcomes.get('escalate') != 'done':
            admin('ir.cron', 'method_direct_trigger', [cron])
        if outcomes.get('reassign') != 'done':
            admin('res.partner', 'write', accounts, {'account_manager_id': gloria})
        partners = admin('res.partner', 'read', accounts, ['account_manager_id'])
        assert {p['account_manager_id'][0] for p in partners} == {gloria}
        lines = _open_lines(admin, accounts)
        assert sorted(line['partner_id'][0] for line in lines) == sorted(accounts)
        assert {line['manager_id'][0] for line in lines} == {gloria}
        climbed = admin('account.escalation', 'read', escalations,
                        ['manager_id', 'hop_count', 'state'])
        for escalation in climbed:
            assert escalation['hop_count'] == 1, escalation
            assert escalation['manager_id'][0] == nadia, escalation
    finally:
        admin('account.escalation', 'write', escalations, {'state': 'cancelled'})
        admin('res.partner', 'write', accounts, {'account_manager_id': karim})
