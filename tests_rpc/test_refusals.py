"""Every rule of the domain refuses over RPC with a clean, clear error and
leaves the database as it was."""
import re

A = 'account_manager.'


def _read(admin, model, ids, fields):
    return admin(model, 'read', ids, fields)


def test_contact_manager_write_refused(admin):
    contact = admin.ref(A + 'partner_aurore_france_contact1_demo')
    other = admin.ref(A + 'manager_kenji_demo')
    before = _read(admin, 'res.partner', [contact], ['account_manager_id'])
    error = admin.refused('res.partner', 'write', [contact], {'account_manager_id': other})
    assert 'account' in error.message.lower()
    assert 'Aurore' in error.message
    assert _read(admin, 'res.partner', [contact], ['account_manager_id']) == before


def test_required_tier_refused_naming_account(admin):
    account = admin.ref(A + 'partner_aurore_france_demo')
    adele = admin.ref(A + 'manager_adele_demo')
    before = _read(admin, 'res.partner', [account], ['account_manager_id', 'assignment_ids'])
    name = before[0]['display_name'] if 'display_name' in before[0] else admin(
        'res.partner', 'read', [account], ['display_name'])[0]['display_name']
    error = admin.refused('res.partner', 'write', [account], {'account_manager_id': adele})
    assert error.name == 'odoo.exceptions.ValidationError'
    assert name in error.message
    assert _read(admin, 'res.partner', [account],
                 ['account_manager_id', 'assignment_ids']) == before


def test_parent_of_lower_tier_refused(admin):
    karim = admin.ref(A + 'manager_karim_demo')
    adele = admin.ref(A + 'manager_adele_demo')
    before = _read(admin, 'account.manager', [karim, adele], ['parent_id'])
    error = admin.refused('account.manager', 'write', [karim], {'parent_id': adele})
    assert 'Karim' in error.message
    assert _read(admin, 'account.manager', [karim, adele], ['parent_id']) == before


def test_territory_cycle_refused(admin):
    europe = admin.ref(A + 'territory_europe_demo')
    paris = admin.ref(A + 'territory_paris_demo')
    before = _read(admin, 'account.territory', [europe], ['parent_id'])
    error = admin.refused('account.territory', 'write', [europe], {'parent_id': paris})
    assert 'Europe' in error.message
    assert _read(admin, 'account.territory', [europe], ['parent_id']) == before


def test_inverted_zip_range_refused(admin):
    paris = admin.ref(A + 'territory_paris_demo')
    before = _read(admin, 'account.territory', [paris], ['zip_from', 'zip_to'])
    name = admin('account.territory', 'read', [paris], ['name'])[0]['name']
    error = admin.refused('account.territory', 'write', [paris],
                          {'zip_from': '99000', 'zip_to': '10000'})
    assert name in error.message
    assert _read(admin, 'account.territory', [paris], ['zip_from', 'zip_to']) == before


def test_archive_manager_with_accounts_refused(admin):
    karim = admin.ref(A + 'manager_karim_demo')
    accounts = admin('res.partner', 'search_read',
                     [('account_manager_id', '=', karim), ('is_company', '=', True)],
                     ['display_name'])
    assert accounts, 'the demo data gives Karim accounts'
    error = admin.refused('account.manager', 'write', [karim], {'active': False})
    assert error.name == 'odoo.exceptions.UserError'
    assert any(a['display_name'] in error.message for a in accounts[:3])
    assert re.search(r'reassign', error.message, re.I)
    assert _read(admin, 'account.manager', [karim], ['active'])[0]['active'] is True


def test_reassign_without_reason_refused(admin):
    account = admin.ref(A + 'partner_aurore_france_demo')
    kenji = admin.ref(A + 'manager_kenji_demo')
    before = _read(admin, 'res.partner', [account], ['account_manager_id'])
    ctx = {'active_model': 'res.partner', 'active_ids': [account]}
    reassignments = admin('account.manager.reassignment', 'search_count', [])
    for reason in (False, '   '):
        vals = {'to_manager_id': kenji}
        if reason is not False:
            vals['reason'] = reason
        try:
            wizard = admin('account.manager.reassign.wizard', 'create', vals, context=ctx)
        except Exception as error:  # refused at create: must be clean
            assert getattr(error, 'name', '') in (
                'odoo.exceptions.ValidationError', 'odoo.exceptions.UserError'), error
            continue
        error = admin.refused('account.manager.reassign.wizard', 'action_reassign',
                              [wizard], context=ctx)
        assert 'reason' in error.message.lower()
    assert _read(admin, 'res.partner', [account], ['account_manager_id']) == before
    assert admin('account.manager.reassignment', 'search_count', []) == reassignments


def test_escalate_at_top_without_target_refused(admin, users):
    account = admin.ref(A + 'partner_groupe_aurore_demo')
    gloria = users['gloria']
    before = admin('account.escalation', 'search_count', [('partner_id', '=', account)])
    ctx = {'active_model': 'res.partner', 'active_ids': [account]}
    wizard = gloria('account.escalation.wizard', 'create',
                    {'subject': 'Top of the tree', 'severity': 'high'}, context=ctx)
    error = gloria.refused('account.escalation.wizard', 'action_escalate', [wizard],
                           context=ctx)
    assert error.name == 'odoo.exceptions.UserError'
    assert admin('account.escalation', 'search_count',
                 [('partner_id', '=', account)]) == before


def test_records_of_another_company_refused(admin):
    company = admin('res.company', 'create', {'name': 'RPC Other Company'})
    user = admin('res.users', 'create', {
        'name': 'Olga Other', 'login': 'rpc_olga', 'company_id': company,
        'company_ids': [(6, 0, [company])]})
    tier = admin.ref(A + 'tier_national_account_manager')
    olga = admin('account.manager', 'create', {
        'user_id': user, 'tier_id': tier, 'company_id': company})
    account = admin.ref(A + 'partner_aurore_france_demo')
    kenji = admin.ref(A + 'manager_kenji_demo')
    fields = ['account_manager_id', 'assignment_ids']
    before = _read(admin, 'res.partner', [account], fields)
    error = admin.refused('res.partner', 'write', [account], {'account_manager_id': olga})
    assert 'RPC Other Company' in error.message and 'Olga Other' in error.message
    assert _read(admin, 'res.partner', [account], fields) == before
    error = admin.refused('account.manager', 'write', [kenji], {'parent_id': olga})
    assert 'another company' in error.message
    ctx = {'active_model': 'res.partner', 'active_ids': [account]}
    wizard = admin('account.manager.reassign.wizard', 'create', {
        'to_manager_id': olga, 'reason': 'wrong company'}, context=ctx)
    error = admin.refused('account.manager.reassign.wizard', 'action_reassign', [wizard],
                          context=ctx)
    assert 'another company' in error.message
    assert _read(admin, 'res.partner', [account], fields) == before
