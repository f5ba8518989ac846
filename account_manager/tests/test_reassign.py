from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tools import mute_logger

from .common import AccountManagerCase


class TestReassign(AccountManagerCase):
    """The reassign wizard (entry points, preview, refusals, rights) and the
    machinery behind it (``account.manager.reassignment._execute``)."""

    @classmethod
    def setUpClass(cls):
        super(TestReassign, cls).setUpClass()
        cls.Wizard = cls.env['account.manager.reassign.wizard']
        cls.Reassignment = cls.env['account.manager.reassignment']
        cls.Activity = cls.env['mail.activity']
        cls.Message = cls.env['mail.message']
        cls.Followers = cls.env['mail.followers']
        cls.todo = cls.env.ref('mail.mail_activity_data_todo')
        cls.param = cls.env['ir.config_parameter'].sudo()
        # Plenty of room by default; capacity tests set their own.
        (cls.Manager.search([])).write({'capacity': 0})

    # -- helpers ----------------------------------------------------------

    def open_wizard(self, user, model, ids, **vals):
        """Create the wizard the way the web client does: default_get with
        the records the user acted on in the context, then create."""
        vals.setdefault('reason', 'Portfolio rebalancing')
        wizard_env = self.Wizard.sudo(user).with_context(
            active_model=model, active_ids=ids, active_id=ids[0] if ids else False)
        return wizard_env.create(vals)

    def reassign(self, user, model, records, to_manager, **vals):
        wizard = self.open_wizard(user, model, records.ids, to_manager_id=to_manager.id, **vals)
        action = wizard.action_reassign()
        self.assertEqual(action['res_model'], 'account.manager.reassignment')
        return self.Reassignment.browse(action['res_id'])

    def contacts(self, accounts):
        return self.Partner.search([('parent_id', 'in', accounts.ids)])

    def activity(self, partner, user, summary='Follow up'):
        return self.Activity.sudo().create({
            'res_model_id': self.env.ref('base.model_res_partner').id,
            'res_id': partner.id, 'user_id': user.id,
            'activity_type_id': self.todo.id, 'summary': summary})

    def follows(self, partner, manager):
        return bool(self.Followers.sudo().search([
            ('res_model', '=', 'res.partner'), ('res_id', '=', partner.id),
            ('partner_id', '=', manager.user_id.partner_id.id)]))

    def handover_messages(self, accounts):
        return self.Message.sudo().search([
            ('model', '=', 'res.partner'), ('res_id', 'in', accounts.ids),
            ('tracking_value_ids.field', '=', 'account_manager_id')])

    def snapshot(self):
        """Everything a reassignment could write, to prove a refusal wrote
        nothing."""
        cr = self.env.cr
        cr.execute("""SELECT id, account_manager_id, account_manager_user_id,
                             account_manager_tier_id, write_date
                        FROM res_partner ORDER BY id""")
        partners = cr.fetchall()
        cr.execute("SELECT id, date_end FROM account_manager_assignment ORDER BY id")
        lines = cr.fetchall()
        cr.execute("SELECT id, user_id FROM mail_activity ORDER BY id")
        activities = cr.fetchall()
        counts = []
        for table in ('account_manager_reassignment', 'mail_message',
                      'mail_tracking_value', 'mail_followers'):
            cr.execute('SELECT count(*) FROM %s' % table)
            counts.append(cr.fetchone()[0])
        return partners, lines, activities, counts

    def assertNothingWritten(self, before):
        self.assertEqual(self.snapshot(), before, "A refused reassignment wrote something")

    def assertMoved(self, accounts, manager, reassignment):
        """Accounts and contacts hold ``manager``; each account has exactly
        one current line, of this reassignment, and its previous one closed
        when the new one started."""
        self.env.cache.invalidate()
        for account in accounts:
            self.assertEqual(account.account_manager_id, manager, account.name)
            self.assertEqual(account.account_manager_user_id, manager.user_id)
            self.assertEqual(account.account_manager_tier_id, manager.tier_id)
            for contact in self.contacts(account):
                self.assertEqual(contact.account_manager_id, manager, contact.name)
                self.assertEqual(contact.account_manager_user_id, manager.user_id)
                self.assertEqual(contact.account_manager_tier_id, manager.tier_id)
            current = self.current_lines(account)
            self.assertEqual(len(current), 1, account.name)
            self.assertEqual(current.manager_id, manager)
            self.assertEqual(current.origin, reassignment.origin)
            self.assertEqual(current.reassignment_id, reassignment)
            self.assertEqual(current.reason, reassignment.reason)
            self.assertEqual(current.date_start, reassignment.date)
            previous = self.Assignment.search([
                ('partner_id', '=', account.id), ('id', '<', current.id)], limit=1,
                order='id desc')
            if previous:
                self.assertEqual(previous.date_end, reassignment.date)
        self.assertEqual(reassignment.assignment_ids.mapped('partner_id'), accounts)
        self.assertEqual(len(reassignment.assignment_ids), len(accounts))

    # -- entry points ---------------------------------------------------------

    def test_selection_entry(self):
        """From the Action menu of selected partners: a selected contact
        stands for its account; accounts, contacts, history, chatter follow."""
        contact = self.contacts(self.acc_adele_2)
        wizard = self.open_wizard(
            self.gloria.user_id, 'res.partner', (self.acc_adele_1 | contact).ids,
            to_manager_id=self.kenji.id, reason='Adele moves to Lyon')
        self.assertEqual(wizard.partner_ids, self.acc_adele_1 | self.acc_adele_2)
        self.assertEqual((wizard.account_count, wizard.contact_count), (2, 2))
        reassignment = self.Reassignment.browse(wizard.action_reassign()['res_id'])

        accounts = self.acc_adele_1 | self.acc_adele_2
        self.assertEqual(reassignment.state, 'done')
        self.assertEqual((reassignment.account_count, reassignment.contact_count), (2, 2))
        self.assertEqual(reassignment.from_manager_id, self.adele)
        self.assertEqual(reassignment.to_manager_id, self.kenji)
        self.assertEqual(reassignment.user_id, self.gloria.user_id)
        self.assertEqual(reassignment.reason, 'Adele moves to Lyon')
        self.assertEqual(reassignment.origin, 'reassign')
        self.assertMoved(accounts, self.kenji, reassignment)
        self.assertEqual(self.adele.account_count, 0)
        self.assertEqual(self.kenji.account_count, 4)

        # One note per account, by the user, with the reason and old → new.
        messages = self.handover_messages(accounts)
        self.assertEqual(sorted(messages.mapped('res_id')), sorted(accounts.ids))
        for message in messages:
            self.assertEqual(message.author_id, self.gloria.user_id.partner_id)
            self.assertEqual(message.subtype_id, self.env.ref('mail.mt_note'))
            self.assertIn('Adele moves to Lyon', message.body)
            self.assertIn(reassignment.name, message.body)
            tracking = message.tracking_value_ids
            self.assertEqual((tracking.old_value_integer, tracking.new_value_integer),
                             (self.adele.id, self.kenji.id))
            self.assertEqual((tracking.old_value_char, tracking.new_value_char),
                             ('Adele', 'Kenji'))
        # The audit trail leads to the accounts moved.
        action = reassignment.action_view_accounts()
        self.assertEqual(self.Partner.search(action['domain']), accounts)

    def test_manager_entry(self):
        """From a manager's form: all their accounts; a team lead inside her
        team."""
        wizard = self.open_wizard(self.nadia.user_id, 'account.manager', self.adele.ids,
                                  to_manager_id=self.arthur.id)
        self.assertEqual(wizard.source, 'manager')
        self.assertEqual(wizard.from_manager_id, self.adele)
        self.assertEqual(wizard.account_count, 2)
        reassignment = self.Reassignment.browse(wizard.action_reassign()['res_id'])
        self.assertMoved(self.acc_adele_1 | self.acc_adele_2, self.arthur, reassignment)
        self.assertEqual(reassignment.user_id, self.nadia.user_id)
        self.assertEqual(self.arthur.account_count, 4)

    def test_territory_entry(self):
        """From a territory's form: its accounts and those of its
        sub-territories (Paris is inside France); those already with the
        target are skipped; a manager narrows the territory down."""
        france = (self.acc_adele_1 | self.acc_adele_2 | self.acc_arthur_1
                  | self.acc_arthur_2 | self.acc_karim_1 | self.acc_karim_2
                  | self.acc_kenji_1 | self.acc_kenji_2)
        wizard = self.open_wizard(self.gloria.user_id, 'account.territory',
                                  self.t_france.ids, to_manager_id=self.nadia.id)
        self.assertEqual(wizard.source, 'territory')
        self.assertEqual((wizard.account_count, wizard.skipped_count), (8, 1))
        self.assertEqual(wizard.skipped_ids, self.acc_nadia_1)
        reassignment = self.Reassignment.browse(wizard.action_reassign()['res_id'])
        self.assertEqual(reassignment.account_count, 8)
        self.assertMoved(france, self.nadia, reassignment)
        self.assertFalse(self.current_lines(self.acc_nadia_1).reassignment_id)
        self.assertEqual(self.acc_katrin_1.account_manager_id, self.katrin)

        wizard = self.open_wizard(self.gloria.user_id, 'account.territory',
                                  self.t_germany.ids, to_manager_id=self.niklas.id,
                                  from_manager_id=self.anton.id)
        self.assertEqual(wizard.account_count, 2)
        reassignment = self.Reassignment.browse(wizard.action_reassign()['res_id'])
        self.assertMoved(self.acc_anton_1 | self.acc_anton_2, self.niklas, reassignment)
        self.assertEqual(self.acc_katrin_1.account_manager_id, self.katrin)

    # -- preview --------------------------------------------------------------

    def test_preview(self):
        """Counts, open activities that would move, the target's load against
        capacity, tier violations and skipped accounts, before anything runs."""
        contact = self.contacts(self.acc_adele_1)
        self.activity(self.acc_adele_1, self.adele.user_id)
        self.activity(self.acc_adele_1, self.adele.user_id, 'Second call')
        self.activity(contact, self.adele.user_id)
        self.activity(self.acc_adele_1, self.gloria.user_id)  # not the manager's: stays
        self.kenji.capacity = 5
        selection = self.acc_adele_1 | self.acc_adele_2 | self.acc_kenji_1
        wizard = self.open_wizard(self.gloria.user_id, 'res.partner', selection.ids,
                                  to_manager_id=self.kenji.id)
        self.assertEqual(wizard.account_count, 2)
        self.assertEqual(wizard.contact_count, 2)
        self.assertEqual(wizard.activity_count, 3)
        self.assertEqual((wizard.skipped_count, wizard.skipped_ids), (1, self.acc_kenji_1))
        self.assertEqual((wizard.target_account_count, wizard.target_account_count_after,
                          wizard.target_capacity), (2, 4, 5))
        self.assertAlmostEqual(wizard.target_load_before, 40.0)
        self.assertAlmostEqual(wizard.target_load_after, 80.0)
        self.assertFalse(wizard.over_capacity)
        self.assertFalse(wizard.tier_violation_ids)

        # Over capacity: a warning (not strict), and a required tier missed.
        self.kenji.capacity = 3
        wizard = self.open_wizard(self.gloria.user_id, 'res.partner',
                                  (self.acc_adele_1 | self.acc_karim_1).ids,
                                  to_manager_id=self.arthur.id)
        self.assertEqual(wizard.tier_violation_ids, self.acc_karim_1)
        wizard.to_manager_id = self.kenji
        self.assertTrue(wizard.over_capacity)
        self.assertFalse(wizard.strict_capacity)
        self.assertFalse(wizard.tier_violation_ids)
        self.tier_kam.strict_capacity = True
        wizard.invalidate_cache()
        self.assertTrue(wizard.strict_capacity)
        # Nothing was written by previewing.
        self.assertEqual(self.acc_adele_1.account_manager_id, self.adele)

    def test_preview_in_the_form(self):
        """The form previews before anything is saved: its onchange computes
        on a new record, as the user, from the values the client sends."""
        user = self.nadia.user_id
        selection = self.acc_adele_1 | self.acc_arthur_1
        wizard_env = self.Wizard.sudo(user).with_context(
            active_model='res.partner', active_ids=selection.ids, active_id=selection[0].id)
        view = wizard_env.fields_view_get(view_type='form')
        values = dict.fromkeys(view['fields'], False)
        values.update(wizard_env.default_get(list(view['fields'])))
        values.update(to_manager_id=self.karim.id, reason='Rebalancing')
        result = wizard_env.onchange(values, 'to_manager_id', wizard_env._onchange_spec(view))
        preview = result['value']
        self.assertEqual(preview.get('account_count'), 2, preview)
        self.assertEqual(preview.get('target_account_count_after'),
                         preview.get('target_account_count', 0) + 2, preview)

    # -- refusals ---------------------------------------------------------------

    def test_refuse_empty_selection(self):
        before = self.snapshot()
        wizard = self.open_wizard(self.gloria.user_id, 'res.partner', [],
                                  to_manager_id=self.kenji.id)
        with self.assertRefused(UserError, 'Select the accounts'):
            wizard.action_reassign()
        wizard = self.open_wizard(self.gloria.user_id, 'account.manager', self.gloria.ids,
                                  to_manager_id=self.kenji.id)
        with self.assertRefused(UserError, 'Gloria holds no accounts'):
            wizard.action_reassign()
        self.assertNothingWritten(before)

    def test_refuse_without_reason(self):
        before = self.snapshot()
        for reason in ('', '   '):
            wizard = self.open_wizard(self.gloria.user_id, 'res.partner',
                                      self.acc_adele_1.ids, to_manager_id=self.kenji.id,
                                      reason=reason)
            with self.assertRefused(UserError, 'reason'):
                wizard.action_reassign()
        self.assertNothingWritten(before)

    def test_refuse_archived_target(self):
        retired = self._create_manager('rita', self.tier_kam, self.group_own, self.nadia)
        retired.active = False
        before = self.snapshot()
        wizard = self.open_wizard(self.gloria.user_id, 'res.partner',
                                  self.acc_adele_1.ids, to_manager_id=retired.id)
        with self.assertRefused(UserError, 'Rita is archived'):
            wizard.action_reassign()
        with self.assertRefused(UserError, 'Rita is archived'):
            self.Reassignment.sudo()._execute(self.acc_adele_1, retired, 'x')
        self.assertNothingWritten(before)

    def test_refuse_target_below_required_tier(self):
        before = self.snapshot()
        wizard = self.open_wizard(self.gloria.user_id, 'res.partner',
                                  (self.acc_karim_1 | self.acc_karim_2).ids,
                                  to_manager_id=self.adele.id)
        with self.assertRefused(UserError, 'Airbus Sud') as caught:
            wizard.action_reassign()
        self.assertNotIn('Renault Nord', str(caught.exception))
        # The machinery refuses it too, whoever calls it.
        with self.assertRefused(UserError, 'Airbus Sud'):
            self.Reassignment.sudo()._execute(self.acc_karim_1, self.adele, 'x',
                                              origin='territory')
        self.assertNothingWritten(before)

    def test_capacity_refused_only_when_strict(self):
        self.anton.capacity = 3
        selection = self.acc_adele_1 | self.acc_adele_2
        before = self.snapshot()
        self.tier_am.strict_capacity = True
        wizard = self.open_wizard(self.gloria.user_id, 'res.partner', selection.ids,
                                  to_manager_id=self.anton.id)
        with self.assertRefused(UserError, 'Anton can hold 3 accounts and holds 2'):
            wizard.action_reassign()
        self.tier_am.strict_capacity = False
        self.company.account_manager_strict_capacity = True
        with self.assertRefused(UserError, 'Anton can hold 3'):
            wizard.action_reassign()
        self.company.account_manager_strict_capacity = False
        self.assertNothingWritten(before)
        # Not strict: it goes through, over capacity.
        wizard.action_reassign()
        self.assertEqual(self.anton.account_count, 4)

    def test_refuse_dates(self):
        before = self.snapshot()
        wizard = self.open_wizard(self.gloria.user_id, 'res.partner',
                                  self.acc_adele_1.ids, to_manager_id=self.kenji.id,
                                  date_effective='2999-01-01 00:00:00')
        with self.assertRefused(UserError, 'in the future'):
            wizard.action_reassign()
        wizard.date_effective = '2000-01-01 00:00:00'
        with self.assertRefused(UserError, 'Boulangerie Adèle'):
            wizard.action_reassign()
        self.assertNothingWritten(before)

    def test_refuse_nothing_to_move(self):
        before = self.snapshot()
        wizard = self.open_wizard(self.gloria.user_id, 'res.partner',
                                  self.acc_kenji_1.ids, to_manager_id=self.kenji.id)
        with self.assertRefused(UserError, 'already managed by Kenji'):
            wizard.action_reassign()
        self.assertNothingWritten(before)

    def test_refuse_records_out_of_reach(self):
        """A record the user cannot see (another company's partner) among the
        requested ones refuses the whole request instead of dropping it."""
        self.env.ref('base.res_partner_rule').active = True  # partners per company
        other = self.env['res.company'].create({'name': 'Other Co'})
        hidden = self.Partner.create({'name': 'Hidden GmbH', 'is_company': True,
                                      'company_id': other.id})
        before = self.snapshot()
        with self.assertRefused(AccessError, 'outside your access.*%d' % hidden.id):
            self.open_wizard(self.nadia.user_id, 'res.partner',
                             (self.acc_adele_1 | hidden).ids, to_manager_id=self.kenji.id)
        # Nor can the selection be forged on the wizard itself.
        wizard = self.open_wizard(self.nadia.user_id, 'res.partner',
                                  self.acc_adele_1.ids, to_manager_id=self.kenji.id)
        wizard.sudo().partner_ids = self.acc_adele_1 | hidden
        with self.assertRefused(AccessError, 'outside your access.*%d' % hidden.id):
            wizard.action_reassign()
        self.assertNothingWritten(before)

    # -- rights -----------------------------------------------------------------

    def test_team_lead_inside_subtree(self):
        """Nadia moves accounts inside her team, and may give an account no
        one holds to one of her managers. The target list offers her team
        only."""
        wizard = self.open_wizard(self.nadia.user_id, 'res.partner', self.acc_adele_1.ids)
        self.assertEqual(wizard.allowed_manager_ids,
                         self.nadia | self.karim | self.kenji | self.adele | self.arthur)
        wizard = self.open_wizard(self.gloria.user_id, 'res.partner', self.acc_adele_1.ids)
        self.assertIn(self.katrin, wizard.allowed_manager_ids)
        # The form gets the list from default_get: its first onchange keeps
        # the value the client sends for a compute without dependencies.
        wizard_env = self.Wizard.sudo(self.nadia.user_id).with_context(
            active_model='res.partner', active_ids=self.acc_adele_1.ids,
            active_id=self.acc_adele_1.id)
        defaults = wizard_env.default_get(['partner_ids', 'allowed_manager_ids'])
        self.assertEqual(set(defaults['allowed_manager_ids'][0][2]),
                         set((self.nadia | self.karim | self.kenji | self.adele | self.arthur).ids))
        reassignment = self.reassign(self.nadia.user_id, 'res.partner',
                                     self.acc_adele_1 | self.acc_arthur_1, self.karim)
        self.assertMoved(self.acc_adele_1 | self.acc_arthur_1, self.karim, reassignment)
        reassignment = self.reassign(self.nadia.user_id, 'res.partner',
                                     self.acc_unassigned, self.kenji)
        self.assertMoved(self.acc_unassigned, self.kenji, reassignment)
        self.assertFalse(reassignment.from_manager_id)

    def test_team_lead_outside_subtree(self):
        """Not an account of another team (even one in her own territory, which
        she can see), not to a manager of another team."""
        katrin_in_paris = self._create_account('Galeries Lafayette', self.katrin, self.t_paris)
        before = self.snapshot()
        wizard = self.open_wizard(self.nadia.user_id, 'res.partner',
                                  (self.acc_adele_1 | katrin_in_paris).ids,
                                  to_manager_id=self.kenji.id)
        refused = r'outside it:.{1,4}- Galeries Lafayette \(Katrin\)'
        with self.assertRefused(AccessError, refused) as caught:
            wizard.action_reassign()
        self.assertNotIn('Boulangerie', str(caught.exception))
        wizard = self.open_wizard(self.nadia.user_id, 'res.partner',
                                  self.acc_adele_1.ids, to_manager_id=self.katrin.id)
        with self.assertRefused(AccessError, 'Katrin is not in it'):
            wizard.action_reassign()
        # Niklas' accounts, from his form: out of her team (or out of her
        # sight, once the access rules hide them).
        with self.assertRefused(AccessError, 'Deutsche Bahn|outside your access'):
            wizard = self.open_wizard(self.nadia.user_id, 'account.manager',
                                      self.niklas.ids, to_manager_id=self.kenji.id)
            wizard.action_reassign()
        with self.assertRefused(AccessError, 'Münchner Brauhaus|outside your access'):
            wizard = self.open_wizard(self.nadia.user_id, 'account.territory',
                                      self.t_bavaria.ids, to_manager_id=self.kenji.id)
            wizard.action_reassign()
        self.assertNothingWritten(before)

    def test_own_and_plain_users_cannot_reassign(self):
        """Handing accounts over is a team lead's call: a manager with Own
        Accounts cannot, even their own accounts; a user outside the
        addon's groups neither."""
        before = self.snapshot()
        for user in (self.karim.user_id, self.user_plain):
            # Refused as the wizard opens (the Action menu hides it from them).
            with self.assertRefused(AccessError, 'Only team leads'):
                self.open_wizard(user, 'res.partner', self.acc_karim_2.ids,
                                 to_manager_id=self.kenji.id)
            # A wizard made without the Action menu's context shows nothing
            # and moves nothing.
            wizard = self.env['account.manager.reassign.wizard'].sudo(user).create({
                'partner_ids': [(6, 0, self.acc_karim_2.ids)],
                'to_manager_id': self.kenji.id, 'reason': 'forged'})
            self.assertEqual(
                (wizard.account_count, wizard.contact_count, wizard.target_account_count,
                 wizard.target_capacity), (0, 0, 0, 0))
            with self.assertRefused(AccessError, 'Only team leads'):
                wizard.action_reassign()
        self.assertNothingWritten(before)

    # -- options ----------------------------------------------------------------

    def test_options_off(self):
        """Activities, followers and notifications stay put unless asked."""
        contact = self.contacts(self.acc_adele_1)
        todo = self.activity(self.acc_adele_1, self.adele.user_id)
        todo_contact = self.activity(contact, self.adele.user_id)
        self.acc_adele_1.message_subscribe(partner_ids=self.adele.user_id.partner_id.ids)
        reassignment = self.reassign(
            self.gloria.user_id, 'res.partner', self.acc_adele_1, self.kenji,
            move_activities=False, swap_followers=False, notify=False)
        self.assertEqual((todo.user_id, todo_contact.user_id),
                         (self.adele.user_id, self.adele.user_id))
        self.assertTrue(self.follows(self.acc_adele_1, self.adele))
        self.assertFalse(self.follows(self.acc_adele_1, self.kenji))
        self.assertFalse(reassignment.message_ids.filtered(
            lambda m: m.message_type == 'comment'))
        self.assertEqual(reassignment.activity_count, 0)

    def test_options_on(self):
        """The old manager's open activities (account and contacts) go to the
        new manager, followers swap, and both managers hear about it."""
        contact = self.contacts(self.acc_adele_1)
        todo = self.activity(self.acc_adele_1, self.adele.user_id)
        todo_contact = self.activity(contact, self.adele.user_id)
        someone_else = self.activity(self.acc_adele_1, self.gloria.user_id)
        elsewhere = self.activity(self.acc_adele_2, self.adele.user_id)
        self.acc_adele_1.message_subscribe(partner_ids=self.adele.user_id.partner_id.ids)
        reassignment = self.reassign(
            self.gloria.user_id, 'res.partner', self.acc_adele_1, self.kenji,
            move_activities=True, swap_followers=True, notify=True)
        self.assertEqual((todo.user_id, todo_contact.user_id),
                         (self.kenji.user_id, self.kenji.user_id))
        self.assertEqual(someone_else.user_id, self.gloria.user_id)
        self.assertEqual(elsewhere.user_id, self.adele.user_id)
        self.assertEqual(reassignment.activity_count, 2)
        self.assertFalse(self.follows(self.acc_adele_1, self.adele))
        self.assertTrue(self.follows(self.acc_adele_1, self.kenji))
        follower = self.Followers.sudo().search([
            ('res_model', '=', 'res.partner'), ('res_id', '=', self.acc_adele_1.id),
            ('partner_id', '=', self.kenji.user_id.partner_id.id)])
        self.assertIn(self.env.ref('mail.mt_comment'), follower.subtype_ids)
        # Untouched: the account that did not move.
        self.assertTrue(self.follows(self.acc_adele_2, self.adele))
        notice = reassignment.message_ids.filtered(lambda m: m.message_type == 'comment')
        self.assertEqual(len(notice), 1)
        self.assertEqual(notice.partner_ids, (self.adele | self.kenji).mapped('user_id.partner_id'))
        self.assertIn('Portfolio rebalancing', notice.body)
        self.assertEqual(notice.author_id, self.gloria.user_id.partner_id)

    def test_swap_keeps_existing_follower(self):
        """The new manager already following an account: no duplicate (the
        followers table allows one row per partner and record)."""
        self.acc_adele_1.message_subscribe(partner_ids=self.kenji.user_id.partner_id.ids)
        self.reassign(self.gloria.user_id, 'res.partner', self.acc_adele_1 | self.acc_adele_2,
                      self.kenji, swap_followers=True)
        self.assertTrue(self.follows(self.acc_adele_1, self.kenji))
        self.assertTrue(self.follows(self.acc_adele_2, self.kenji))

    # -- machinery --------------------------------------------------------------

    def test_execute_by_trusted_code(self):
        """Territory realignment calls the machinery directly, with its own
        origin; a datetime works as effective date."""
        date = fields.Datetime.from_string('2030-01-01 08:00:00')
        self.env.cr.execute("UPDATE account_manager_assignment SET date_start = '2020-01-01'")
        with self.assertRefused(UserError, 'in the future'):
            self.Reassignment.sudo()._execute(self.acc_anton_1, self.katrin, 'Realign', date=date)
        date = fields.Datetime.from_string('2021-06-01 08:00:00')
        reassignment = self.Reassignment.sudo()._execute(
            self.acc_anton_1 | self.acc_anton_2 | self.acc_katrin_1, self.katrin,
            'Bavaria goes to Katrin', origin='territory', date=date)
        self.assertEqual(reassignment.origin, 'territory')
        self.assertEqual(reassignment.date, '2021-06-01 08:00:00')
        self.assertEqual(reassignment.account_count, 2)
        self.assertMoved(self.acc_anton_1 | self.acc_anton_2, self.katrin, reassignment)
        # Nothing left to move: nothing recorded.
        count = self.Reassignment.search_count([])
        self.assertFalse(self.Reassignment.sudo()._execute(self.acc_anton_1, self.katrin, 'Again'))
        self.assertEqual(self.Reassignment.search_count([]), count)

    def test_form_edit_still_records_history(self):
        """The plain ORM path (one edit in the form) keeps its history, now
        written with one INSERT for all the accounts of a write."""
        accounts = self.acc_adele_1 | self.acc_adele_2
        accounts.write({'account_manager_id': self.arthur.id})
        for account in accounts:
            line = self.current_lines(account)
            self.assertEqual((line.manager_id, line.origin), (self.arthur, 'manual'))
            self.assertEqual(len(account.assignment_ids), 2)
        self.assertEqual(self.contacts(accounts).mapped('account_manager_id'), self.arthur)
        with self.assertRefused(UserError, 'Boulangerie Adèle'):
            self.acc_adele_1._write_account_manager(self.kenji, date='2000-01-01 00:00:00')

    def test_queries_do_not_grow_with_accounts(self):
        """The bulk path issues a fixed number of queries per batch: moving
        ten times more accounts costs no more queries."""
        team = [self._create_manager('bulk%d' % i, self.tier_am, self.group_own, self.karim)
                for i in range(2)]
        accounts = self.Partner.browse([
            self._create_account('Bulk %d' % i, team[0], self.t_paris).id for i in range(60)])
        for account in accounts[:30]:
            self.activity(account, team[0].user_id)
        self.param.set_param('account_manager.reassign_batch_size', '1000')
        Reassignment = self.Reassignment.sudo()
        options = dict(move_activities=True, swap_followers=True, notify=True)

        def queries(partners, target):
            start = self.cr.sql_log_count
            Reassignment._execute(partners, target, 'Bulk', **options)
            return self.cr.sql_log_count - start

        queries(accounts[:3], team[1])  # warm the caches
        few = queries(accounts[3:9], team[1])
        many = queries(accounts[9:], team[1])
        self.assertLessEqual(many, few + 2, "queries grow with the number of accounts")
        self.assertEqual(team[1].account_count, 60)
        # Batches of 20: more rounds, still nowhere near one query per account.
        self.param.set_param('account_manager.reassign_batch_size', '20')
        # set_param cleared the registry's caches: warm them again first.
        queries(accounts[:3], team[0])
        batched = queries(accounts[3:], team[0])
        self.assertLess(batched, many + 3 * 12)
        self.assertEqual(team[0].account_count, 60)

    # -- background ------------------------------------------------------------

    def signature(self, accounts):
        """What a reassignment left on the accounts, without ids or names that
        differ from one run to the next."""
        self.env.cache.invalidate()
        result = []
        for account in accounts.sorted('id'):
            line = self.current_lines(account)
            messages = self.handover_messages(account)
            result.append((
                account.id, account.account_manager_id.id,
                tuple(self.contacts(account).mapped('account_manager_id').ids),
                line.origin, line.reason, line.date_start,
                bool(line.reassignment_id), len(account.assignment_ids),
                len(messages), tuple(messages.mapped('tracking_value_ids.old_value_integer')),
                tuple(self.Activity.search([('res_model', '=', 'res.partner'),
                                            ('res_id', '=', account.id)]).mapped('user_id').ids),
                self.follows(account, self.kenji), self.follows(account, self.adele)))
        reassignment = line.reassignment_id
        return result, (reassignment.account_count, reassignment.contact_count,
                        reassignment.activity_count, reassignment.state,
                        reassignment.from_manager_id.id, reassignment.origin)

    def test_background_same_as_direct(self):
        """Above the threshold the wizard queues; the scheduled action then
        produces exactly what the direct path does."""
        accounts = self.acc_adele_1 | self.acc_adele_2 | self.acc_arthur_1 | self.acc_arthur_2
        self.activity(self.acc_adele_1, self.adele.user_id)
        self.activity(self.acc_arthur_2, self.arthur.user_id)
        self.acc_adele_1.message_subscribe(partner_ids=self.adele.user_id.partner_id.ids)
        date = '2024-05-01 10:00:00'
        self.env.cr.execute("UPDATE account_manager_assignment SET date_start = '2020-01-01'")
        self.env.cache.invalidate()
        vals = dict(reason='Kenji takes over', date_effective=date, move_activities=True,
                    swap_followers=True, notify=True)

        self.env.cr.execute('SAVEPOINT direct')
        direct = self.reassign(self.nadia.user_id, 'res.partner', accounts, self.kenji, **vals)
        self.assertEqual(direct.state, 'done')
        expected = self.signature(accounts)
        self.env.cr.execute('ROLLBACK TO SAVEPOINT direct')
        self.env.cache.invalidate()

        self.param.set_param('account_manager.reassign_async_threshold', '3')
        self.param.set_param('account_manager.reassign_batch_size', '3')
        wizard = self.open_wizard(self.nadia.user_id, 'res.partner', accounts.ids,
                                  to_manager_id=self.kenji.id, **vals)
        self.assertTrue(wizard.run_in_background)
        queued = self.Reassignment.browse(wizard.action_reassign()['res_id'])
        self.assertEqual((queued.state, queued.queued_count, queued.progress), ('queued', 4, 0))
        self.assertEqual(self.acc_adele_1.account_manager_id, self.adele, "moved too early")
        self.assertEqual(self.Partner.search(queued.action_view_accounts()['domain']), accounts)
        # Two batches (3 + 1 accounts), queue_job jobs in the addon's channel,
        # run as Nadia, who started it.
        # (queue.job orders by creation date, equal within a transaction.)
        jobs = queued.sudo().job_ids.sorted('id')
        self.assertEqual(jobs.mapped('account_manager_batch_size'), [3, 1])
        self.assertEqual(set(jobs.mapped('channel')), {'root.account_manager'})
        self.assertEqual(jobs.mapped('user_id'), self.nadia.user_id)
        self.assertEqual((queued.job_count, queued.job_done_count), (2, 0))
        self.run_jobs(expect=2)
        self.assertEqual((queued.state, queued.done_count, queued.progress), ('done', 4, 100))
        self.assertEqual((queued.job_count, queued.job_done_count), (2, 2))
        self.assertEqual(self.signature(accounts), expected)
        self.assertEqual(queued.user_id, self.nadia.user_id)
        self.assertEqual(queued.assignment_ids.mapped('user_id'), self.nadia.user_id)

    def test_background_in_queue_job_test_mode(self):
        """With queue_job's test mode (test_queue_job_no_delay) the batches
        run at once, one after the other, and the run completes."""
        self.param.set_param('account_manager.reassign_async_threshold', '1')
        self.param.set_param('account_manager.reassign_batch_size', '1')
        accounts = self.acc_adele_1 | self.acc_adele_2
        wizard = self.open_wizard(self.nadia.user_id, 'res.partner', accounts.ids,
                                  to_manager_id=self.kenji.id)
        with mute_logger('odoo.addons.queue_job.models.base'):
            action = wizard.with_context(test_queue_job_no_delay=True).action_reassign()
        reassignment = self.Reassignment.browse(action['res_id'])
        self.assertEqual((reassignment.state, reassignment.done_count), ('done', 2))
        self.assertFalse(reassignment.sudo().job_ids)
        self.assertMoved(accounts, self.kenji, reassignment)

    def test_migrate_queued_reassignments(self):
        """Upgrading from the addon's own queue: an unfinished run's
        remaining accounts become jobs, in the name of who started it."""
        self.acc_adele_1.sudo().account_manager_id = self.kenji
        reassignment = self.Reassignment.sudo().create({
            'to_manager_id': self.kenji.id, 'reason': 'Old queue', 'state': 'failed',
            'error_message': 'Server restarted', 'user_id': self.nadia.user_id.id,
            'queued_count': 3, 'done_count': 1})
        ids = [self.acc_adele_1.id, self.acc_adele_2.id, self.acc_arthur_1.id]
        self.Reassignment._migrate_queued([(reassignment.id, ids, 1)])
        jobs = reassignment.sudo().job_ids
        self.assertEqual((jobs.mapped('account_manager_batch_size'), jobs.mapped('user_id')),
                         ([2], self.nadia.user_id))
        self.assertEqual((reassignment.state, reassignment.error_message), ('running', False))
        self.run_jobs(expect=1)
        self.assertEqual((reassignment.state, reassignment.done_count), ('done', 3))
        self.assertEqual(reassignment.account_count, 2)
        self.assertEqual((self.acc_adele_2 | self.acc_arthur_1).mapped('account_manager_id'),
                         self.kenji)

    def test_background_failure_and_retry(self):
        self.param.set_param('account_manager.reassign_async_threshold', '1')
        accounts = self.acc_karim_2 | self.acc_kenji_1
        queued = self.reassign(self.gloria.user_id, 'res.partner', accounts, self.arthur)
        self.assertEqual(queued.state, 'queued')
        # The target turns unacceptable while queued: the batch fails, the
        # reassignment says why, and nothing moves.
        self.acc_karim_2.required_tier_id = self.tier_kam
        before = self.snapshot()
        with mute_logger('odoo.addons.account_manager.models.account_manager_reassignment'):
            self.run_jobs(expect=1)
        self.assertEqual((queued.state, queued.job_failed_count), ('failed', 1))
        self.assertIn('Renault Nord', queued.error_message)
        self.assertIn('below the tier these accounts require', queued.error_message)
        self.assertNotIn('Traceback', queued.error_message)
        partners, lines = self.snapshot()[:2]
        self.assertEqual((partners, lines), before[:2])
        # Only who started it, or an administrator, retries it; Niklas does
        # not even see it.
        with self.assertRefused(AccessError, 'Only Gloria'):
            queued.sudo(self.nadia.user_id).action_retry()
        with self.assertRefused(AccessError):
            queued.sudo(self.niklas.user_id).action_retry()
        self.assertEqual(queued.state, 'failed')
        # Fixed, and retried: the batch runs again and the run completes.
        self.acc_karim_2.required_tier_id = False
        queued.sudo(self.gloria.user_id).action_retry()
        self.assertEqual((queued.state, queued.error_message), ('queued', False))
        self.run_jobs(expect=1)
        self.assertEqual(queued.state, 'done')
        self.assertMoved(accounts, self.arthur, queued)
        with self.assertRefused(UserError, 'only queued, running or failed'):
            queued.sudo(self.gloria.user_id).action_retry()
        # A batch run again once the reassignment is done does nothing.
        self.assertEqual(self.run_jobs(), self.env['queue.job'])
        queued.sudo().job_ids.write({'state': 'pending'})
        self.run_jobs(expect=1)
        self.assertEqual(len(self.current_lines(self.acc_karim_2)), 1)
        self.assertEqual(queued.account_count, 2)
