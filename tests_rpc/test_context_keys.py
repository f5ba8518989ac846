"""A context sent over RPC grants nothing and decides nothing about the
history: the keys the addon once read from the context (origin, reason,
date, acting user, reassignment, territory placement) are ignored when a
client sends them."""
A = 'account_manager.'

FORGED = {
    'account_manager_origin': 'territory',
    'account_manager_reason': 'forged reason',
    'account_manager_date': '2001-01-01 00:00:00',
    'account_manager_reassignment_id': 1,
    'account_manager_change': {'origin': 'import', 'reason': 'forged',
                               'date': '2001-01-01 00:00:00', 'user_id': 1},
    'territory_assignment_skip': True,
}


def _current_line(admin, account):
    lines = admin('account.manager.assignment', 'search_read',
                  [('partner_id', '=', account), ('role', '=', 'primary'),
                   ('date_end', '=', False)],
                  ['manager_id', 'origin', 'reason', 'date_start', 'user_id',
                   'reassignment_id'])
    assert len(lines) == 1
    return lines[0]


def test_forged_context_does_not_set_the_history(admin, users):
    nadia = users['nadia']
    account = admin.ref(A + 'partner_orange_entreprises_demo')
    kenji = admin.ref(A + 'manager_kenji_demo')
    karim = admin.ref(A + 'manager_karim_demo')
    gloria_uid = users['gloria'].uid
    context = dict(FORGED, account_manager_acting_uid=gloria_uid)
    nadia('res.partner', 'write', [account], {'account_manager_id': karim},
          context=context)
    try:
        line = _current_line(admin, account)
        assert line['manager_id'][0] == karim
        assert line['origin'] == 'manual'
        assert not line['reason']
        assert not line['reassignment_id']
        assert line['user_id'][0] == nadia.uid
        assert line['date_start'] > '2020-01-01'
    finally:
        admin('res.partner', 'write', [account], {'account_manager_id': kenji})


def test_forged_context_does_not_skip_the_reach_check(admin, users):
    karim = users['karim']
    account = admin.ref(A + 'partner_renault_flottes_demo')
    anton = admin.ref(A + 'manager_anton_demo')
    before = _current_line(admin, account)
    error = karim.refused('res.partner', 'write', [account], {'account_manager_id': anton},
                          context=FORGED)
    assert error.name == 'odoo.exceptions.AccessError'
    assert _current_line(admin, account) == before


def test_forged_context_does_not_skip_territory_placement(admin, users):
    karim = users['karim']
    vals = {'name': 'Placement check', 'is_company': True, 'customer': True,
            'country_id': admin('res.country', 'search', [('code', '=', 'FR')])[0],
            'zip': '75011'}
    plain = karim('res.partner', 'create', dict(vals, name='Placement plain'))
    forged = karim('res.partner', 'create', dict(vals, name='Placement forged'),
                   context=FORGED)
    try:
        rows = admin('res.partner', 'read', [plain, forged],
                     ['territory_id', 'account_manager_id'])
        assert rows[0]['territory_id'], 'the demo territories place a Paris address'
        assert (rows[1]['territory_id'], rows[1]['account_manager_id']) == (
            rows[0]['territory_id'], rows[0]['account_manager_id'])
        lines = admin('account.manager.assignment', 'search_read',
                      [('partner_id', '=', forged)], ['origin', 'reason'])
        assert all(line['origin'] == 'territory' for line in lines)
        assert not any(line['reason'] == 'forged reason' for line in lines)
    finally:
        admin('res.partner', 'unlink', [plain, forged])
