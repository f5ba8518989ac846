"""History over RPC, and what each demo user reaches."""
import pytest

A = 'account_manager.'
COMMERCIAL = ['|', ('is_company', '=', True), ('parent_id', '=', False)]


def test_rpc_write_opens_manual_line(admin):
    account = admin.ref(A + 'partner_aurore_france_demo')
    kenji = admin.ref(A + 'manager_kenji_demo')
    old = admin('res.partner', 'read', [account], ['account_manager_id'])[0][
        'account_manager_id'][0]
    admin('res.partner', 'write', [account], {'account_manager_id': kenji})
    try:
        lines = admin('account.manager.assignment', 'search_read',
                      [('partner_id', '=', account), ('role', '=', 'primary'),
                       ('date_end', '=', False)], ['manager_id', 'origin'])
        assert len(lines) == 1
        assert lines[0]['manager_id'][0] == kenji
        assert lines[0]['origin'] == 'manual'
    finally:
        admin('res.partner', 'write', [account], {'account_manager_id': old})
    lines = admin('account.manager.assignment', 'search_read',
                  [('partner_id', '=', account), ('date_end', '=', False),
                   ('role', '=', 'primary')], ['manager_id'])
    assert [line['manager_id'][0] for line in lines] == [old]


@pytest.mark.parametrize('login', ['gloria', 'nadia', 'karim', 'adele'])
def test_history_locked_for_demo_users(admin, users, login):
    client = users[login]
    lines = client('account.manager.assignment', 'search_read', [], ['reason'], limit=1)
    assert lines, '%s sees some history' % login
    line = lines[0]['id']
    for method, args in (('write', ([line], {'reason': 'rewritten'})),
                         ('unlink', ([line],)),
                         ('create', ({'partner_id': 1, 'manager_id': 1},))):
        error = client.refused('account.manager.assignment', method, *args)
        assert error.name == 'odoo.exceptions.AccessError', (method, error)
    assert admin('account.manager.assignment', 'read', [line], ['reason'])[0][
        'reason'] == lines[0]['reason']


def test_history_correctable_by_admin(admin):
    line = admin('account.manager.assignment', 'search', [], limit=1)[0]
    reason = admin('account.manager.assignment', 'read', [line], ['reason'])[0]['reason']
    admin('account.manager.assignment', 'write', [line], {'reason': 'corrected by admin'})
    assert admin('account.manager.assignment', 'read', [line], ['reason'])[0][
        'reason'] == 'corrected by admin'
    admin('account.manager.assignment', 'write', [line], {'reason': reason})
    # A scratch line the administrator creates and deletes again.
    account = admin.ref(A + 'partner_aurore_france_demo')
    manager = admin.ref(A + 'manager_nadia_demo')
    scratch = admin('account.manager.assignment', 'create', {
        'partner_id': account, 'manager_id': manager, 'role': 'backup',
        'date_start': '2020-01-01 00:00:00', 'date_end': '2020-02-01 00:00:00',
        'origin': 'manual', 'reason': 'scratch'})
    admin('account.manager.assignment', 'unlink', [scratch])
    assert not admin('account.manager.assignment', 'search', [('id', '=', scratch)])


def _managers(admin, login):
    return admin('account.manager', 'search', [('user_id.login', '=', login)])


def _reach(admin, login, team):
    """Manager ids whose accounts ``login`` may see (own, backed-up, and
    with ``team`` everything below them)."""
    own = _managers(admin, login)
    ids = set(own)
    ids |= set(admin('account.manager', 'search', [('backup_manager_id', 'in', own)]))
    if team:
        ids |= set(admin('account.manager', 'search', [('id', 'child_of', list(ids))]))
    return ids


def _escalated_partners(admin, login):
    """Partners ``login`` reads because an escalation of their account is
    held by them, whom they back up, or anybody below (the read rule's
    escalation clause). Earlier tests raise escalations on any account."""
    stand_in = _reach(admin, login, team=False)
    team = admin('account.manager', 'search', [('id', 'child_of', list(stand_in))])
    escalated = admin('account.escalation', 'search_read', [('manager_id', 'in', team)],
                      ['partner_id'], context={'active_test': False})
    return set(admin('res.partner', 'search', [
        ('commercial_partner_id', 'in', [e['partner_id'][0] for e in escalated])],
        context={'active_test': False}))


def test_karim_sees_only_his_reach(admin, users):
    karim = users['karim']
    visible = karim('res.partner', 'search_read', COMMERCIAL,
                    ['account_manager_id', 'user_ids'])
    reach = _reach(admin, 'karim', team=False)
    escalated = _escalated_partners(admin, 'karim')
    own_partner = karim('res.users', 'read', [karim.uid], ['partner_id', 'company_id'])[0]
    company_partner = admin('res.company', 'read', [own_partner['company_id'][0]],
                            ['partner_id'])[0]['partner_id'][0]
    for partner in visible:
        manager = partner['account_manager_id'] and partner['account_manager_id'][0]
        assert (not manager or manager in reach or partner['id'] in escalated
                or partner['id'] in (own_partner['partner_id'][0], company_partner)), partner
    # and he sees every account he manages
    mine = admin('res.partner', 'search', [('account_manager_id', 'in', list(reach))]
                 + COMMERCIAL)
    assert mine and set(mine) <= {p['id'] for p in visible}


def test_backup_reach_and_sibling_branches(admin, users):
    """In the demo data Nadia is Niklas' backup: as a team lead standing in
    for him she sees his whole branch. Karim (Own Accounts) sees none of it,
    except accounts whose escalation his team holds."""
    niklas_branch = admin('account.manager', 'search', [
        ('id', 'child_of', _managers(admin, 'niklas'))])
    theirs = admin('res.partner', 'search', [('account_manager_id', 'in', niklas_branch)])
    assert theirs
    assert _managers(admin, 'niklas')[0] in _reach(admin, 'nadia', team=False)
    assert set(users['nadia']('res.partner', 'search', [('id', 'in', theirs)])) == set(theirs)
    seen_by_karim = set(users['karim']('res.partner', 'search', [('id', 'in', theirs)]))
    assert not seen_by_karim - _escalated_partners(admin, 'karim')
    assert len(seen_by_karim) < len(theirs)


def test_gloria_sees_all(admin, users):
    everything = admin('res.partner', 'search_count', COMMERCIAL)
    assert users['gloria']('res.partner', 'search_count', COMMERCIAL) == everything


def test_read_outside_reach_refused(admin, users):
    karim = users['karim']
    reach = _reach(admin, 'karim', team=False)
    outside = admin('res.partner', 'search', [
        ('account_manager_id', '!=', False),
        ('account_manager_id', 'not in', list(reach))] + COMMERCIAL, limit=1)
    assert outside
    error = karim.refused('res.partner', 'read', outside, ['name'])
    assert error.name == 'odoo.exceptions.AccessError'
    error = karim.refused('res.partner', 'write', outside, {'comment': 'mine now'})
    assert error.name == 'odoo.exceptions.AccessError'
