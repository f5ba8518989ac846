"""Uninstall and reinstall over RPC, last (the file name sorts last): the
partners and their other data survive, and the addon installs again."""
import os

import pytest

A = 'account_manager.'

pytestmark = pytest.mark.skipif(
    os.environ.get('AM_RPC_LIFECYCLE', '1') != '1',
    reason='AM_RPC_LIFECYCLE=0: uninstall/reinstall skipped')


def _module(admin):
    return admin('ir.module.module', 'search_read', [('name', '=', 'account_manager')],
                 ['state'])[0]


def test_uninstall_keeps_partners_and_reinstall_works(admin):
    partners = admin('res.partner', 'search_read', [], ['name', 'email', 'parent_id'],
                     context={'active_test': False}, order='id')
    module = _module(admin)
    assert module['state'] == 'installed'
    admin('ir.module.module', 'button_immediate_uninstall', [module['id']])
    assert _module(admin)['state'] == 'uninstalled'
    after = admin('res.partner', 'search_read', [], ['name', 'email', 'parent_id'],
                  context={'active_test': False}, order='id')
    # The addon's own demo partners go with it; every other partner stays as it was.
    kept = {p['id']: p for p in after}
    demo_ids = set(admin('ir.model.data', 'search', [
        ('module', '=', 'account_manager'), ('model', '=', 'res.partner')]))
    lost = [p for p in partners if p['id'] not in kept]
    assert all(p['name'] for p in lost)
    for partner in partners:
        if partner['id'] in kept:
            assert kept[partner['id']] == partner
    assert not demo_ids  # the xml ids went with the module
    fields = admin('res.partner', 'fields_get', [], attributes=['type'])
    assert 'account_manager_id' not in fields
    admin('ir.module.module', 'button_immediate_install', [module['id']])
    assert _module(admin)['state'] == 'installed'
    assert admin('account.manager.tier', 'search_count', []) >= 4
    assert 'account_manager_id' in admin('res.partner', 'fields_get', [],
                                         attributes=['type'])
