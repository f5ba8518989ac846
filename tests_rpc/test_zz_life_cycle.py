"""The addon's life cycle over RPC, last (the file name sorts last): an
upgrade keeps every record; uninstalling keeps the partners and their other
data; installing again on a database with thousands of partners that have
salespersons breaks nothing, and the adoption action turns the salespersons
into account managers of their accounts, with history origin ``import``."""
import os

A = 'account_manager.'
MODELS = ['account.manager.tier', 'account.manager', 'account.territory',
          'account.territory.rule', 'account.manager.assignment',
          'account.manager.reassignment', 'account.escalation']
PARTNER_FIELDS = ['name', 'email', 'parent_id', 'user_id', 'customer', 'is_company']
# Partners with a salesperson created before the reinstall (a parameter, so
# that a quick local run can use fewer).
SOLD_ACCOUNTS = int(os.environ.get('AM_RPC_SOLD_ACCOUNTS', '2000'))
SALESPERSONS = 5


def _module(admin):
    return admin('ir.module.module', 'search_read', [('name', '=', 'account_manager')],
                 ['state'])[0]


def _snapshot(admin):
    """Every record of the addon, every field read as the API returns it."""
    ctx = {'active_test': False}
    snapshot = {}
    for model in MODELS:
        fields = [name for name, field in admin(model, 'fields_get', [],
                                                attributes=['type', 'store']).items()
                  if field.get('store') and field['type'] not in ('binary',)
                  and name not in ('write_date', '__last_update')]
        snapshot[model] = admin(model, 'search_read', [], fields, context=ctx, order='id')
    snapshot['res.partner'] = admin(
        'res.partner', 'search_read', [], PARTNER_FIELDS + [
            'account_manager_id', 'territory_id', 'required_tier_id',
            'territory_locked', 'account_parent_id'], context=ctx, order='id')
    return snapshot


def test_upgrade_keeps_every_record(admin):
    before = _snapshot(admin)
    assert before['account.manager'] and before['account.manager.assignment']
    module = _module(admin)
    admin('ir.module.module', 'button_immediate_upgrade', [module['id']])
    assert _module(admin)['state'] == 'installed'
    after = _snapshot(admin)
    for model, records in before.items():
        assert after[model] == records, model


def test_uninstall_keeps_partners_and_reinstall_adopts_salespersons(admin):
    partners = admin('res.partner', 'search_read', [], PARTNER_FIELDS,
                     context={'active_test': False}, order='id')
    demo = {row['res_id'] for row in admin('ir.model.data', 'search_read', [
        ('module', '=', 'account_manager'), ('model', '=', 'res.partner')], ['res_id'])}
    module = _module(admin)
    assert module['state'] == 'installed'
    admin('ir.module.module', 'button_immediate_uninstall', [module['id']])
    assert _module(admin)['state'] == 'uninstalled'
    after = admin('res.partner', 'search_read', [], PARTNER_FIELDS,
                  context={'active_test': False}, order='id')
    # The addon's own demo partners may go with it; every other partner
    # stays exactly as it was.
    kept = {p['id']: p for p in after}
    others = [p for p in partners if p['id'] not in demo]
    assert others
    for partner in others:
        assert kept.get(partner['id']) == partner
    assert not admin('ir.model', 'search', [('model', 'like', 'account.manager')])
    fields = admin('res.partner', 'fields_get', [], attributes=['type'])
    assert 'account_manager_id' not in fields

    # An existing sales organisation: salespersons and thousands of accounts.
    group_user = admin.ref('base.group_user')
    sellers = [admin('res.users', 'create', {
        'name': 'Seller %d' % i, 'login': 'rpc_seller_%d' % i,
        'groups_id': [(6, 0, [group_user])]}) for i in range(SALESPERSONS)]
    sold = []
    for start in range(0, SOLD_ACCOUNTS, 500):
        # load() takes the strings of an import file, as an import would.
        result = admin('res.partner', 'load', ['name', 'is_company', 'customer', 'user_id/.id'], [
            ['Existing customer %05d' % i, '1', '1', str(sellers[i % SALESPERSONS])]
            for i in range(start, min(start + 500, SOLD_ACCOUNTS))],
            context={'tracking_disable': True, 'mail_create_nolog': True})
        assert not result['messages'], result['messages'][:3]
        sold += result['ids']
    assert len(sold) == SOLD_ACCOUNTS
    before = admin('res.partner', 'read', sold, PARTNER_FIELDS)

    admin('ir.module.module', 'button_immediate_install', [module['id']])
    assert _module(admin)['state'] == 'installed'
    assert admin('account.manager.tier', 'search_count', []) >= 4
    # Installing changes nothing of the existing accounts.
    assert admin('res.partner', 'read', sold, PARTNER_FIELDS) == before
    assert not admin('res.partner', 'search_count', [
        ('id', 'in', sold), ('account_manager_id', '!=', False)])

    admin('account.manager', 'action_adopt_salespersons')
    managers = admin('account.manager', 'search_read', [('user_id', 'in', sellers)],
                     ['user_id'])
    assert sorted(m['user_id'][0] for m in managers) == sorted(sellers)
    manager_of = {m['user_id'][0]: m['id'] for m in managers}
    adopted = admin('res.partner', 'read', sold, ['user_id', 'account_manager_id'])
    for partner in adopted:
        assert partner['account_manager_id'][0] == manager_of[partner['user_id'][0]]
    lines = admin('account.manager.assignment', 'read_group', [
        ('partner_id', 'in', sold), ('date_end', '=', False)], ['origin'], ['origin'])
    assert [(g['origin'], g['origin_count']) for g in lines] == [('import', SOLD_ACCOUNTS)]
