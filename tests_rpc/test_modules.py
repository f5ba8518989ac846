"""What an administrator sees of the installation: the Apps page lists only
addons that can be installed, none is left pending, and installing the addon
logs no error (a real one must stand out)."""
import os
import re

import pytest

ERROR_LINE = re.compile(r'^\d{4}-\d\d-\d\d [\d:,]+ \d+ (ERROR|CRITICAL) ', re.M)


def test_no_module_left_pending(admin):
    pending = admin('ir.module.module', 'search_read',
                    [('state', 'in', ('to install', 'to upgrade', 'to remove'))], ['name'])
    assert pending == []


def test_apps_page_lists_no_addon_with_missing_dependencies(admin):
    # A dependency on an addon that is not there has no module behind it.
    listed = {module['name'] for module in admin(
        'ir.module.module', 'search_read', [], ['name'])}
    needed = admin('ir.module.module.dependency', 'search_read', [], ['name', 'module_id'])
    assert [dep for dep in needed if dep['name'] not in listed] == []


def test_install_logs_no_error():
    path = os.environ.get('AM_RPC_INSTALL_LOG')
    if not path:
        pytest.fail('AM_RPC_INSTALL_LOG is not set: run the suite with tests_rpc/run.sh')
    with open(path) as log:
        text = log.read()
    assert 'Unmet dependencies' not in text
    assert ERROR_LINE.findall(text) == [], text[-3000:]
