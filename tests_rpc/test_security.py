"""Security over RPC and HTTP, acting as the restricted demo users.

Each test below is one hole an outside review found; the access matrix at
the end tries every operation on every model (and every public method of the
addon, and the HTTP routes) on records outside each restricted user's reach.
What a user may reach is computed here, as admin, from the hierarchy itself
(``Reach``), never from the addon's rules. Every refused call is also checked
to have changed nothing, read back as admin."""
import base64
import json
import re
import uuid

import pytest

from conftest import REFUSALS, URL, Client, pdf_text, web_session, xlsx_strings

A = 'account_manager.'
RESTRICTED = ['nadia', 'niklas', 'karim', 'kenji', 'katrin', 'adele', 'arthur', 'anton']
ALL = {'active_test': False}
ACCESS = 'odoo.exceptions.AccessError'
USER = 'odoo.exceptions.UserError'
# Names shorter than this are not looked for in texts (too many false hits).
MIN_NAME = 5
# The documents whose mail records (messages, activities, followers,
# attachments) are tied to an account.
DOCUMENTS = ('res.partner', 'account.escalation', 'account.manager.reassignment')
# 1x1 PNG
PNG = ('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQ'
       'AAAABJRU5ErkJggg==')
D = '2031-01-01 00:00:00'

_refs = {}


def _ref(admin, xmlid):
    if xmlid not in _refs:
        _refs[xmlid] = admin.ref(xmlid)
    return _refs[xmlid]


def _id(value):
    """A many2one as read (``[id, name]`` or False) -> id or False."""
    return value[0] if isinstance(value, (list, tuple)) and value else value


def _token(label):
    return 'RPCSEC-%s-%s' % (label, uuid.uuid4().hex[:10])


def _strip_html(text):
    return re.sub(r'\s+', ' ', re.sub(r'<[^>]+>', ' ', text or ''))


def _quietly(call, *args, **kwargs):
    """Clean-up as admin: whatever is already gone or refused stays so."""
    try:
        return call(*args, **kwargs)
    except Exception:  # pylint: disable=broad-except
        return None


def _drop(admin, model, ids):
    """Remove what a test (or an accepted attack) left: unlink, or archive
    when unlinking is refused."""
    ids = [i for i in ids if i]
    if not ids:
        return
    ok, _error = admin.attempt(model, 'unlink', ids)
    if not ok and model == 'res.partner':
        _quietly(admin, model, 'write', ids, {'account_manager_id': False, 'active': False})


class Reach(object):
    """What ``login`` may reach, from the hierarchy, computed as admin.

    Managers: the user's active manager records and the active managers
    they back up (stand-in), and with Team Accounts everybody below them.
    Partners: those whose account's manager is among them or is empty, in a
    territory (sub)tree a stand-in is responsible for (Team Accounts), the
    user's own and company partners, and the accounts of escalations they
    raised or that are held by a stand-in or anybody below."""

    def __init__(self, admin, login):
        self.login = login
        uids = admin('res.users', 'search', [('login', '=', login)], context=ALL)
        assert uids, 'no user %s' % login
        self.uid = uids[0]
        user = admin('res.users', 'read', [self.uid],
                     ['partner_id', 'company_ids', 'groups_id'])[0]
        self.partner_id = user['partner_id'][0]
        groups = set(user['groups_id'])
        self.team = _ref(admin, A + 'group_team_accounts') in groups
        self.restricted = (_ref(admin, A + 'group_own_accounts') in groups
                           and _ref(admin, A + 'group_all_accounts') not in groups)
        Manager = 'account.manager'
        own = admin(Manager, 'search', [('user_id', '=', self.uid), ('active', '=', True)],
                    context=ALL)
        self.own_managers = own
        stand_in = set(own)
        if own:
            stand_in |= set(admin(Manager, 'search', [
                ('backup_manager_id', 'in', own), ('active', '=', True)], context=ALL))
        below = set(admin(Manager, 'search', [('id', 'child_of', sorted(stand_in))],
                          context=ALL)) if stand_in else set()
        self.stand_in, self.below = stand_in, below
        self.managers = below if self.team else stand_in
        self.territories = set()
        if self.team and stand_in:
            responsible = admin('account.territory', 'search', [
                ('manager_id', 'in', sorted(stand_in))], context=ALL)
            if responsible:
                self.territories = set(admin('account.territory', 'search', [
                    ('id', 'child_of', responsible)], context=ALL))
        own_partners = {self.partner_id} | {
            c['partner_id'][0] for c in admin('res.company', 'read', user['company_ids'],
                                              ['partner_id'])}
        escalations = admin('account.escalation', 'search_read', [
            '|', ('raised_by_id', '=', self.uid), ('manager_id', 'in', sorted(below) or [0])],
            ['partner_id'])
        partners = admin('res.partner', 'search_read', [], [
            'commercial_partner_id', 'account_manager_id', 'territory_id', 'name',
            'display_name'], context=ALL)
        by_id = {p['id']: p for p in partners}

        def account(partner):
            return by_id.get(_id(partner['commercial_partner_id']), partner)

        escalated = {account(by_id[e['partner_id'][0]])['id'] for e in escalations
                     if e['partner_id'] and e['partner_id'][0] in by_id}
        self.inside, self.foreign = set(), set()
        for partner in partners:
            acc = account(partner)
            manager, territory = _id(acc['account_manager_id']), _id(acc['territory_id'])
            if (not manager or manager in self.managers or territory in self.territories
                    or partner['id'] in own_partners or acc['id'] in escalated):
                self.inside.add(partner['id'])
            else:
                self.foreign.add(partner['id'])
        inside_names = {n for p in partners if p['id'] in self.inside
                        for n in (p['name'], p['display_name']) if n}
        self.foreign_names = {
            n.strip() for p in partners if p['id'] in self.foreign
            for n in (p['name'], p['display_name'])
            if n and len(n.strip()) >= MIN_NAME} - inside_names
        self.names = {p['id']: p['display_name'] for p in partners}

    def leaked_names(self, text):
        return sorted(n for n in self.foreign_names if n in (text or ''))

    def foreign_accounts(self, admin):
        return admin('res.partner', 'search', [
            ('id', 'in', sorted(self.foreign)), '|', ('is_company', '=', True),
            ('parent_id', '=', False)], order='id')


def _check_refused(client, reach, label, model, method, *args, **kwargs):
    """Call as ``client``; the problems (a list of strings): accepted, not
    an AccessError (``expect``), or naming accounts the user cannot read."""
    expect = kwargs.pop('expect', (ACCESS,))
    ok, result = client.attempt(model, method, *args, **kwargs)
    if ok:
        return ['%s: %s.%s was accepted (%r)' % (label, model, method, result)], result
    problems = []
    if result.name not in expect:
        problems.append('%s: %s.%s refused with %s, not %s: %s' % (
            label, model, method, result.name, ' or '.join(expect), result.message[:300]))
    if reach is not None:
        leaked = reach.leaked_names(result.message)
        if leaked:
            problems.append('%s: the refusal of %s.%s names accounts %s cannot read: %s' % (
                label, model, method, reach.login, leaked))
    return problems, None


def _wizard_reassign(client, partner_ids, to_manager, reason):
    ctx = {'active_model': 'res.partner', 'active_ids': partner_ids}
    wizard = client('account.manager.reassign.wizard', 'create', {
        'to_manager_id': to_manager, 'reason': reason}, context=ctx)
    action = client('account.manager.reassign.wizard', 'action_reassign', [wizard], context=ctx)
    return action.get('res_id')


def _raise_escalation(client, partner_id, subject, severity='low'):
    ctx = {'active_model': 'res.partner', 'active_ids': [partner_id], 'active_id': partner_id}
    wizard = client('account.escalation.wizard', 'create',
                    {'subject': subject, 'severity': severity}, context=ctx)
    action = client('account.escalation.wizard', 'action_escalate', [wizard], context=ctx)
    return action['res_id']


def _foreign(reach, admin, xmlid):
    partner = _ref(admin, A + xmlid)
    assert partner in reach.foreign, 'test set-up: %s should be outside the reach of %s' % (
        xmlid, reach.login)
    return partner


# ---------------------------------------------------------------------------
# 1. Reassignments are the audit trail: nobody but the addon writes them.
# ---------------------------------------------------------------------------

REASSIGNMENT_FIELDS = ['state', 'done_count', 'to_manager_id', 'from_manager_id',
                       'user_id', 'origin', 'reason', 'account_count', 'queued_count']


def test_security_reassignment_records_locked(admin, users):
    karim, nadia = users['karim'], users['nadia']
    reach = Reach(admin, 'karim')
    foreign = reach.foreign_accounts(admin)
    assert foreign
    karim_mgr = _ref(admin, A + 'manager_karim_demo')
    kenji_mgr = _ref(admin, A + 'manager_kenji_demo')
    account = _ref(admin, A + 'partner_renault_flottes_demo')
    assert admin('res.partner', 'read', [account], ['account_manager_id'])[0][
        'account_manager_id'][0] == karim_mgr, 'test set-up: Renault Flottes is Karim\'s'
    managers_before = admin('res.partner', 'read', foreign, ['account_manager_id'])
    existing = set(admin('account.manager.reassignment', 'search', []))
    problems = []
    for vals in ({'state': 'queued', 'to_manager_id': karim_mgr, 'queued_count': len(foreign),
                  'handover_ids': [(0, 0, {'to_manager_id': karim_mgr,
                                           'account_count': len(foreign)})],
                  'reason': 'RPC security: taking them'},
                 {'to_manager_id': karim_mgr, 'reason': 'RPC security: a forged run'}):
        found, _result = _check_refused(karim, reach, 'karim', 'account.manager.reassignment',
                                        'create', vals)
        problems += found
    created = set(admin('account.manager.reassignment', 'search', [])) - existing
    if created:
        problems.append('reassignments created by karim: %s' % sorted(created))
        for reassignment in sorted(created):
            _quietly(admin, 'account.manager.reassignment', 'unlink', [reassignment])

    # A real run by Nadia (Team Accounts), through the wizard.
    run = _wizard_reassign(nadia, [account], kenji_mgr, 'RPC security: a real run')
    try:
        assert run, 'the wizard returns the reassignment it made'
        snapshot = admin('account.manager.reassignment', 'read', [run], REASSIGNMENT_FIELDS)
        writes = [{'state': 'queued'}, {'done_count': 0},
                  {'to_manager_id': karim_mgr}, {'user_id': karim.uid}, {'origin': 'manual'},
                  {'handover_ids': [(0, 0, {'to_manager_id': karim_mgr, 'account_count': 1})]},
                  {'state': 'queued', 'queued_count': len(foreign),
                   'to_manager_id': karim_mgr}]
        for login, client in (('karim', karim), ('nadia', nadia)):
            for vals in writes:
                found, _ = _check_refused(client, reach if login == 'karim' else None, login,
                                          'account.manager.reassignment', 'write', [run], vals)
                problems += found
                now = admin('account.manager.reassignment', 'read', [run], REASSIGNMENT_FIELDS)
                if now != snapshot:
                    problems.append('%s changed reassignment %d with %r' % (login, run, vals))
                    _quietly(admin, 'account.manager.reassignment', 'write', [run], {
                        f: _id(snapshot[0][f]) for f in REASSIGNMENT_FIELDS})
            found, _ = _check_refused(client, None, login, 'account.manager.reassignment',
                                      'unlink', [run])
            problems += found
        found, _ = _check_refused(karim, reach, 'karim', 'account.manager.reassignment',
                                  'action_retry', [run])
        problems += found
        assert admin('account.manager.reassignment', 'read', [run],
                     REASSIGNMENT_FIELDS) == snapshot or problems
        assert admin('res.partner', 'read', foreign, ['account_manager_id']) == \
            managers_before, 'accounts outside Karim\'s reach changed hands'
        assert not problems, '\n'.join(problems)
    finally:
        if admin('res.partner', 'read', [account], ['account_manager_id'])[0][
                'account_manager_id'][0] != karim_mgr:
            _wizard_reassign(nadia, [account], karim_mgr, 'RPC security: back to Karim')


# ---------------------------------------------------------------------------
# 2. The raiser and the holder of an escalation cannot rewrite who, what
#    account and when.
# ---------------------------------------------------------------------------

ESCALATION_FIELDS = ['partner_id', 'raised_by_id', 'origin_manager_id', 'manager_id',
                     'hop_count', 'company_id', 'date_escalated', 'deadline',
                     'date_acknowledged', 'date_resolved', 'state']


def _other_company(admin):
    ids = admin('res.company', 'search', [('name', '=', 'RPC Security Other Company')])
    return ids[0] if ids else admin('res.company', 'create',
                                    {'name': 'RPC Security Other Company'})


def test_security_escalation_protected_fields(admin, users):
    escalation = _ref(admin, A + 'escalation_airbus_late_parts_demo')
    before = admin('account.escalation', 'read', [escalation], ESCALATION_FIELDS)[0]
    assert before['raised_by_id'][0] == users['karim'].uid, 'test set-up: raised by Karim'
    assert before['manager_id'][0] == _ref(admin, A + 'manager_nadia_demo'), \
        'test set-up: held by Nadia'
    gloria_mgr = _ref(admin, A + 'manager_gloria_demo')
    company = _other_company(admin)
    problems = []
    for login in ('karim', 'nadia'):
        client = users[login]
        reach = Reach(admin, login)
        foreign = _foreign(reach, admin, 'partner_aurore_uk_ltd_demo')
        writes = [('partner_id', foreign), ('raised_by_id', users['gloria'].uid),
                  ('origin_manager_id', gloria_mgr), ('manager_id', gloria_mgr),
                  ('hop_count', 9), ('company_id', company), ('date_escalated', D),
                  ('deadline', D), ('date_acknowledged', D), ('date_resolved', D)]
        for field, value in writes:
            found, _ = _check_refused(client, reach, login, 'account.escalation', 'write',
                                      [escalation], {field: value})
            problems += found
            now = admin('account.escalation', 'read', [escalation], ESCALATION_FIELDS)[0]
            if now != before:
                problems.append('%s changed %s of the escalation to %r' % (login, field, value))
                if field == 'partner_id' and client.attempt(
                        'res.partner', 'read', [foreign], ['name'])[0]:
                    problems.append('... and then read Aurore UK Ltd, outside their reach')
                admin('account.escalation', 'write', [escalation], {
                    f: _id(before[f]) for f in ESCALATION_FIELDS if now[f] != before[f]})
        ok, _ = client.attempt('res.partner', 'read', [foreign], ['name'])
        if ok or client('res.partner', 'search', [('id', '=', foreign)]):
            problems.append('%s reads Aurore UK Ltd, outside their reach' % login)
    assert admin('account.escalation', 'read', [escalation], ESCALATION_FIELDS)[0] == before
    assert not problems, '\n'.join(problems)


# ---------------------------------------------------------------------------
# 3. Following an account outside one's reach.
# ---------------------------------------------------------------------------

def test_security_follower_rows_on_foreign_accounts_refused(admin, users):
    karim = users['karim']
    reach = Reach(admin, 'karim')
    foreign = _foreign(reach, admin, 'partner_aurore_uk_ltd_demo')
    own_account = _ref(admin, A + 'partner_airbus_services_sud_demo')
    assert own_account in reach.inside
    on_foreign = [('res_model', '=', 'res.partner'), ('res_id', '=', foreign)]
    before = sorted(admin('mail.followers', 'search', on_foreign))
    problems, _ = _check_refused(karim, reach, 'karim', 'mail.followers', 'create', {
        'res_model': 'res.partner', 'res_id': foreign, 'partner_id': reach.partner_id})
    added = sorted(set(admin('mail.followers', 'search', on_foreign)) - set(before))
    if added:
        problems.append('karim follows Aurore UK Ltd: %s' % added)
        admin('mail.followers', 'unlink', added)
    mine = admin('mail.followers', 'search', [
        ('res_model', '=', 'res.partner'), ('res_id', '=', own_account),
        ('partner_id', '=', reach.partner_id)])
    row = mine[0] if mine else admin('mail.followers', 'create', {
        'res_model': 'res.partner', 'res_id': own_account, 'partner_id': reach.partner_id})
    try:
        row_before = admin('mail.followers', 'read', [row], ['res_model', 'res_id', 'partner_id'])
        found, _ = _check_refused(karim, reach, 'karim', 'mail.followers', 'write', [row],
                                  {'res_id': foreign})
        problems += found
        found, _ = _check_refused(karim, reach, 'karim', 'mail.followers', 'write', [row],
                                  {'res_model': 'res.partner', 'res_id': foreign})
        problems += found
        row_after = admin('mail.followers', 'read', [row], ['res_model', 'res_id', 'partner_id'])
        if row_after != row_before:
            problems.append('karim moved his follower row to %r' % row_after)
            admin('mail.followers', 'write', [row], {
                'res_model': 'res.partner', 'res_id': own_account})
    finally:
        if not mine:
            _quietly(admin, 'mail.followers', 'unlink', [row])
    added = sorted(set(admin('mail.followers', 'search', on_foreign)) - set(before))
    if added:
        problems.append('karim follows Aurore UK Ltd: %s' % added)
        _quietly(admin, 'mail.followers', 'unlink', added)
    assert not problems, '\n'.join(problems)


# ---------------------------------------------------------------------------
# 4. Deleting an account would delete its history and escalations.
# ---------------------------------------------------------------------------

def test_security_unlink_account_with_history_refused(admin, users):
    karim = users['karim']
    karim_mgr = _ref(admin, A + 'manager_karim_demo')
    account = admin('res.partner', 'create', {
        'name': 'RPC Security Keepsake SA %s' % uuid.uuid4().hex[:6], 'is_company': True,
        'customer': True, 'account_manager_id': karim_mgr})
    contact = admin('res.partner', 'create', {
        'name': 'RPC Keepsake Contact', 'parent_id': account, 'type': 'contact'})
    escalations = []
    try:
        escalations = [_raise_escalation(karim, account, 'RPC security: keepsake concern')]
        lines = sorted(admin('account.manager.assignment', 'search', [
            ('partner_id', 'in', [account, contact])]))
        assert lines and escalations, 'test set-up: the account has history and escalations'
        problems = []
        for ids in ([account], [contact, account]):
            found, _ = _check_refused(karim, None, 'karim', 'res.partner', 'unlink', ids,
                                      expect=(USER, ACCESS))
            problems += found
        alive = admin('res.partner', 'search', [('id', 'in', [account, contact])], context=ALL)
        assert sorted(alive) == sorted([account, contact]), 'karim deleted %s' % (
            sorted({account, contact} - set(alive)))
        assert sorted(admin('account.manager.assignment', 'search', [
            ('partner_id', 'in', [account, contact])])) == lines
        assert sorted(admin('account.escalation', 'search', [
            ('partner_id', '=', account)])) == sorted(escalations)
        assert not problems, '\n'.join(problems)
    finally:
        _quietly(admin, 'account.escalation', 'action_cancel', escalations)
        _quietly(admin, 'res.partner', 'write', [contact, account], {'active': False})


# ---------------------------------------------------------------------------
# 5. Managers are configuration: refused as access, without naming accounts.
# ---------------------------------------------------------------------------

@pytest.mark.parametrize('login', ['karim', 'nadia'])
def test_security_manager_records_refused_without_names(admin, users, login):
    client = users[login]
    reach = Reach(admin, login)
    assert reach.foreign_names, 'test set-up: %s cannot read some accounts' % login
    gloria_mgr = _ref(admin, A + 'manager_gloria_demo')
    fields = ['capacity', 'active', 'absent', 'parent_id', 'tier_id', 'backup_manager_id']
    before = admin('account.manager', 'read', [gloria_mgr], fields)
    problems = []
    for method, args in (('write', ([gloria_mgr], {'capacity': 1})),
                         ('write', ([gloria_mgr], {'active': False})),
                         ('write', ([gloria_mgr], {'absent': True})),
                         ('unlink', ([gloria_mgr],))):
        found, _ = _check_refused(client, reach, login, 'account.manager', method, *args)
        problems += found
        if admin('account.manager', 'read', [gloria_mgr], fields) != before:
            problems.append('%s changed Gloria\'s manager record (%s %r)' % (login, method, args))
            admin('account.manager', 'write', [gloria_mgr], {
                f: _id(before[0][f]) for f in fields})
    assert admin('account.manager', 'search', [('id', '=', gloria_mgr)], context=ALL)
    assert not problems, '\n'.join(problems)


# ---------------------------------------------------------------------------
# 6. A resolved escalation is closed: its raiser and holder cannot rewrite it.
# ---------------------------------------------------------------------------

def test_security_resolved_escalation_frozen(admin, users):
    karim = users['karim']
    account = _ref(admin, A + 'partner_renault_flottes_demo')
    escalation = _raise_escalation(karim, account, _token('RESOLVED'), 'normal')
    holder_user = admin('account.escalation', 'read', [escalation], ['manager_user_id'])[0][
        'manager_user_id'][0]
    holder_login = admin('res.users', 'read', [holder_user], ['login'])[0]['login']
    assert holder_login in users, 'test set-up: a demo user holds the escalation'
    holder = users[holder_login]
    holder('account.escalation', 'action_acknowledge', [escalation])
    holder('account.escalation', 'write', [escalation], {'resolution': 'Credit note sent.'})
    holder('account.escalation', 'action_resolve', [escalation])
    fields = ['resolution', 'subject', 'description', 'severity', 'state', 'partner_id',
              'deadline', 'resolution_hours']
    before = admin('account.escalation', 'read', [escalation], fields)
    assert before[0]['state'] == 'resolved'
    problems = []
    for login, client in (('karim', karim), (holder_login, holder)):
        for vals in ({'resolution': 'rewritten'}, {'subject': 'rewritten'},
                     {'description': 'rewritten'}, {'severity': 'low'},
                     {'resolution': False}):
            found, _ = _check_refused(client, None, login, 'account.escalation', 'write',
                                      [escalation], vals, expect=REFUSALS)
            problems += found
            now = admin('account.escalation', 'read', [escalation], fields)
            if now != before:
                problems.append('%s rewrote the resolved escalation with %r' % (login, vals))
                admin('account.escalation', 'write', [escalation], {
                    f: before[0][f] for f in ('resolution', 'subject', 'description',
                                              'severity')})
    assert not problems, '\n'.join(problems)


# ---------------------------------------------------------------------------
# 7. and 8. Activities and followers of accounts outside one's reach.
# ---------------------------------------------------------------------------

def test_security_foreign_activities_hidden(admin, users):
    secret = _token('ACTIVITY')
    foreign = _ref(admin, A + 'partner_aurore_uk_ltd_demo')
    activity = admin('mail.activity', 'create', {
        'res_model_id': admin('ir.model', 'search', [('model', '=', 'res.partner')])[0],
        'res_id': foreign, 'summary': secret, 'note': '<p>%s</p>' % secret,
        'activity_type_id': _ref(admin, 'mail.mail_activity_data_todo'),
        'user_id': admin.uid})
    problems = []
    try:
        for login in RESTRICTED:
            client = users[login]
            reach = Reach(admin, login)
            assert foreign in reach.foreign, 'test set-up: Aurore UK Ltd is foreign'
            by_secret = ['|', ('summary', 'ilike', secret), ('note', 'ilike', secret)]
            found = client('mail.activity', 'search_read', [('id', '=', activity)], ['summary'])
            found += client('mail.activity', 'search_read', by_secret, ['summary'])
            if found:
                problems.append('%s lists the activity: %r' % (login, found))
            count = client('mail.activity', 'search_count', by_secret)
            if count:
                problems.append('%s counts %d activities by the secret' % (login, count))
            ok, rows = client.attempt('mail.activity', 'read', [activity], ['summary', 'note'])
            if ok and rows:
                problems.append('%s reads the activity: %r' % (login, rows))
            groups = client('mail.activity', 'read_group', by_secret, ['res_id'], ['res_id'])
            if any(g.get('res_id_count') for g in groups):
                problems.append('%s groups the activity: %r' % (login, groups))
            listed = client('mail.activity', 'search_read', [('res_model', '=', 'res.partner')],
                            ['res_id', 'user_id'])
            outside = [a for a in listed
                       if a['res_id'] in reach.foreign and _id(a['user_id']) != reach.uid]
            if outside:
                problems.append('%s lists activities of accounts outside their reach: %s' % (
                    login, outside))
    finally:
        admin('mail.activity', 'unlink', [activity])
    assert not problems, '\n'.join(problems)


def test_security_foreign_followers_hidden(admin, users):
    foreign = _ref(admin, A + 'partner_aurore_uk_ltd_demo')
    gloria_partner = admin('res.users', 'read', [users['gloria'].uid], ['partner_id'])[0][
        'partner_id'][0]
    on_foreign = [('res_model', '=', 'res.partner'), ('res_id', '=', foreign)]
    existing = admin('mail.followers', 'search', on_foreign + [('partner_id', '=', gloria_partner)])
    follower = existing[0] if existing else admin('mail.followers', 'create', {
        'res_model': 'res.partner', 'res_id': foreign, 'partner_id': gloria_partner})
    problems = []
    try:
        for login in RESTRICTED:
            client = users[login]
            reach = Reach(admin, login)
            assert foreign in reach.foreign, 'test set-up: Aurore UK Ltd is foreign'
            others = [('partner_id', '!=', reach.partner_id)]
            listed = client('mail.followers', 'search_read', [
                ('res_model', '=', 'res.partner'), ('res_id', 'in', sorted(reach.foreign))]
                + others, ['res_id', 'partner_id'])
            if listed:
                problems.append('%s lists %d followers of accounts outside their reach, '
                                'e.g. %r' % (login, len(listed), listed[:3]))
            count = client('mail.followers', 'search_count', on_foreign + others)
            if count:
                problems.append('%s counts %d followers of Aurore UK Ltd' % (login, count))
            ok, rows = client.attempt('mail.followers', 'read', [follower],
                                      ['res_id', 'partner_id'])
            if ok and rows:
                problems.append('%s reads a follower of Aurore UK Ltd: %r' % (login, rows))
    finally:
        if not existing:
            _quietly(admin, 'mail.followers', 'unlink', [follower])
    assert not problems, '\n'.join(problems)


# ---------------------------------------------------------------------------
# 9. The Excel export holds only what the user may read.
# ---------------------------------------------------------------------------

def test_security_excel_export_stays_in_reach(admin, users):
    nadia = users['nadia']
    reach = Reach(admin, 'nadia')
    assert 'Groupe Aurore' in reach.foreign_names, 'test set-up: Nadia cannot read Groupe Aurore'
    problems = []
    for xmlid in (None, 'manager_nadia_demo', 'manager_gloria_demo', 'manager_niklas_demo'):
        vals = {'manager_id': _ref(admin, A + xmlid)} if xmlid else {}
        export = nadia('account.manager.report.export', 'create', vals)
        nadia('account.manager.report.export', 'action_export', [export])
        data = nadia('account.manager.report.export', 'read', [export], ['data'])[0]['data']
        assert data, 'the export has a file'
        texts = xlsx_strings(data)
        assert texts, 'the file has text cells'
        leaked = reach.leaked_names('\n'.join(texts))
        if leaked:
            problems.append('export by nadia (team of %s) names %d accounts outside her '
                            'reach: %s' % (xmlid or 'everything', len(leaked), leaked[:10]))
    assert not problems, '\n'.join(problems)


# ---------------------------------------------------------------------------
# 10. A search through an escalation's account is no oracle on the account.
# ---------------------------------------------------------------------------

def test_security_no_search_oracle_through_partner(admin, users):
    karim = users['karim']
    reach = Reach(admin, 'karim')
    foreign = _foreign(reach, admin, 'partner_aurore_inc_demo')
    account = _ref(admin, A + 'partner_renault_flottes_demo')
    secret = _token('COMMENT')
    comment = admin('res.partner', 'read', [foreign], ['comment'])[0]['comment']
    admin('res.partner', 'write', [foreign], {'comment': secret})
    escalation = _raise_escalation(karim, account, _token('ORACLE'))
    try:
        # An escalation Karim sees (he raised it) on an account he cannot read.
        admin('account.escalation', 'write', [escalation], {'partner_id': foreign})
        problems = []
        for model, ids in (('account.escalation', [escalation]),
                           ('account.manager.assignment', admin(
                               'account.manager.assignment', 'search',
                               [('partner_id', '=', foreign)])),
                           ('account.escalation.report', admin(
                               'account.escalation.report', 'search',
                               [('escalation_id', '=', escalation)]))):
            for leaf in (('partner_id.comment', 'ilike', secret),
                         ('partner_id.comment', '=', secret)):
                miss = (leaf[0], leaf[1], _token('NO-SUCH'))
                hit = karim(model, 'search', [('id', 'in', ids), leaf])
                nothing = karim(model, 'search', [('id', 'in', ids), miss])
                if hit != nothing:
                    problems.append('%s: searching %r answers %s, a wrong guess %s' % (
                        model, leaf, hit, nothing))
                readable = karim('res.partner', 'search', [('comment', leaf[1], secret)],
                                 context=ALL)
                through = karim(model, 'search', [leaf])
                direct = karim(model, 'search', [('partner_id', 'in', readable)]) \
                    if readable else []
                if set(through) - set(direct):
                    problems.append('%s: %r finds %s through accounts Karim cannot read' % (
                        model, leaf, sorted(set(through) - set(direct))))
        assert not problems, '\n'.join(problems)
    finally:
        admin('account.escalation', 'write', [escalation], {'partner_id': account})
        _quietly(admin, 'account.escalation', 'action_cancel', [escalation])
        admin('res.partner', 'write', [foreign], {'comment': comment})


# ---------------------------------------------------------------------------
# 11. The reassign wizard's preview tells nothing about hidden accounts.
# ---------------------------------------------------------------------------

PREVIEW_FIELDS = ['account_count', 'contact_count', 'activity_count', 'skipped_count',
                  'skipped_ids', 'tier_violation_count', 'tier_violation_ids',
                  'target_account_count', 'target_account_count_after', 'target_capacity',
                  'target_load_before', 'target_load_after', 'over_capacity',
                  'strict_capacity', 'run_in_background']
WIZARD = 'account.manager.reassign.wizard'


def _preview(client, vals, context=None):
    """(problem, figures): the preview as ``client`` reads it, or None when
    it is refused (cleanly)."""
    ok, wizard = client.attempt(WIZARD, 'create', vals, context=context or {})
    if not ok:
        return (None if wizard.name in REFUSALS else 'create: %s' % wizard), None
    ok, rows = client.attempt(WIZARD, 'read', [wizard], PREVIEW_FIELDS + ['hidden_count'],
                              context=context or {})
    if not ok:
        return (None if rows.name in REFUSALS else 'read: %s' % rows), None
    return None, rows[0]


@pytest.fixture
def portal_client(admin):
    login = 'rpc_sec_portal_%s' % uuid.uuid4().hex[:6]
    user = admin('res.users', 'create', {
        'name': 'RPC Portal Pat', 'login': login, 'password': login,
        'groups_id': [(6, 0, [_ref(admin, 'base.group_portal')])]})
    yield Client(login)
    _quietly(admin, 'res.users', 'write', [user], {'active': False})


def test_security_reassign_preview_reveals_nothing(admin, users, portal_client):
    karim, nadia = users['karim'], users['nadia']
    gloria_mgr = _ref(admin, A + 'manager_gloria_demo')
    karim_mgr = _ref(admin, A + 'manager_karim_demo')
    kenji_mgr = _ref(admin, A + 'manager_kenji_demo')
    foreign = [_foreign(Reach(admin, 'nadia'), admin, xmlid) for xmlid in (
        'partner_aurore_uk_ltd_demo', 'partner_aurore_inc_demo', 'partner_groupe_aurore_demo')]
    karim_reach = Reach(admin, 'karim')
    assert set(foreign) <= karim_reach.foreign
    selection = {'partner_ids': [(6, 0, foreign)], 'reason': 'RPC security: a peek'}
    of_gloria = {'active_model': 'account.manager', 'active_ids': [gloria_mgr]}
    problems = []
    # Nobody's figures for a portal user, nor for Karim, who may not reassign.
    for label, client in (('portal', portal_client), ('karim', karim)):
        for target in (gloria_mgr, karim_mgr):
            for vals, ctx in ((dict(selection, to_manager_id=target), None),
                              ({'to_manager_id': target, 'reason': 'peek'}, of_gloria)):
                problem, figures = _preview(client, vals, ctx)
                if problem:
                    problems.append('%s: %s' % (label, problem))
                shown = {f: v for f, v in (figures or {}).items() if f in PREVIEW_FIELDS and v}
                if shown:
                    problems.append('%s sees figures (%s, to manager %d): %r' % (
                        label, 'accounts of Gloria' if ctx else 'foreign selection',
                        target, shown))
    # Nadia may reassign in her team: the hidden accounts count as hidden only.
    problem, base = _preview(nadia, {'to_manager_id': kenji_mgr, 'reason': 'peek'})
    assert base and not problem, 'Nadia previews an empty selection to Kenji'
    for vals, ctx in ((dict(selection, to_manager_id=kenji_mgr), None),
                      ({'to_manager_id': kenji_mgr, 'reason': 'peek'}, of_gloria)):
        problem, figures = _preview(nadia, vals, ctx)
        if problem:
            problems.append('nadia: %s' % problem)
        if figures is None:
            continue
        # Each figure is the one of an empty selection, or blanked.
        differ = {f: (figures[f], base[f]) for f in PREVIEW_FIELDS
                  if figures[f] and figures[f] != base[f]}
        if differ:
            problems.append('nadia\'s preview of hidden accounts (%s) differs from an empty '
                            'one: %r' % ('accounts of Gloria' if ctx else 'selection', differ))
        if not figures['hidden_count']:
            problems.append('nadia\'s preview does not say accounts are hidden: %r' % figures)
    assert not problems, '\n'.join(problems)


# ---------------------------------------------------------------------------
# 12. A company registered into somebody else's territory.
# ---------------------------------------------------------------------------

def test_security_company_landing_in_other_territory(admin, users):
    karim = users['karim']
    reach = Reach(admin, 'karim')
    bavaria = admin('account.territory', 'read', [_ref(admin, A + 'territory_bavaria_demo')],
                    ['name', 'complete_name', 'manager_id'])[0]
    manager = bavaria['manager_id'][0]
    assert manager not in reach.managers, 'test set-up: Bavaria is outside Karim\'s reach'
    manager_name = admin('account.manager', 'read', [manager], ['name'])[0]['name']
    name = 'RPC Sicherheit Brauerei %s' % uuid.uuid4().hex[:6]
    partner = karim('res.partner', 'create', {
        'name': name, 'is_company': True, 'customer': True, 'street': 'Marienplatz 1',
        'zip': '80331', 'city': 'München', 'country_id': _ref(admin, 'base.de')})
    try:
        landed = admin('res.partner', 'read', [partner],
                       ['territory_id', 'account_manager_id', 'comment'])[0]
        assert _id(landed['territory_id']) == bavaria['id'] and \
            _id(landed['account_manager_id']) == manager, \
            'test set-up: the address places the company in Bavaria: %r' % landed
        ok, rows = karim.attempt('res.partner', 'read', [partner], ['name', 'territory_id'])
        assert ok and rows and rows[0]['name'] == name, \
            'Karim cannot read the company he just created: %s' % (rows if not ok else rows)
        error = karim.refused('res.partner', 'write', [partner], {'comment': 'mine'})
        assert error.name == ACCESS, error
        assert admin('res.partner', 'read', [partner], ['comment'])[0]['comment'] == \
            landed['comment']
        messages = karim('mail.message', 'search_read', [
            ('model', '=', 'res.partner'), ('res_id', '=', partner)], ['body'])
        text = ' '.join(_strip_html(m['body']) for m in messages)
        assert bavaria['name'] in text and manager_name in text, \
            'no note on the company naming %s and %s: %r' % (
                bavaria['complete_name'], manager_name, text)
    finally:
        _drop(admin, 'res.partner', [partner])


# ---------------------------------------------------------------------------
# The access matrix.
# ---------------------------------------------------------------------------

MATRIX_MODELS = [
    'res.partner', 'account.manager', 'account.manager.tier', 'account.territory',
    'account.territory.rule', 'account.manager.assignment', 'account.manager.reassignment',
    'account.escalation', 'account.manager.portfolio.report', 'account.escalation.report',
    'account.manager.workload.report', 'account.manager.kpi', 'mail.message',
    'mail.activity', 'mail.followers', 'ir.attachment',
    'account.manager.reassignment.handover', 'queue.job']
# Models whose records are tied to an account: reading one outside the
# user's reach is a leak. The others (configuration, managers) are read by
# every internal user; only changing them is a leak.
TIED = {'res.partner', 'account.manager.assignment', 'account.manager.reassignment',
        'account.escalation', 'account.manager.portfolio.report', 'account.escalation.report',
        'mail.message', 'mail.activity', 'mail.followers', 'ir.attachment',
        'account.manager.reassignment.handover', 'queue.job'}
GROUP_BY = {
    'res.partner': 'account_manager_id', 'account.manager': 'tier_id',
    'account.manager.tier': 'territory_type', 'account.territory': 'territory_type',
    'account.territory.rule': 'territory_id', 'account.manager.assignment': 'manager_id',
    'account.manager.reassignment': 'state', 'account.escalation': 'state',
    'account.manager.portfolio.report': 'manager_id', 'account.escalation.report': 'state',
    'account.manager.workload.report': 'tier_id', 'account.manager.kpi': 'measure',
    'mail.message': 'model', 'mail.activity': 'res_model', 'mail.followers': 'res_model',
    'ir.attachment': 'res_model', 'account.manager.reassignment.handover': 'to_manager_id',
    'queue.job': 'state'}
# A field written with the value it already has: an accepted write changes
# nothing, and still is a leak.
WRITE_FIELD = {
    'res.partner': 'comment', 'account.manager': 'capacity',
    'account.manager.tier': 'default_capacity', 'account.territory': 'code',
    'account.territory.rule': 'priority', 'account.manager.assignment': 'reason',
    'account.manager.reassignment': 'reason', 'account.escalation': 'subject',
    'account.manager.portfolio.report': 'account_count', 'account.escalation.report': 'hop_count',
    'account.manager.workload.report': 'capacity', 'account.manager.kpi': 'sequence',
    'mail.message': 'subject', 'mail.activity': 'summary', 'mail.followers': 'res_id',
    'ir.attachment': 'name', 'account.manager.reassignment.handover': 'account_count',
    'queue.job': 'priority'}
# Relational fields whose values are partners: read on readable records,
# they must not list partners outside the reach.
PARTNER_LISTS = {'account.manager': ['account_ids'], 'account.territory': ['account_ids']}


class Matrix(object):
    def __init__(self):
        self.attempts = 0
        self.leaks = []

    def leak(self, login, what, detail):
        self.leaks.append('%s: %s: %s' % (login, what, str(detail)[:400]))


def _matrix_scratch(admin, users):
    """Records outside every restricted user's reach, made as admin: an
    account of Gloria's (nobody's territory) with a contact, a message, an
    activity, a follower, an attachment, an image and an escalation held by
    Gloria; a reassignment to Gloria done by admin; a tier, a territory and
    a territory rule that match no real account."""
    tag = uuid.uuid4().hex[:8]
    gloria_mgr = _ref(admin, A + 'manager_gloria_demo')
    gloria_partner = admin('res.users', 'read', [users['gloria'].uid], ['partner_id'])[0][
        'partner_id'][0]
    s = {'tag': tag, 'secret': 'RPCSEC-VAULT-%s' % tag, 'gloria_mgr': gloria_mgr,
         'created': []}

    def make(model, vals, **kwargs):
        record = admin(model, 'create', vals, **kwargs)
        s['created'].append((model, record))
        return record

    s['partner_model'] = admin('ir.model', 'search', [('model', '=', 'res.partner')])[0]
    s['usa'] = _ref(admin, A + 'territory_usa_demo')
    # First, while Gloria has room: an account nobody held, handed to her.
    handed = make('res.partner', {'name': 'RPC Security Handover %s' % tag,
                                  'is_company': True, 'customer': True})
    s['reassignment'] = _wizard_reassign(admin, [handed], gloria_mgr, 'RPC security scratch')
    assert s['reassignment'], 'test set-up: admin hands an account to Gloria'
    s['handover'] = admin('account.manager.reassignment.handover', 'search',
                          [('reassignment_id', '=', s['reassignment'])])[0]
    # A background one too, for a job of the addon's channel.
    queued = make('res.partner', {'name': 'RPC Security Queued %s' % tag,
                                  'is_company': True, 'customer': True})
    param = admin('ir.config_parameter', 'search',
                  [('key', '=', 'account_manager.reassign_async_threshold')])
    threshold = admin('ir.config_parameter', 'read', param, ['value'])[0]['value']
    admin('ir.config_parameter', 'write', param, {'value': '0'})
    try:
        s['queued_reassignment'] = _wizard_reassign(admin, [queued], gloria_mgr,
                                                    'RPC security scratch, queued')
    finally:
        admin('ir.config_parameter', 'write', param, {'value': threshold})
    s['job'] = admin('queue.job', 'search', [
        ('account_manager_reassignment_id', '=', s['queued_reassignment'])])[0]
    s['partner'] = make('res.partner', {
        'name': 'RPC Security Vault %s' % tag, 'is_company': True, 'customer': True,
        'account_manager_id': gloria_mgr, 'comment': s['secret'], 'image': PNG})
    s['contact'] = make('res.partner', {
        'name': 'RPC Vault Keeper %s' % tag, 'parent_id': s['partner'], 'type': 'contact'})
    s['message'] = admin('res.partner', 'message_post', [s['partner']],
                         body='<p>%s message</p>' % s['secret'], message_type='comment',
                         subtype='mail.mt_note')
    s['activity'] = make('mail.activity', {
        'res_model_id': s['partner_model'], 'res_id': s['partner'],
        'summary': s['secret'], 'activity_type_id': _ref(admin, 'mail.mail_activity_data_todo'),
        'user_id': admin.uid})
    s['follower'] = make('mail.followers', {
        'res_model': 'res.partner', 'res_id': s['partner'], 'partner_id': gloria_partner})
    s['attachment'] = make('ir.attachment', {
        'name': 'rpc-vault-%s.txt' % tag, 'datas_fname': 'rpc-vault.txt',
        'datas': base64.b64encode(s['secret'].encode()).decode(),
        'res_model': 'res.partner', 'res_id': s['partner']})
    s['escalation'] = make('account.escalation', {
        'partner_id': s['partner'], 'subject': s['secret'], 'severity': 'low',
        'manager_id': gloria_mgr, 'origin_manager_id': gloria_mgr})
    levels = {t['level'] for t in admin('account.manager.tier', 'search_read', [], ['level'])}
    s['tier'] = make('account.manager.tier', {
        'name': 'RPC Security Tier %s' % tag, 'code': 'RPCSEC%s' % tag,
        'level': next(level for level in list(range(31, 40)) + list(range(21, 30))
                      if level not in levels)})
    s['territory'] = make('account.territory', {
        'name': 'RPC Security Area %s' % tag, 'code': 'RPCSEC-%s' % tag,
        'territory_type': 'area', 'parent_id': s['usa'], 'manager_id': gloria_mgr})
    # A rule that no account can match (zip codes of no country).
    s['rule'] = make('account.territory.rule', {
        'territory_id': s['territory'], 'zip_from': 'ZZZ990', 'zip_to': 'ZZZ999'})
    s['assignment'] = admin('account.manager.assignment', 'search',
                            [('partner_id', '=', s['partner'])])[0]
    s['portfolio'] = admin('account.manager.portfolio.report', 'search',
                           [('partner_id', '=', s['partner'])])[0]
    s['escalation_report'] = admin('account.escalation.report', 'search',
                                   [('escalation_id', '=', s['escalation'])])[0]
    s['workload'] = admin('account.manager.workload.report', 'search',
                          [('manager_id', '=', gloria_mgr)])[0]
    s['kpi'] = admin('account.manager.kpi', 'search', [], limit=1)[0]
    s['kpi_vals'] = admin('account.manager.kpi', 'read', [s['kpi']],
                          ['action_id', 'filter_name'])[0]
    s['todo'] = _ref(admin, 'mail.mail_activity_data_todo')
    return s


def _matrix_cleanup(admin, s):
    for model, record in reversed(s['created']):
        if model == 'res.partner':
            _drop(admin, model, [record])
        elif model == 'account.escalation':
            _quietly(admin, model, 'action_cancel', [record])
            _quietly(admin, model, 'unlink', [record])
        else:
            _quietly(admin, model, 'unlink', [record])
    _quietly(admin, 'mail.message', 'unlink', [s.get('message')])


def _foreign_records(admin, reach):
    """{model: ids tied to accounts outside ``reach``} for the tied models,
    leaving out what is the user's own (their messages, their follower
    rows, activities assigned to them, their attachments)."""
    foreign = sorted(reach.foreign)
    records = {'res.partner': foreign}
    escalations = admin('account.escalation', 'search_read', [], ['partner_id'])
    records['account.escalation'] = [e['id'] for e in escalations
                                     if _id(e['partner_id']) in reach.foreign]
    runs = admin('account.manager.reassignment', 'search_read', [],
                 ['user_id', 'from_manager_id', 'to_manager_id'])
    handovers = admin('account.manager.reassignment.handover', 'search_read', [],
                      ['reassignment_id', 'from_manager_id', 'to_manager_id'])
    # A realignment concerns whoever gave or received accounts in it.
    concerned = {_id(h['reassignment_id']) for h in handovers
                 if _id(h['from_manager_id']) in reach.managers
                 or _id(h['to_manager_id']) in reach.managers}
    records['account.manager.reassignment'] = [
        r['id'] for r in runs if _id(r['user_id']) != reach.uid
        and _id(r['from_manager_id']) not in reach.managers
        and _id(r['to_manager_id']) not in reach.managers and r['id'] not in concerned]
    mine = {r['id'] for r in runs if _id(r['user_id']) == reach.uid}
    records['account.manager.reassignment.handover'] = [
        h['id'] for h in handovers if _id(h['reassignment_id']) not in mine
        and _id(h['from_manager_id']) not in reach.managers
        and _id(h['to_manager_id']) not in reach.managers]
    # The job queue is the administrators' alone.
    records['queue.job'] = admin('queue.job', 'search', [])
    records['account.manager.assignment'] = admin(
        'account.manager.assignment', 'search', [('partner_id', 'in', foreign)])
    records['account.manager.portfolio.report'] = admin(
        'account.manager.portfolio.report', 'search', [('partner_id', 'in', foreign)])
    records['account.escalation.report'] = admin(
        'account.escalation.report', 'search',
        [('escalation_id', 'in', records['account.escalation'])])

    def on_documents(model_field):
        domain = []
        for model in DOCUMENTS:
            ids = records[model]
            if ids:
                domain = (['|'] + domain if domain else []) + [
                    '&', (model_field, '=', model), ('res_id', 'in', ids)]
        return domain or [('id', '=', 0)]

    me = reach.partner_id
    records['mail.message'] = [
        m['id'] for m in admin('mail.message', 'search_read', on_documents('model'),
                               ['author_id', 'partner_ids', 'needaction_partner_ids'])
        if _id(m['author_id']) != me and me not in m['partner_ids']
        and me not in m['needaction_partner_ids']]
    records['mail.activity'] = [
        a['id'] for a in admin('mail.activity', 'search_read', on_documents('res_model'),
                               ['user_id']) if _id(a['user_id']) != reach.uid]
    records['mail.followers'] = [
        f['id'] for f in admin('mail.followers', 'search_read', on_documents('res_model'),
                               ['partner_id']) if _id(f['partner_id']) != me]
    records['ir.attachment'] = [
        a['id'] for a in admin('ir.attachment', 'search_read', on_documents('res_model'),
                               ['create_uid', 'public'])
        if _id(a['create_uid']) != reach.uid and not a['public']]
    return records


def _targets(s, reach, admin):
    """{model: (ids probed by the reads, the record written, the record
    deleted)} for the matrix; on tied models all are outside the reach."""
    managers = [m for m in admin('account.manager', 'search', [], context=ALL)
                if m not in reach.managers]
    territories = [t for t in admin('account.territory', 'search', [], context=ALL)
                   if t not in reach.territories]
    workload = admin('account.manager.workload.report', 'search',
                     [('manager_id', 'in', managers)])
    gloria = s['gloria_mgr']
    return {
        'res.partner': ([s['partner'], s['contact']], s['partner'], s.get('disposable')),
        'account.manager': (managers[:5], gloria, gloria),
        'account.manager.tier': ([s['tier']], s['tier'], s['tier']),
        'account.territory': (territories[:5], s['territory'], s['territory']),
        'account.territory.rule': ([s['rule']], s['rule'], s['rule']),
        'account.manager.assignment': ([s['assignment']], s['assignment'], s['assignment']),
        'account.manager.reassignment': ([s['reassignment']], s['reassignment'],
                                         s['reassignment']),
        'account.escalation': ([s['escalation']], s['escalation'], s['escalation']),
        'account.manager.portfolio.report': ([s['portfolio']], s['portfolio'], s['portfolio']),
        'account.escalation.report': ([s['escalation_report']], s['escalation_report'],
                                      s['escalation_report']),
        'account.manager.workload.report': (workload[:5], s['workload'], s['workload']),
        'account.manager.kpi': ([s['kpi']], s['kpi'], s['kpi']),
        'mail.message': ([s['message']], s['message'], s['message']),
        'mail.activity': ([s['activity']], s['activity'], s['activity']),
        'mail.followers': ([s['follower']], s['follower'], s['follower']),
        'ir.attachment': ([s['attachment']], s['attachment'], s['attachment']),
        'account.manager.reassignment.handover': ([s['handover']], s['handover'],
                                                  s['handover']),
        'queue.job': ([s['job']], s['job'], s['job']),
    }


def _create_probes(s, reach):
    own = reach.own_managers[0] if reach.own_managers else s['gloria_mgr']
    partner = s['partner']
    return {
        'res.partner': [{'name': 'RPC probe account', 'account_manager_id': s['gloria_mgr']},
                        {'name': 'RPC probe contact', 'parent_id': partner, 'type': 'contact'}],
        'account.manager': [{'user_id': reach.uid, 'tier_id': s['tier'],
                             'parent_id': s['gloria_mgr']}],
        'account.manager.tier': [{'name': 'RPC probe tier', 'code': 'RPCPROBE', 'level': 38}],
        'account.territory': [{'name': 'RPC probe territory', 'code': 'RPCPROBE',
                               'territory_type': 'area', 'parent_id': s['usa'],
                               'manager_id': s['gloria_mgr']}],
        'account.territory.rule': [{'territory_id': s['territory'], 'zip_from': 'ZZZ991',
                                    'zip_to': 'ZZZ992'}],
        'account.manager.assignment': [{
            'partner_id': partner, 'manager_id': own, 'role': 'backup',
            'date_start': '2020-01-01 00:00:00', 'date_end': '2020-02-01 00:00:00'}],
        'account.manager.reassignment': [{
            'state': 'queued', 'to_manager_id': own, 'queued_count': 1,
            'reason': 'RPC probe'}],
        'account.escalation': [{'partner_id': partner, 'subject': 'RPC probe'}],
        'account.manager.portfolio.report': [{'partner_id': partner}],
        'account.escalation.report': [{'escalation_id': s['escalation']}],
        'account.manager.workload.report': [{'manager_id': s['gloria_mgr']}],
        'account.manager.kpi': [{'name': 'RPC probe', 'action_id': _id(s['kpi_vals']['action_id']),
                                 'filter_name': s['kpi_vals']['filter_name']}],
        'mail.message': [{'model': 'res.partner', 'res_id': partner, 'body': 'RPC probe',
                          'message_type': 'comment'}],
        'mail.activity': [{'res_model_id': s['partner_model'], 'res_id': partner,
                           'summary': 'RPC probe', 'activity_type_id': s['todo'],
                           'user_id': reach.uid}],
        'mail.followers': [{'res_model': 'res.partner', 'res_id': partner,
                            'partner_id': reach.partner_id}],
        'ir.attachment': [{'name': 'rpc-probe.txt', 'res_model': 'res.partner',
                           'res_id': partner, 'datas': base64.b64encode(b'probe').decode()}],
        'account.manager.reassignment.handover': [{
            'reassignment_id': s['reassignment'], 'to_manager_id': own, 'account_count': 1}],
        # A job is code run as its user: a forged one would run anything.
        'queue.job': [{'uuid': 'rpc-probe-%s' % s['tag'], 'name': 'RPC probe',
                       'model_name': 'res.partner', 'method_name': 'write',
                       'record_ids': [partner], 'args': [{'comment': 'forged'}],
                       'kwargs': {}, 'user_id': 1}],
    }


def _result_leaks(reach, result, ids=True):
    """What a method's answer gives away: names of accounts outside the
    reach, or (``ids``) their ids in an action's domain or res_id."""
    text = json.dumps(result, default=str, ensure_ascii=False)
    found = reach.leaked_names(text)
    if ids and isinstance(result, dict):
        if result.get('res_model') == 'res.partner' and result.get('res_id') in reach.foreign:
            found.append('res_id %s' % result['res_id'])
        for leaf in result.get('domain') or []:
            if isinstance(leaf, (list, tuple)) and len(leaf) == 3 and leaf[0] == 'id' \
                    and isinstance(leaf[2], list) and result.get('res_model') == 'res.partner':
                hidden = sorted(set(leaf[2]) & reach.foreign)
                if hidden:
                    found.append('partner ids %s' % hidden)
    return found


def _matrix_crud(admin, client, reach, s, matrix, values):
    login = reach.login
    records = _foreign_records(admin, reach)
    targets = _targets(s, reach, admin)
    for model in MATRIX_MODELS:
        read_ids, written, deleted = targets[model]
        if model in TIED:
            bad = sorted(set(read_ids + [written]) - set(records[model]))
            assert not bad, 'test set-up: %s %s should be outside the reach of %s' % (
                model, bad, login)
            every = records[model]
        else:
            every = read_ids
        hidden = set(every) if model in TIED else set()
        fields = ['display_name'] + PARTNER_LISTS.get(model, [])
        # read
        matrix.attempts += 1
        ok, rows = client.attempt(model, 'read', read_ids, fields, context=ALL)
        if ok:
            shown = [r['id'] for r in rows if r['id'] in hidden]
            if shown:
                matrix.leak(login, '%s.read' % model, rows[:3])
            for row in rows:
                for name in PARTNER_LISTS.get(model, []):
                    listed = sorted(set(row[name]) & reach.foreign)
                    if listed:
                        matrix.leak(login, '%s.read %s' % (model, name),
                                    [reach.names.get(i) for i in listed[:5]])
        if model in TIED:
            matrix.attempts += 1
            ok, names = client.attempt(model, 'name_get', read_ids, context=ALL)
            if ok and names:
                matrix.leak(login, '%s.name_get' % model, names[:3])
        domain = [('id', 'in', every or [0])]
        matrix.attempts += 1
        ok, rows = client.attempt(model, 'search_read', domain, ['display_name'], context=ALL)
        if ok and hidden & {r['id'] for r in rows}:
            matrix.leak(login, '%s.search_read' % model,
                        [r for r in rows if r['id'] in hidden][:3])
        matrix.attempts += 1
        ok, count = client.attempt(model, 'search_count', domain, context=ALL)
        if ok and hidden and count:
            matrix.leak(login, '%s.search_count' % model, count)
        matrix.attempts += 1
        group_by = GROUP_BY[model]
        ok, groups = client.attempt(model, 'read_group', domain, [group_by], [group_by],
                                    context=ALL)
        if ok and hidden:
            total = sum(g.get(group_by + '_count') or g.get('__count') or 0 for g in groups)
            if total:
                matrix.leak(login, '%s.read_group' % model, '%d records, grouped: %r' % (
                    total, [(g.get(group_by), g.get(group_by + '_count')) for g in groups[:3]]))
        # write, with the value the record already has
        field = WRITE_FIELD[model]
        matrix.attempts += 1
        ok, result = client.attempt(model, 'write', [written], {field: values[model]})
        if ok:
            matrix.leak(login, '%s.write %s' % (model, field), 'accepted on %d' % written)
        # create, aimed at records outside the reach
        for vals in _create_probes(s, reach)[model]:
            matrix.attempts += 1
            ok, result = client.attempt(model, 'create', vals)
            if ok:
                matrix.leak(login, '%s.create' % model, vals)
                _drop(admin, model, [result])
            elif model in TIED or model == 'account.manager':
                leaked = reach.leaked_names(result.message)
                if leaked:
                    matrix.leak(login, '%s.create refusal' % model, leaked)
        # unlink
        if deleted:
            matrix.attempts += 1
            ok, result = client.attempt(model, 'unlink', [deleted])
            if ok:
                matrix.leak(login, '%s.unlink' % model, 'deleted %d' % deleted)
                if model == 'res.partner':
                    s['disposable'] = None
            else:
                leaked = reach.leaked_names(result.message)
                if leaked:
                    matrix.leak(login, '%s.unlink refusal' % model, leaked)


# (model, method, ids key of the scratch records, kwargs, mutating)
METHOD_PROBES = [
    ('account.escalation', 'action_acknowledge', 'escalation', {}, True),
    ('account.escalation', 'action_resolve', 'escalation', {}, True),
    ('account.escalation', 'action_resolve_wizard', 'escalation', {}, True),
    ('account.escalation', 'action_cancel', 'escalation', {}, True),
    ('account.escalation', 'action_reopen', 'escalation', {}, True),
    ('account.escalation', 'action_escalate_further', 'escalation', {}, True),
    ('account.manager.reassignment', 'action_retry', 'reassignment', {}, True),
    ('account.manager.reassignment', 'action_view_accounts', 'reassignment', {}, True),
    ('res.partner', 'action_view_escalations', 'partner', {}, True),
    ('res.partner', 'action_view_assignments', 'partner', {}, True),
    ('res.partner', 'message_post', 'partner', {'body': 'RPC probe'}, True),
    ('account.manager.portfolio.report', 'action_open_accounts', 'portfolio', {}, True),
    ('account.manager', 'action_adopt_salespersons', None, {}, True),
    ('account.manager', 'action_view_accounts', 'gloria_mgr', {}, False),
    ('account.manager', 'action_view_team_accounts', 'gloria_mgr', {}, False),
    ('account.territory', 'action_view_rules', 'territory', {}, False),
    ('account.territory', 'action_view_accounts', 'territory', {}, False),
    ('account.manager.kpi', 'action_open', 'kpi', {}, False),
]


def _matrix_methods(admin, client, reach, s, matrix):
    login = reach.login
    for model, method, key, kwargs, mutating in METHOD_PROBES:
        ids = [s[key]] if key else []
        matrix.attempts += 1
        # A method on the model (no records) takes no ids over RPC.
        ok, result = client.attempt(model, method, *([ids] if key else []), **kwargs)
        if ok and mutating:
            matrix.leak(login, '%s.%s' % (model, method), 'accepted on %s' % ids)
        elif ok:
            leaked = _result_leaks(reach, result)
            if leaked:
                matrix.leak(login, '%s.%s' % (model, method), leaked)
        elif reach.leaked_names(result.message):
            matrix.leak(login, '%s.%s refusal' % (model, method),
                        reach.leaked_names(result.message))
    # The import (res.partner.load): errors come back as messages.
    name = admin('res.partner', 'read', [s['partner']], ['name'])[0]['name']
    for fields, rows in ((['.id', 'name'], [[str(s['partner']), name]]),
                         (['name', 'is_company', 'account_manager_id/.id'],
                          [['RPC probe import', '1', str(s['gloria_mgr'])]])):
        matrix.attempts += 1
        ok, result = client.attempt('res.partner', 'load', fields, rows)
        if ok and result.get('ids'):
            matrix.leak(login, 'res.partner.load %s' % fields, 'imported %s' % result['ids'])
            _drop(admin, 'res.partner', [i for i in result['ids'] if i != s['partner']])
        if ok:
            leaked = reach.leaked_names(json.dumps(result.get('messages'), default=str))
            if leaked:
                matrix.leak(login, 'res.partner.load messages', leaked)
    # Following the account: Odoo answers False rather than refusing.
    matrix.attempts += 1
    client.attempt('res.partner', 'message_subscribe', [s['partner']],
                   partner_ids=[reach.partner_id])
    mine = admin('mail.followers', 'search', [
        ('res_model', '=', 'res.partner'), ('res_id', '=', s['partner']),
        ('partner_id', '=', reach.partner_id)])
    if mine:
        matrix.leak(login, 'res.partner.message_subscribe', 'follows %d' % s['partner'])
        admin('mail.followers', 'unlink', mine)
    _matrix_wizards(admin, client, reach, s, matrix)


def _matrix_wizards(admin, client, reach, s, matrix):
    login = reach.login
    own = reach.own_managers[0] if reach.own_managers else s['gloria_mgr']
    on_partner = {'active_model': 'res.partner', 'active_ids': [s['partner']],
                  'active_id': s['partner']}
    on_escalation = {'active_model': 'account.escalation', 'active_ids': [s['escalation']],
                     'active_id': s['escalation']}
    on_gloria = {'active_model': 'account.manager', 'active_ids': [s['gloria_mgr']]}
    wizards = [
        ('account.escalation.wizard', {'subject': 'RPC probe', 'severity': 'low'},
         on_partner, ['action_escalate']),
        ('account.escalation.wizard', {'subject': 'RPC probe', 'severity': 'low',
                                       'partner_id': s['partner']}, {}, ['action_escalate']),
        ('account.escalation.wizard', {'severity': 'low'}, on_escalation, ['action_escalate']),
        (WIZARD, {'to_manager_id': own, 'reason': 'RPC probe'}, on_partner,
         ['action_reassign']),
        (WIZARD, {'partner_ids': [(6, 0, [s['partner']])], 'to_manager_id': own,
                  'reason': 'RPC probe'}, {}, ['action_reassign']),
        (WIZARD, {'to_manager_id': own, 'reason': 'RPC probe'}, on_gloria,
         ['action_reassign']),
        ('account.territory.realign.wizard', {
            'scope': 'selected', 'selected_account_ids': json.dumps([s['partner']])}, {},
         ['action_preview', 'action_apply']),
        ('account.territory.realign.wizard', {'scope': 'all'}, {},
         ['action_preview', 'action_apply']),
        ('account.escalation.resolve.wizard', {'resolution': 'RPC probe'}, on_escalation,
         ['action_resolve']),
        ('account.escalation.resolve.wizard', {'escalation_id': s['escalation'],
                                               'resolution': 'RPC probe'}, {},
         ['action_resolve']),
    ]
    # Views of what the user gave the wizard themselves: only names count.
    views = {'account.territory.realign.wizard': [
        'action_back', 'action_view_selected', 'action_view_locked',
        'action_view_unmatched', 'action_view_reassignments']}
    escalations_before = admin('account.escalation', 'search_count',
                               [('partner_id', '=', s['partner'])])
    for model, vals, ctx, methods in wizards:
        matrix.attempts += 1
        ok, wizard = client.attempt(model, 'create', vals, context=ctx)
        if not ok:
            continue
        if model == WIZARD:
            matrix.attempts += 1
            ok, rows = client.attempt(model, 'read', [wizard], PREVIEW_FIELDS, context=ctx)
            shown = {f: v for f, v in (rows[0].items() if ok else ())
                     if f in PREVIEW_FIELDS and v and f not in (
                         'target_account_count', 'target_capacity', 'target_load_before',
                         'target_account_count_after', 'target_load_after', 'strict_capacity',
                         'over_capacity')}
            if shown:
                matrix.leak(login, 'reassign preview of hidden accounts', shown)
        for method in methods:
            matrix.attempts += 1
            ok, result = client.attempt(model, method, [wizard], context=ctx)
            if ok:
                matrix.leak(login, '%s.%s' % (model, method), 'accepted (%r)' % (vals,))
            elif reach.leaked_names(result.message):
                matrix.leak(login, '%s.%s refusal' % (model, method),
                            reach.leaked_names(result.message))
        for method in views.get(model, []):
            matrix.attempts += 1
            ok, result = client.attempt(model, method, [wizard], context=ctx)
            leaked = _result_leaks(reach, result, ids=False) if ok \
                else reach.leaked_names(result.message)
            if leaked:
                matrix.leak(login, '%s.%s' % (model, method), leaked)
    held = admin('account.escalation', 'read', [s['escalation']], ['state', 'resolution'])[0]
    if held['state'] == 'resolved' or held['resolution'] == 'RPC probe':
        matrix.leak(login, 'resolve wizard', 'resolved a foreign escalation: %r' % held)
    if admin('account.escalation', 'search_count',
             [('partner_id', '=', s['partner'])]) != escalations_before:
        matrix.leak(login, 'escalation wizard', 'raised an escalation on a foreign account')
    manager = admin('res.partner', 'read', [s['partner']], ['account_manager_id'])[0]
    if _id(manager['account_manager_id']) != s['gloria_mgr']:
        matrix.leak(login, 'reassign wizard', 'moved a foreign account: %r' % manager)
        admin('res.partner', 'write', [s['partner']], {'account_manager_id': s['gloria_mgr']})
    # The Excel export, of everything and of Gloria's team.
    for vals in ({}, {'manager_id': s['gloria_mgr']}):
        matrix.attempts += 1
        ok, export = client.attempt('account.manager.report.export', 'create', vals)
        if ok:
            ok, _ = client.attempt('account.manager.report.export', 'action_export', [export])
        if ok:
            data = client('account.manager.report.export', 'read', [export], ['data'])[0]['data']
            leaked = reach.leaked_names('\n'.join(xlsx_strings(data)))
            if leaked:
                matrix.leak(login, 'excel export %r' % vals, leaked[:10])


REPORT = 'account_manager.report_account_manager_portfolio'


def _matrix_http(admin_web, reach, s, matrix, pdf=False):
    login = reach.login
    web = web_session(login)
    managers = [s['gloria_mgr']]
    paths = ['/report/html/%s/%s' % (REPORT, ','.join(map(str, managers)))]
    if pdf:
        paths.append('/report/pdf/%s/%s' % (REPORT, ','.join(map(str, managers))))
    for path in paths:
        matrix.attempts += 1
        response = web.get(URL + path, timeout=300)
        if response.status_code != 200:
            continue
        if 'pdf' in response.headers.get('Content-Type', ''):
            text = pdf_text(response.content)
        else:
            text = response.text
        leaked = reach.leaked_names(text)
        if leaked or s['secret'] in text:
            matrix.leak(login, 'GET %s' % path, leaked[:10])
    secret = s['secret'].encode()
    for path in ('/web/content?model=ir.attachment&id=%d&download=true' % s['attachment'],
                 '/web/content/%d?download=true' % s['attachment'],
                 '/web/content?model=ir.attachment&id=%d&field=datas' % s['attachment']):
        matrix.attempts += 1
        response = web.get(URL + path, timeout=120)
        if secret in response.content:
            matrix.leak(login, 'GET %s' % path, 'the attachment\'s content')
    for path in ('/web/image?model=res.partner&id=%d&field=image' % s['partner'],
                 '/web/content?model=res.partner&id=%d&field=image' % s['partner']):
        matrix.attempts += 1
        response = web.get(URL + path, timeout=120)
        genuine = admin_web.get(URL + path, timeout=120)
        if response.status_code == 200 and genuine.status_code == 200 \
                and response.content == genuine.content:
            matrix.leak(login, 'GET %s' % path, 'the account\'s image')


def test_security_access_matrix(admin, users):
    """Every restricted demo user, every model and public method, on records
    outside their reach: counted, and every leak listed."""
    matrix = Matrix()
    s = _matrix_scratch(admin, users)
    try:
        values = {}
        targets = _targets(s, Reach(admin, 'karim'), admin)
        for model in MATRIX_MODELS:
            written = targets[model][1]
            value = admin(model, 'read', [written], [WRITE_FIELD[model]])[0][WRITE_FIELD[model]]
            values[model] = _id(value)
        admin_web = web_session('admin', 'admin')
        for login in RESTRICTED:
            reach = Reach(admin, login)
            assert reach.restricted, 'test set-up: %s is a restricted user' % login
            if not s.get('disposable'):
                s['disposable'] = admin('res.partner', 'create', {
                    'name': 'RPC Security Disposable %s' % uuid.uuid4().hex[:6],
                    'is_company': True, 'customer': True, 'account_manager_id': s['gloria_mgr']})
                s['created'].append(('res.partner', s['disposable']))
            client = users[login]
            _matrix_crud(admin, client, reach, s, matrix, values)
            _matrix_methods(admin, client, reach, s, matrix)
            _matrix_http(admin_web, reach, s, matrix, pdf=login in ('karim', 'nadia'))
    finally:
        _matrix_cleanup(admin, s)
    print('security: %d access attempts, %d leaked' % (matrix.attempts, len(matrix.leaks)))
    assert not matrix.leaks, '%d leaks:\n%s' % (len(matrix.leaks), '\n'.join(matrix.leaks))
