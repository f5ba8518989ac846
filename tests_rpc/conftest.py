"""JSON-RPC client and fixtures for the external suite.

The server and database come from tests_rpc/run.sh (AM_RPC_URL, AM_RPC_DB).
Every call goes through /jsonrpc, service ``object``, ``execute_kw``, as an
integration would."""
import itertools
import os

import pytest
import requests
from hypothesis import settings

# No example database in the work tree: every run starts fresh.
settings.register_profile('rpc', database=None)
settings.load_profile('rpc')

URL = os.environ.get('AM_RPC_URL', 'http://127.0.0.1:8069')
DB = os.environ.get('AM_RPC_DB', 'account_manager_rpc')

# What a clean refusal looks like over RPC. MissingError is Odoo's own clean
# answer for an id that does not exist.
CLEAN_ERRORS = {
    'odoo.exceptions.UserError',
    'odoo.exceptions.ValidationError',
    'odoo.exceptions.AccessError',
    'odoo.exceptions.MissingError',
}
REFUSALS = {
    'odoo.exceptions.UserError',
    'odoo.exceptions.ValidationError',
    'odoo.exceptions.AccessError',
}
DEMO_LOGINS = ['gloria', 'nadia', 'niklas', 'karim', 'kenji', 'katrin',
               'adele', 'arthur', 'anton']

_ids = itertools.count(1)
_session = requests.Session()


class RpcError(Exception):
    def __init__(self, error):
        data = error.get('data') or {}
        self.name = data.get('name') or ''
        self.message = data.get('message') or error.get('message') or ''
        self.debug = data.get('debug') or ''
        super(RpcError, self).__init__('%s: %s' % (self.name, self.message))


def jsonrpc(service, method, *args, timeout=120):
    response = _session.post(URL + '/jsonrpc', json={
        'jsonrpc': '2.0', 'method': 'call', 'id': next(_ids),
        'params': {'service': service, 'method': method, 'args': list(args)},
    }, timeout=timeout)
    response.raise_for_status()
    body = response.json()
    if 'error' in body:
        raise RpcError(body['error'])
    return body['result']


class Client(object):
    """One user's connection: ``client('res.partner', 'search_read', [...])``."""

    def __init__(self, login, password=None):
        self.login = login
        self.password = password or login
        self.uid = jsonrpc('common', 'login', DB, login, self.password)
        assert self.uid, 'cannot log in as %s' % login

    def __call__(self, model, method, *args, **kwargs):
        # Module (un)installs reload the registry: minutes on a busy machine.
        timeout = 1800 if method.startswith('button_immediate') else 300
        return jsonrpc('object', 'execute_kw', DB, self.uid, self.password,
                       model, method, list(args), kwargs, timeout=timeout)

    def ref(self, xmlid):
        module, name = xmlid.split('.')
        rows = self('ir.model.data', 'search_read',
                    [('module', '=', module), ('name', '=', name)], ['res_id'])
        assert rows, 'no xml id %s' % xmlid
        return rows[0]['res_id']

    def refused(self, model, method, *args, **kwargs):
        """Call and return the RpcError, failing if the call succeeded or
        the error is not a clean refusal."""
        try:
            self(model, method, *args, **kwargs)
        except RpcError as error:
            assert error.name in REFUSALS, 'not a clean refusal: %s\n%s' % (
                error, error.debug[-2000:])
            assert error.message.strip()
            return error
        raise AssertionError('%s.%s(%r, %r) was accepted' % (model, method, args, kwargs))


def assert_clean(error):
    assert error.name in CLEAN_ERRORS, 'internal error: %s\n%s' % (
        error, error.debug[-3000:])


@pytest.fixture(scope='session')
def admin():
    return Client('admin', 'admin')


@pytest.fixture(scope='session')
def users():
    return {login: Client(login) for login in DEMO_LOGINS}
