"""JSON-RPC client and fixtures for the external suite.

The server and database come from tests_rpc/run.sh (AM_RPC_URL, AM_RPC_DB).
Every call goes through /jsonrpc, service ``object``, ``execute_kw``, as an
integration would."""
import base64
import io
import itertools
import os
import re
import zipfile

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

    def attempt(self, model, method, *args, **kwargs):
        """Call without failing: (True, result), or (False, RpcError)."""
        try:
            return True, self(model, method, *args, **kwargs)
        except RpcError as error:
            return False, error


def assert_clean(error):
    assert error.name in CLEAN_ERRORS, 'internal error: %s\n%s' % (
        error, error.debug[-3000:])


def web_session(login, password=None):
    """A requests.Session logged in to the web client as ``login`` (for the
    HTTP routes: /report/..., /web/content, /web/image)."""
    session = requests.Session()
    response = session.post(URL + '/web/session/authenticate', json={
        'jsonrpc': '2.0', 'method': 'call', 'id': next(_ids),
        'params': {'db': DB, 'login': login, 'password': password or login},
    }, timeout=120)
    response.raise_for_status()
    body = response.json()
    assert (body.get('result') or {}).get('uid'), 'cannot open a web session as %s: %s' % (
        login, body.get('error'))
    return session


def xlsx_strings(data):
    """Every text cell of an .xlsx file (``data``: base64, as a binary field
    reads), from its shared strings and inline strings: no openpyxl needed."""
    texts = []
    with zipfile.ZipFile(io.BytesIO(base64.b64decode(data))) as book:
        for name in book.namelist():
            if name == 'xl/sharedStrings.xml' or name.startswith('xl/worksheets/'):
                xml = book.read(name).decode('utf-8')
                texts += [_xml_unescape(t) for t in re.findall(r'<t(?:\s[^>]*)?>([^<]*)</t>', xml)]
    return texts


def _xml_unescape(text):
    for entity, char in (('&lt;', '<'), ('&gt;', '>'), ('&quot;', '"'), ('&apos;', "'"),
                         ('&amp;', '&')):
        text = text.replace(entity, char)
    return text


def pdf_text(content):
    """The text of a PDF that wkhtmltopdf made (fonts with a ToUnicode map,
    one glyph code per hex string), for checking what a report prints."""
    import PyPDF2  # a dependency of Odoo 11 itself
    reader = PyPDF2.PdfFileReader(io.BytesIO(content), strict=False)
    out = []
    for page in reader.pages:
        fonts = {}
        for name, font in (page['/Resources'].getObject().get('/Font') or {}).items():
            font = font.getObject()
            if '/ToUnicode' in font:
                fonts[name] = (_pdf_cmap(font['/ToUnicode'].getObject().getData()),
                               4 if font.get('/Subtype') == '/Type0' else 2)
        cmap, width = {}, 2
        for token in re.finditer(rb'/([^\s/]+)\s+[\d.]+\s+Tf|<([0-9A-Fa-f]*)>|(\bET\b)',
                                 page.getContents().getObject().getData()):
            if token.group(1):
                cmap, width = fonts.get('/' + token.group(1).decode(), ({}, 2))
            elif token.group(2) is not None:
                codes = token.group(2).decode()
                out.append(''.join(cmap.get(int(codes[i:i + width], 16), '')
                                   for i in range(0, len(codes), width)))
            else:
                out.append(' ')
    return re.sub(r'\s+', ' ', ''.join(out))


def _pdf_cmap(data):
    def text(value):
        return bytes.fromhex(value.decode()).decode('utf-16-be', 'replace')
    table = {}
    for block in re.findall(rb'beginbfchar(.*?)endbfchar', data, re.S):
        for src, dst in re.findall(rb'<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>', block):
            table[int(src, 16)] = text(dst)
    for block in re.findall(rb'beginbfrange(.*?)endbfrange', data, re.S):
        for low, high, dst in re.findall(
                rb'<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*(<[0-9A-Fa-f]+>|\[[^\]]*\])', block):
            codes = range(int(low, 16), int(high, 16) + 1)
            if dst.startswith(b'['):
                for code, value in zip(codes, re.findall(rb'<([0-9A-Fa-f]+)>', dst)):
                    table[code] = text(value)
            else:
                start = int(dst[1:-1], 16)
                for offset, code in enumerate(codes):
                    table[code] = chr(start + offset)
    return table


@pytest.fixture(scope='session')
def admin():
    return Client('admin', 'admin')


@pytest.fixture(scope='session')
def users():
    return {login: Client(login) for login in DEMO_LOGINS}
