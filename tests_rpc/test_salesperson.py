"""The salesperson (``user_id``) of a managed account and of its contacts is
its account manager's user, after each path that changes the manager, as
integrations and the web client call them over JSON-RPC."""
A = 'account_manager.'


def _salespersons(admin, account):
    family = admin('res.partner', 'search', [('commercial_partner_id', '=', account)],
                   context={'active_test': False})
    return {row['user_id'][0] if row['user_id'] else False
            for row in admin('res.partner', 'read', family, ['user_id'])}


def _manager_user(admin, manager):
    return admin('account.manager', 'read', [manager], ['user_id'])[0]['user_id'][0]


def test_demo_accounts_have_their_manager_as_salesperson(admin):
    rows = admin('res.partner', 'search_read', [('account_manager_id', '!=', False)],
                 ['user_id', 'account_manager_user_id'], context={'active_test': False})
    assert rows, 'the demo data has managed accounts'
    wrong = [row['id'] for row in rows if row['user_id'] != row['account_manager_user_id']]
    assert wrong == []


def test_salesperson_after_rpc_write_and_reassign_wizard(admin, users):
    nadia = users['nadia']
    account = admin.ref(A + 'partner_orange_entreprises_demo')
    kenji = admin.ref(A + 'manager_kenji_demo')
    karim = admin.ref(A + 'manager_karim_demo')
    try:
        nadia('res.partner', 'write', [account], {'account_manager_id': karim})
        assert _salespersons(admin, account) == {_manager_user(admin, karim)}
        context = {'active_model': 'res.partner', 'active_ids': [account], 'active_id': account}
        wizard = nadia('account.manager.reassign.wizard', 'create',
                       {'to_manager_id': kenji, 'reason': 'Salesperson check'}, context=context)
        nadia('account.manager.reassign.wizard', 'action_reassign', [wizard], context=context)
        assert _salespersons(admin, account) == {_manager_user(admin, kenji)}
    finally:
        admin('res.partner', 'write', [account], {'account_manager_id': kenji})


def test_salesperson_written_by_hand_changes_the_manager_or_is_refused(admin, users):
    nadia = users['nadia']
    account = admin.ref(A + 'partner_orange_entreprises_demo')
    kenji = admin.ref(A + 'manager_kenji_demo')
    karim = admin.ref(A + 'manager_karim_demo')
    try:
        nadia('res.partner', 'write', [account], {'user_id': _manager_user(admin, karim)})
        row = admin('res.partner', 'read', [account], ['account_manager_id'])[0]
        assert row['account_manager_id'][0] == karim
        lines = admin('account.manager.assignment', 'search_read',
                      [('partner_id', '=', account), ('date_end', '=', False)],
                      ['manager_id', 'origin'])
        assert [(line['manager_id'][0], line['origin']) for line in lines] == [(karim, 'manual')]
        admin_uid = admin('res.users', 'search', [('login', '=', 'admin')])[0]
        error = nadia.refused('res.partner', 'write', [account], {'user_id': admin_uid})
        assert error.name == 'odoo.exceptions.UserError'
        assert 'is not an account manager' in error.message
        assert _salespersons(admin, account) == {_manager_user(admin, karim)}
    finally:
        admin('res.partner', 'write', [account], {'account_manager_id': kenji})


def test_salesperson_after_territory_placement(admin, users):
    karim = users['karim']
    vals = {'name': 'Salesperson placement', 'is_company': True, 'customer': True,
            'country_id': admin('res.country', 'search', [('code', '=', 'FR')])[0],
            'zip': '75011', 'user_id': karim.uid}
    account = karim('res.partner', 'create', vals)
    try:
        row = admin('res.partner', 'read', [account], ['account_manager_id'])[0]
        assert row['account_manager_id'], 'the demo territories place a Paris address'
        assert _salespersons(admin, account) == {
            _manager_user(admin, row['account_manager_id'][0])}
    finally:
        admin('res.partner', 'unlink', [account])
