from contextlib import contextmanager

from odoo.exceptions import AccessError, UserError, ValidationError

from .common import AccountManagerCase

# What Odoo says when a record rule (Operation: ...) or an access right
# (Sorry, you are not allowed ...) refuses. Rule refusals deliberately do not
# name the records: naming them would tell the user what they may not see.
REFUSED = {
    'read': r'Operation: read|not allowed to access',
    'write': r'Operation: write|not allowed to modify',
    'create': r'Operation: create|not allowed to create',
    'unlink': r'Operation: unlink|not allowed to delete',
}


class _RollBack(Exception):
    pass


class TestAccess(AccountManagerCase):
    """Who sees and edits what, as each user, on every model of the addon.

    Besides the organisation of ``AccountManagerCase``:

    - adele is the backup of arthur (so she sees his accounts);
    - ``acc_katrin_paris`` is held by katrin (Germany branch) but lies in
      Paris, inside nadia's France: territory responsibility crosses the
      hierarchy;
    - escalations: ``esc_adele`` (adele's account, held by karim),
      ``esc_anton`` (anton's account, held by katrin), ``esc_raised_adele``
      (katrin's account, raised by adele, held by niklas),
      ``esc_held_karim`` (katrin's account, held by karim) and
      ``esc_held_adele`` (adele's account, raised by user_plain, held by
      adele);
    - reassignments: ``reas_france`` (karim → adele, run by nadia) and
      ``reas_germany`` (katrin → anton, run by niklas).
    """

    @classmethod
    def setUpClass(cls):
        super(TestAccess, cls).setUpClass()
        cls.Escalation = cls.env['account.escalation']
        cls.Reassignment = cls.env['account.manager.reassignment']
        cls.Tier = cls.env['account.manager.tier']
        cls.u_adele = cls.adele.user_id
        cls.u_karim = cls.karim.user_id
        cls.u_kenji = cls.kenji.user_id
        cls.u_nadia = cls.nadia.user_id
        cls.u_niklas = cls.niklas.user_id
        cls.u_gloria = cls.gloria.user_id
        cls.arthur.backup_manager_id = cls.adele
        cls.acc_katrin_paris = cls._create_account('Galeries Paris', cls.katrin, cls.t_paris)

        cls.esc_adele = cls._create_escalation(cls.acc_adele_1, cls.karim, cls.u_adele)
        cls.esc_anton = cls._create_escalation(cls.acc_anton_1, cls.katrin, cls.anton.user_id)
        cls.esc_raised_adele = cls._create_escalation(cls.acc_katrin_1, cls.niklas, cls.u_adele)
        cls.esc_held_karim = cls._create_escalation(
            cls.acc_katrin_2, cls.karim, cls.katrin.user_id)
        cls.esc_held_adele = cls._create_escalation(
            cls.acc_adele_2, cls.adele, cls.user_plain)

        cls.reas_france = cls.Reassignment.create({
            'from_manager_id': cls.karim.id, 'to_manager_id': cls.adele.id,
            'reason': 'Rebalancing France', 'user_id': cls.u_nadia.id, 'state': 'done'})
        cls.reas_germany = cls.Reassignment.create({
            'from_manager_id': cls.katrin.id, 'to_manager_id': cls.anton.id,
            'reason': 'Rebalancing Germany', 'user_id': cls.u_niklas.id, 'state': 'done'})

    @classmethod
    def _create_escalation(cls, account, holder, raised_by):
        return cls.env['account.escalation'].create({
            'partner_id': account.id,
            'subject': 'Late deliveries at %s' % account.name,
            'manager_id': holder.id,
            'origin_manager_id': account.account_manager_id.id,
            'raised_by_id': raised_by.id,
        })

    # ------------------------------------------------------------------
    # helpers
    # ------------------------------------------------------------------

    @contextmanager
    def assertRefused(self, exception, regex=None):
        """As the common one, and also drop the recomputations the refused
        call left pending: a rolled-back RPC call discards them, while here
        they would be recomputed later as the refused user."""
        with super(TestAccess, self).assertRefused(exception, regex) as caught:
            yield caught
        self.env.clear()

    @contextmanager
    def rolledBack(self):
        """Run an allowed operation and undo it, so that one test can try
        every operation on the same records."""
        try:
            with self.env.cr.savepoint():
                yield
                raise _RollBack()
        except _RollBack:
            self.env.clear()

    def as_user(self, user, records):
        """``records`` seen by ``user``, with a prefetch of their own: a
        recordset shared with ``sudo(user)`` would carry the user's access
        failures into the superuser's reads."""
        return self.env[records._name].sudo(user).browse(records.ids)

    def fresh(self, records):
        return self.env[records._name].browse(records.ids)

    def assertSees(self, user, records):
        """``user`` finds every record of ``records`` and can read it."""
        found = self.as_user(user, records).search([('id', 'in', records.ids)])
        self.assertEqual(
            set(found.ids), set(records.ids), "%s should see %s" % (
                user.login, self.fresh(records - found).mapped('display_name')))
        self.as_user(user, records).read(['display_name'])
        self.env.cache.invalidate()

    def assertBlind(self, user, records):
        """``user`` finds none of ``records``, cannot read, write or delete
        any of them, and nothing changes."""
        found = self.as_user(user, records).search([('id', 'in', records.ids)])
        self.assertFalse(found, "%s should not see %s" % (
            user.login, self.fresh(found).mapped('display_name')))
        for record in records:
            with self.assertRefused(AccessError, REFUSED['read']):
                self.as_user(user, record).read(['display_name'])
            # Overrides may read the record before Odoo checks the operation.
            with self.assertRefused(AccessError, '%s|%s' % (REFUSED['write'], REFUSED['read'])):
                self.as_user(user, record).write(self._touch(record))
            with self.assertRefused(AccessError, '%s|%s' % (REFUSED['unlink'], REFUSED['read'])):
                self.as_user(user, record).unlink()
            self.assertTrue(self.fresh(record).exists())
            self.assertUntouched(record)

    def assertOperations(self, user, record, allowed):
        """On a record ``user`` sees: the operations of ``allowed`` (among
        write and unlink) succeed, the others are refused and change
        nothing."""
        vals = self._touch(record)
        field, value = next(iter(vals.items()))
        if 'write' in allowed:
            with self.rolledBack():
                self.as_user(user, record).write(vals)
                self.assertEqual(self.fresh(record)[field], value)
        else:
            with self.assertRefused(AccessError, REFUSED['write']):
                self.as_user(user, record).write(vals)
            self.assertUntouched(record)
        if 'unlink' in allowed:
            with self.rolledBack():
                self.as_user(user, record).unlink()
                self.assertFalse(self.fresh(record).exists())
        elif 'kept' in allowed:
            # An account with history or escalations is archived, not deleted.
            with self.assertRefused(UserError, 'archive them instead'):
                self.as_user(user, record).unlink()
            self.assertTrue(self.fresh(record).exists())
        else:
            with self.assertRefused(AccessError, REFUSED['unlink']):
                self.as_user(user, record).unlink()
            self.assertTrue(self.fresh(record).exists())

    def assertCreate(self, user, model, vals, allowed):
        Model = self.env[model]
        before = Model.search_count([])
        if allowed:
            with self.rolledBack():
                record = Model.sudo(user).create(vals)
                self.assertTrue(self.as_user(user, record).read(['display_name']))
        else:
            # Creating reads the parent (contacts) and runs the constraints
            # as the user: a refusal may come from either, before Odoo's own
            # create check; Odoo wraps the latter in a ValidationError.
            with self.assertRefused((AccessError, ValidationError), '%s|%s|%s' % (
                    REFUSED['create'], REFUSED['read'], 'outside your team')):
                Model.sudo(user).create(vals)
        self.assertEqual(Model.search_count([]), before)

    TOUCH = {
        'res.partner': ('ref', 'TOUCHED'),
        'account.escalation': ('description', 'TOUCHED'),
        'account.manager.assignment': ('reason', 'TOUCHED'),
        'account.manager.reassignment': ('reason', 'TOUCHED'),
        'account.manager': ('capacity', 999),
        'account.territory': ('zip_from', '00000'),
        'account.manager.tier': ('default_capacity', 999),
    }

    def _touch(self, record):
        field, value = self.TOUCH[record._name]
        return {field: value}

    def assertUntouched(self, record):
        field, value = self.TOUCH[record._name]
        record = self.fresh(record)
        self.assertNotEqual(record[field], value, "%s was written" % record.display_name)

    def accounts(self, *accounts):
        """The accounts with their contact persons."""
        return self.Partner.search([('commercial_partner_id', 'in', [a.id for a in accounts])])

    # ------------------------------------------------------------------
    # res.partner
    # ------------------------------------------------------------------

    def test_partner_matrix(self):
        acc = self.accounts
        own_company = self.company.partner_id
        everything = acc(
            self.acc_adele_1, self.acc_arthur_1, self.acc_karim_1, self.acc_kenji_1,
            self.acc_nadia_1, self.acc_anton_1, self.acc_katrin_1, self.acc_niklas_1,
            self.acc_katrin_paris, self.acc_unassigned)
        matrix = [
            # user, sees, does not see
            (self.u_adele,
             acc(self.acc_adele_1, self.acc_arthur_1, self.acc_unassigned)
             | self.u_adele.partner_id | own_company,
             acc(self.acc_karim_1, self.acc_kenji_1, self.acc_nadia_1,
                 self.acc_anton_1, self.acc_katrin_paris)),
            # karim also reads adele's accounts and acc_katrin_2, through the
            # escalations he or adele hold (test_escalation_holder_reads_...)
            (self.u_karim,
             acc(self.acc_karim_1, self.acc_karim_2, self.acc_unassigned),
             acc(self.acc_arthur_1, self.acc_kenji_1, self.acc_nadia_1, self.acc_anton_1)),
            (self.u_nadia,
             acc(self.acc_nadia_1, self.acc_karim_1, self.acc_adele_1, self.acc_kenji_1,
                 self.acc_arthur_1, self.acc_katrin_paris, self.acc_unassigned),
             acc(self.acc_niklas_1, self.acc_katrin_1, self.acc_anton_1)),
            (self.u_gloria, everything, self.Partner),
            (self.user_admin, everything, self.Partner),
            (self.user_plain, everything, self.Partner),
        ]
        for user, visible, hidden in matrix:
            self.assertSees(user, visible)
            self.assertBlind(user, hidden)

        editors = [
            (self.u_adele, self.acc_adele_1, self.adele, self.anton),
            (self.u_karim, self.acc_karim_2, self.karim, self.adele),
            (self.u_nadia, self.acc_arthur_2, self.arthur, self.katrin),
        ]
        for user, account, inside, outside in editors:
            self.assertOperations(user, account, {'write', 'kept'})
            self.assertOperations(user, self.acc_unassigned, {'write', 'unlink'})
            self.assertCreate(user, 'res.partner', {
                'name': 'New account', 'is_company': True,
                'account_manager_id': inside.id}, allowed=True)
            self.assertCreate(user, 'res.partner', {
                'name': 'New prospect', 'is_company': True}, allowed=True)
            self.assertCreate(user, 'res.partner', {
                'name': 'Somebody else\'s account', 'is_company': True,
                'account_manager_id': outside.id}, allowed=False)
        self.assertOperations(self.u_gloria, self.acc_anton_1, {'write', 'kept'})
        for user in (self.user_admin,):
            self.assertOperations(user, self.acc_anton_1, {'write', 'unlink'})
            self.assertCreate(user, 'res.partner', {
                'name': 'New account', 'is_company': True,
                'account_manager_id': self.anton.id}, allowed=True)
        self.assertOperations(self.user_plain, self.acc_anton_1, set())
        self.assertCreate(self.user_plain, 'res.partner', {'name': 'New prospect'},
                          allowed=False)

    def test_sibling_branch_invisible(self):
        """A national manager sees nothing of the other national branch,
        not even through a child_of search on its manager; only what lies in
        her territory (acc_katrin_paris) or is escalated to her team
        (acc_katrin_2, held by karim)."""
        niklas_branch = self.accounts(self.acc_niklas_1, self.acc_katrin_1,
                                      self.acc_anton_1, self.acc_anton_2)
        Partner = self.Partner.sudo(self.u_nadia)
        self.assertEqual(Partner.search([('account_manager_id', 'child_of', self.niklas.id)]),
                         self.accounts(self.acc_katrin_paris, self.acc_katrin_2))
        self.assertBlind(self.u_nadia, niklas_branch)
        self.assertSees(self.u_niklas, niklas_branch)
        self.assertBlind(self.u_niklas, self.accounts(self.acc_nadia_1, self.acc_adele_1))

    def test_backup_sees_backed_up_accounts(self):
        arthur_accounts = self.accounts(self.acc_arthur_1, self.acc_arthur_2)
        self.assertSees(self.u_adele, arthur_accounts)
        self.assertOperations(self.u_adele, self.acc_arthur_1, {'write', 'kept'})
        # kenji backs nobody up: arthur reports to him, but kenji only has
        # Own Accounts.
        self.assertBlind(self.u_kenji, arthur_accounts)
        self.arthur.backup_manager_id = self.kenji
        self.assertBlind(self.u_adele, arthur_accounts)
        self.assertSees(self.u_kenji, arthur_accounts)

    def test_territory_responsibility(self):
        """Team users see the accounts in the territories they are
        responsible for and below, whoever manages them."""
        paris = self.accounts(self.acc_katrin_paris)
        self.assertSees(self.u_nadia, paris)
        self.assertOperations(self.u_nadia, self.acc_katrin_paris, {'write', 'kept'})
        self.assertSees(self.u_niklas, paris)  # katrin reports to him
        # Own Accounts is about the accounts one holds: adele is responsible
        # for Paris but does not see katrin's account there.
        self.assertBlind(self.u_adele, paris)
        # Responsibility moves with the territory.
        self.t_france.manager_id = self.kenji
        self.assertBlind(self.u_nadia, paris)

    def test_contacts_follow_their_account(self):
        contact = self.acc_karim_1.child_ids
        self.assertTrue(contact)
        self.assertSees(self.u_karim, contact)
        self.assertSees(self.u_nadia, contact)
        self.assertBlind(self.u_kenji, contact)
        self.assertBlind(self.u_niklas, contact)
        self.assertCreate(self.u_karim, 'res.partner', {
            'name': 'New buyer', 'parent_id': self.acc_karim_1.id}, allowed=True)
        self.assertCreate(self.u_kenji, 'res.partner', {
            'name': 'New buyer', 'parent_id': self.acc_karim_1.id}, allowed=False)
        # The account moves to the other branch and country: so does its
        # contact.
        self.acc_karim_1.write({'account_manager_id': self.katrin.id,
                                'territory_id': self.t_germany.id})
        self.assertEqual(contact.account_manager_id, self.katrin)
        self.assertBlind(self.u_nadia, contact)
        self.assertSees(self.u_niklas, contact)

    def test_escalation_holder_reads_the_account(self):
        """Who holds an escalation, and everybody above them, reads its
        account and contacts (to handle the concern) without editing it."""
        adele_1 = self.accounts(self.acc_adele_1)
        # karim (Own Accounts) does not manage adele's account, but holds
        # its escalation.
        self.assertSees(self.u_karim, adele_1)
        self.assertOperations(self.u_karim, self.acc_adele_1, set())
        self.assertOperations(self.u_karim, self.acc_adele_1.child_ids, set())
        self.assertBlind(self.u_kenji, adele_1)
        # Escalated further to nadia: karim no longer reads it, nadia does
        # (and edits it, it is her team's), niklas still does not.
        self.esc_adele.manager_id = self.nadia
        self.assertBlind(self.u_karim, adele_1)
        self.assertSees(self.u_nadia, adele_1)
        self.assertBlind(self.u_niklas, adele_1)
        # Escalated to the other branch: its national manager reads it.
        self.esc_adele.manager_id = self.katrin
        self.assertSees(self.u_niklas, adele_1)
        self.assertOperations(self.u_niklas, self.acc_adele_1, set())

    def test_unassigned_partners_visible(self):
        unassigned = self.accounts(self.acc_unassigned)
        for user in (self.u_adele, self.u_karim, self.u_nadia, self.u_niklas):
            self.assertSees(user, unassigned)
        self.assertOperations(self.u_adele, self.acc_unassigned.child_ids, {'write', 'unlink'})
        # Once somebody manages it, it leaves the others' reach.
        self.acc_unassigned.account_manager_id = self.anton
        self.assertBlind(self.u_adele, unassigned)

    def test_own_and_company_partner_always_visible(self):
        own = self.u_adele.partner_id | self.company.partner_id
        own.write({'account_manager_id': self.anton.id})
        self.assertSees(self.u_adele, own)
        self.assertBlind(self.u_karim, self.u_adele.partner_id)

    def test_no_lockout(self):
        """Users outside the restricted groups see exactly what they saw
        before the addon's rules existed."""
        rules = self.env['ir.rule'].search([
            ('id', 'in', [self.env.ref('account_manager.%s' % xmlid).id for xmlid in (
                'res_partner_rule_account_reach',
                'res_partner_rule_account_reach_read',
                'account_escalation_rule_account_reach',
                'account_escalation_rule_account_reach_create',
                'account_manager_assignment_rule_account_reach',
                'account_manager_reassignment_rule_account_reach')])])
        users = self.user_plain | self.u_gloria | self.user_admin
        models = ['res.partner', 'account.escalation', 'account.manager.assignment',
                  'account.manager.reassignment']
        seen = {(u, m): self.env[m].sudo(u).search([]) for u in users for m in models}
        self.assertIn(self.acc_anton_1, seen[self.user_plain, 'res.partner'].sudo())
        rules.write({'active': False})
        for user in users:
            for model in models:
                self.assertEqual(self.env[model].sudo(user).search([]), seen[user, model],
                                 "%s lost %s records to the rules" % (user.login, model))

    def test_rules_follow_hierarchy_change(self):
        """No cache to clear by hand: the rules follow the hierarchy in the
        same transaction."""
        # Out of France, so that only the hierarchy gives nadia these.
        (self.acc_karim_1 | self.acc_adele_1).write({'territory_id': False})
        karim_team = self.accounts(self.acc_karim_1, self.acc_adele_1)
        self.assertSees(self.u_nadia, karim_team)
        self.assertBlind(self.u_niklas, karim_team)
        self.karim.parent_id = self.niklas
        self.assertBlind(self.u_nadia, karim_team)
        self.assertSees(self.u_niklas, karim_team)
        # Paris moves to Germany: nadia loses katrin's account there.
        self.t_paris.parent_id = self.t_germany
        self.assertBlind(self.u_nadia, self.accounts(self.acc_katrin_paris))

    def test_group_change_applies_at_once(self):
        # Escalations karim's team holds would let him read adele's account.
        (self.esc_adele | self.esc_held_adele).write({'manager_id': self.nadia.id})
        self.assertBlind(self.u_karim, self.accounts(self.acc_adele_1))
        self.u_karim.groups_id = [(4, self.group_team.id)]
        self.assertSees(self.u_karim, self.accounts(self.acc_adele_1))
        self.u_karim.groups_id = [(4, self.group_all.id)]
        self.assertSees(self.u_karim, self.accounts(self.acc_anton_1))

    def test_reach(self):
        reach = self.u_nadia._account_manager_reach()
        self.assertTrue(reach['restricted'])
        self.assertEqual(set(reach['manager_ids']), set(
            (self.nadia | self.karim | self.kenji | self.adele | self.arthur).ids))
        self.assertEqual(set(reach['territory_ids']), set((self.t_france | self.t_paris).ids))
        self.assertIn(self.u_nadia.partner_id.id, reach['partner_ids'])
        self.assertEqual(reach['team_manager_ids'], reach['manager_ids'])
        reach = self.u_adele._account_manager_reach()
        self.assertEqual(set(reach['manager_ids']), set((self.adele | self.arthur).ids))
        reach = self.u_karim._account_manager_reach()
        self.assertEqual(reach['manager_ids'], self.karim.ids)
        self.assertEqual(set(reach['team_manager_ids']), set((self.karim | self.adele).ids))
        self.assertEqual(reach['territory_ids'], [])
        for user in (self.u_gloria, self.user_admin, self.user_plain):
            self.assertFalse(user._account_manager_reach()['restricted'])
        # A team member who manages nobody sees the unassigned only.
        assistant = self._create_user('am_assistant', self.group_team)
        reach = assistant._account_manager_reach()
        self.assertTrue(reach['restricted'])
        self.assertEqual(reach['manager_ids'], [])

    def test_reach_computed_only_when_a_rule_reads_it(self):
        """Odoo evaluates the rule context for every model it checks; the
        reach's queries only run for the addon's rules."""
        rules = self.env['ir.rule'].sudo(self.u_nadia)
        reach = rules._eval_context()['account_manager_reach']
        self.assertIsNone(reach._reach)
        self.assertTrue(reach['restricted'])
        self.assertEqual(reach._reach, self.u_nadia._account_manager_reach())

    # ------------------------------------------------------------------
    # account.escalation
    # ------------------------------------------------------------------

    def test_escalation_matrix(self):
        all_escalations = (self.esc_adele | self.esc_anton | self.esc_raised_adele
                           | self.esc_held_karim | self.esc_held_adele)
        matrix = [
            # adele: her accounts', and the one she raised elsewhere
            (self.u_adele, self.esc_adele | self.esc_raised_adele | self.esc_held_adele,
             self.esc_anton | self.esc_held_karim),
            # karim: the ones he holds, wherever the account is, and those
            # his report holds, though he does not see her account
            (self.u_karim, self.esc_adele | self.esc_held_karim | self.esc_held_adele,
             self.esc_anton | self.esc_raised_adele),
            # kenji: nothing of karim's branch
            (self.u_kenji, self.Escalation, all_escalations),
            # nadia: her team's accounts and what her reports hold
            (self.u_nadia, self.esc_adele | self.esc_held_karim | self.esc_held_adele,
             self.esc_anton | self.esc_raised_adele),
            (self.u_niklas, self.esc_anton | self.esc_raised_adele,
             self.esc_adele | self.esc_held_adele),
            (self.u_gloria, all_escalations, self.Escalation),
            (self.user_admin, all_escalations, self.Escalation),
            (self.user_plain, all_escalations, self.Escalation),
        ]
        for user, visible, hidden in matrix:
            self.assertSees(user, visible)
            self.assertBlind(user, hidden)
        for user, escalation in [(self.u_adele, self.esc_raised_adele),
                                 (self.u_karim, self.esc_held_karim),
                                 (self.u_karim, self.esc_held_adele),
                                 (self.u_nadia, self.esc_held_karim),
                                 (self.u_gloria, self.esc_anton)]:
            self.assertOperations(user, escalation, {'write'})
        self.assertOperations(self.user_admin, self.esc_anton, {'write', 'unlink'})
        self.assertOperations(self.user_plain, self.esc_anton, set())

        def vals(account):
            return {'partner_id': account.id, 'subject': 'Invoices wrong'}
        for user, inside, outside in [(self.u_adele, self.acc_adele_2, self.acc_karim_1),
                                      (self.u_nadia, self.acc_adele_2, self.acc_anton_1)]:
            self.assertCreate(user, 'account.escalation', vals(inside), allowed=True)
            self.assertCreate(user, 'account.escalation', vals(self.acc_unassigned),
                              allowed=True)
            self.assertCreate(user, 'account.escalation', vals(outside), allowed=False)
        self.assertCreate(self.u_gloria, 'account.escalation', vals(self.acc_anton_1),
                          allowed=True)
        self.assertCreate(self.user_plain, 'account.escalation', vals(self.acc_anton_1),
                          allowed=False)

    def test_escalation_follows_account(self):
        """When the account moves, its escalations move with it."""
        self.assertBlind(self.u_kenji, self.esc_adele)
        self.acc_adele_1.account_manager_id = self.kenji
        self.assertSees(self.u_kenji, self.esc_adele)

    # ------------------------------------------------------------------
    # history: account.manager.assignment, account.manager.reassignment
    # ------------------------------------------------------------------

    def test_assignment_matrix(self):
        line_adele = self.current_lines(self.acc_adele_1)
        line_anton = self.current_lines(self.acc_anton_1)
        line_paris = self.current_lines(self.acc_katrin_paris)
        self.assertTrue(line_adele and line_anton and line_paris)
        matrix = [
            (self.u_adele, line_adele, line_anton | line_paris),
            (self.u_karim, self.Assignment, line_adele | line_anton),
            (self.u_nadia, line_adele | line_paris, line_anton),
            (self.u_niklas, line_anton | line_paris, line_adele),
            (self.u_gloria, line_adele | line_anton, self.Assignment),
            (self.user_admin, line_adele | line_anton, self.Assignment),
            (self.user_plain, line_adele | line_anton, self.Assignment),
        ]
        for user, visible, hidden in matrix:
            self.assertSees(user, visible)
            self.assertBlind(user, hidden)

    def test_history_only_corrected_by_administrators(self):
        line = self.current_lines(self.acc_adele_1)
        vals = {'partner_id': self.acc_adele_1.id, 'manager_id': self.adele.id,
                'date_start': '2017-01-01 00:00:00', 'date_end': '2017-02-01 00:00:00'}
        for user in (self.u_adele, self.u_nadia, self.u_gloria, self.user_plain):
            self.assertOperations(user, line, set())
            self.assertCreate(user, 'account.manager.assignment', vals, allowed=False)
            with self.assertRefused(AccessError, REFUSED['write']):
                line.sudo(user).write({'date_start': '2000-01-01 00:00:00'})
            self.assertNotEqual(line.date_start, '2000-01-01 00:00:00')
        self.assertOperations(self.user_admin, line, {'write', 'unlink'})
        self.assertCreate(self.user_admin, 'account.manager.assignment', vals, allowed=True)

    def test_reassignment_matrix(self):
        matrix = [
            (self.u_adele, self.reas_france, self.reas_germany),
            (self.u_karim, self.reas_france, self.reas_germany),
            (self.u_kenji, self.Reassignment, self.reas_france | self.reas_germany),
            (self.u_nadia, self.reas_france, self.reas_germany),
            (self.u_niklas, self.reas_germany, self.reas_france),
            (self.u_gloria, self.reas_france | self.reas_germany, self.Reassignment),
            (self.user_admin, self.reas_france | self.reas_germany, self.Reassignment),
            (self.user_plain, self.reas_france | self.reas_germany, self.Reassignment),
        ]
        for user, visible, hidden in matrix:
            self.assertSees(user, visible)
            self.assertBlind(user, hidden)
        # The audit trail is written by the addon alone: nobody, an
        # administrator included, writes, creates or deletes a run by hand.
        for user in (self.u_adele, self.u_nadia, self.u_gloria, self.user_plain,
                     self.user_admin):
            self.assertOperations(user, self.reas_germany if user != self.u_nadia
                                  else self.reas_france, set())
        vals = {'from_manager_id': self.adele.id, 'to_manager_id': self.karim.id,
                'reason': 'Holiday cover', 'state': 'queued', 'queued_count': 1}
        for user in (self.u_adele, self.u_nadia, self.u_gloria, self.user_plain,
                     self.user_admin):
            self.assertCreate(user, 'account.manager.reassignment', vals, allowed=False)

    # ------------------------------------------------------------------
    # configuration: account.manager, account.territory, account.manager.tier
    # ------------------------------------------------------------------

    def test_configuration_matrix(self):
        """Everybody internal reads the configuration (pickers need it);
        only administrators change it."""
        managers = self.gloria | self.nadia | self.niklas | self.karim | self.anton
        territories = self.t_world | self.t_france | self.t_bavaria
        tiers = self.tier_am | self.tier_gam
        # Records nothing depends on, so that deleting them is only a
        # matter of access rights.
        spare_manager = self.Manager.create({
            'user_id': self._create_user('am_spare', self.group_own).id,
            'tier_id': self.tier_am.id, 'parent_id': self.katrin.id})
        spare_territory = self.Territory.create({
            'name': 'Hamburg', 'code': 'DE-HH', 'territory_type': 'area',
            'parent_id': self.t_germany.id})
        spare_tier = self.Tier.create({
            'name': 'Regional Account Manager', 'code': 'RAM', 'level': 25})
        new_user = self._create_user('am_new', self.group_own)
        samples = [
            (spare_manager, {'user_id': new_user.id, 'tier_id': self.tier_am.id,
                             'parent_id': self.katrin.id}),
            (spare_territory, {'name': 'Saxony', 'code': 'DE-SN',
                               'territory_type': 'area', 'parent_id': self.t_germany.id}),
            (spare_tier, {'name': 'Senior Account Manager', 'code': 'SAM', 'level': 15}),
        ]
        for user in (self.u_adele, self.u_nadia, self.u_gloria, self.user_plain,
                     self.user_admin):
            self.assertSees(user, managers)
            self.assertSees(user, territories)
            self.assertSees(user, tiers)
            admin = user == self.user_admin
            for record, vals in samples:
                self.assertOperations(user, record, {'write', 'unlink'} if admin else set())
                self.assertCreate(user, record._name, vals, allowed=admin)

    # ------------------------------------------------------------------
    # multi-company
    # ------------------------------------------------------------------

    def test_multi_company(self):
        company_b = self.env['res.company'].create({'name': 'Account Managers Iberia'})
        user_b = self.env['res.users'].create({
            'name': 'Beatriz', 'login': 'am_beatriz', 'company_id': company_b.id,
            'company_ids': [(6, 0, company_b.ids)],
            'groups_id': [(6, 0, self.group_own.ids)]})
        manager_b = self.Manager.create({
            'user_id': user_b.id, 'tier_id': self.tier_am.id, 'company_id': company_b.id})
        territory_b = self.Territory.create({
            'name': 'Spain', 'code': 'ES', 'territory_type': 'country',
            'company_id': company_b.id, 'manager_id': manager_b.id})
        account_b = self.Partner.create({
            'name': 'Madrid Motors', 'is_company': True, 'company_id': company_b.id,
            'account_manager_id': manager_b.id, 'territory_id': territory_b.id})
        line_b = self.current_lines(account_b)
        escalation_b = self.Escalation.create({
            'partner_id': account_b.id, 'subject': 'Broken parts',
            'manager_id': manager_b.id, 'company_id': company_b.id})
        reassignment_b = self.Reassignment.create({
            'to_manager_id': manager_b.id, 'reason': 'Start', 'company_id': company_b.id})
        self.assertEqual(line_b.company_id, company_b)
        records_b = [manager_b, territory_b, line_b, escalation_b, reassignment_b]
        for user in (self.u_gloria, self.user_admin, self.user_plain, self.u_nadia):
            for record in records_b:
                self.assertBlind(user, record)
        for record in records_b:
            self.assertSees(user_b, record)
        self.assertBlind(user_b, self.adele)
        self.assertBlind(user_b, self.t_france)
