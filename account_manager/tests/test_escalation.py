from datetime import datetime, timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError

from .common import AccountManagerCase


class Rollback(Exception):
    pass


def _dt(value):
    return fields.Datetime.from_string(value)


class EscalationCase(AccountManagerCase):

    @classmethod
    def setUpClass(cls):
        super(EscalationCase, cls).setUpClass()
        # Chatter behaves as in production: tracking and logging on.
        cls.env = cls.env(context=dict(
            cls.env.context, tracking_disable=False, mail_notrack=False))
        cls.Escalation = cls.env['account.escalation']
        cls.Wizard = cls.env['account.escalation.wizard']
        cls.activity_type = cls.env.ref('account_manager.mail_activity_type_escalation')
        for manager in (cls.gloria, cls.nadia, cls.niklas, cls.karim, cls.kenji,
                        cls.katrin, cls.adele, cls.arthur, cls.anton):
            setattr(cls, 'u_' + manager.user_id.name.lower(), manager.user_id)

    def escalate(self, account, user, **vals):
        """Escalate… from the account form, as ``user``."""
        vals.setdefault('subject', 'Third late delivery')
        wizard = self.Wizard.sudo(user).with_context(
            active_model='res.partner', active_id=account.id,
            active_ids=account.ids).create(vals)
        action = wizard.action_escalate()
        return self.Escalation.browse(action['res_id'])

    def escalate_further(self, escalation, user, **vals):
        """Escalate further… from the escalation form, as ``user``."""
        wizard = self.Wizard.sudo(user).with_context(
            active_model='account.escalation', active_id=escalation.id,
            active_ids=escalation.ids).create(vals)
        return wizard.action_escalate()

    def holder_activities(self, escalation):
        return self.env['mail.activity'].search([
            ('res_model', '=', 'account.escalation'),
            ('res_id', '=', escalation.id)])

    def snapshot(self, escalation):
        escalation.invalidate_cache()
        return (escalation.manager_id, escalation.state, escalation.hop_count,
                escalation.deadline, escalation.date_acknowledged,
                len(self.holder_activities(escalation)))


class TestEscalationWalk(EscalationCase):

    def test_walk_up_to_the_top(self):
        escalation = self.escalate(self.acc_adele_1, self.u_adele)
        self.assertEqual(escalation.origin_manager_id, self.adele)
        self.assertEqual(escalation.raised_by_id, self.u_adele)
        self.assertEqual((escalation.manager_id, escalation.hop_count, escalation.state),
                         (self.karim, 1, 'open'))
        self.escalate_further(escalation, self.u_karim)
        self.assertEqual((escalation.manager_id, escalation.hop_count), (self.nadia, 2))
        self.escalate_further(escalation, self.u_nadia)
        self.assertEqual((escalation.manager_id, escalation.hop_count), (self.gloria, 3))
        before = self.snapshot(escalation)
        with self.assertRefused(UserError, r'Nobody is available above Gloria.*%s'
                                % escalation.name):
            self.escalate_further(escalation, self.u_gloria)
        self.assertEqual(self.snapshot(escalation), before)
        self.assertEqual(escalation.origin_manager_id, self.adele)

    def test_raiser_above_account_manager_escalates_above_themselves(self):
        escalation = self.escalate(self.acc_adele_1, self.u_nadia)
        self.assertEqual(escalation.manager_id, self.gloria)
        self.assertEqual(escalation.origin_manager_id, self.adele)

    def test_manager_above_holder_escalates_above_themselves(self):
        escalation = self.escalate(self.acc_adele_1, self.u_adele)
        self.escalate_further(escalation, self.u_nadia)
        self.assertEqual(escalation.manager_id, self.gloria)

    def test_absent_manager_backup_receives_it(self):
        self.karim.write({'absent': True, 'backup_manager_id': self.kenji.id})
        escalation = self.escalate(self.acc_adele_1, self.u_adele)
        self.assertEqual(escalation.manager_id, self.kenji)
        # From the backup, the walk goes on above the backup.
        self.escalate_further(escalation, self.u_kenji)
        self.assertEqual(escalation.manager_id, self.nadia)

    def test_absent_manager_and_absent_backup_go_up(self):
        self.karim.write({'absent': True, 'backup_manager_id': self.kenji.id})
        self.kenji.absent = True
        escalation = self.escalate(self.acc_adele_1, self.u_adele)
        self.assertEqual(escalation.manager_id, self.nadia)

    def test_absent_manager_without_backup_goes_up(self):
        self.karim.absent = True
        self.assertEqual(self.escalate(self.acc_adele_1, self.u_adele).manager_id, self.nadia)

    def test_backup_not_above_the_holder_is_skipped(self):
        self.escalation = self.escalate(self.acc_adele_1, self.u_adele)
        self.nadia.write({'absent': True, 'backup_manager_id': self.kenji.id})
        # Kenji is Karim's peer: the escalation would not go up.
        self.escalate_further(self.escalation, self.u_karim)
        self.assertEqual(self.escalation.manager_id, self.gloria)

    def test_backup_who_is_the_holder_is_skipped(self):
        self.karim.write({'absent': True, 'backup_manager_id': self.adele.id})
        self.assertEqual(self.escalate(self.acc_adele_1, self.u_adele).manager_id, self.nadia)

    def test_archived_manager_backup_receives_it(self):
        paul = self._create_manager('paul', self.tier_nam, self.group_team, self.gloria)
        hugo = self._create_manager('hugo', self.tier_kam, self.group_own, paul)
        paul.backup_manager_id = self.niklas
        escalation = self.escalate(self.acc_adele_1, self.u_adele,
                                   target_manager_id=hugo.id)
        self.assertEqual(escalation.manager_id, hugo)
        # Hugo left, then Paul: neither has accounts or active reports.
        hugo.active = False
        paul.active = False
        self.escalate_further(escalation, self.user_admin)
        self.assertEqual(escalation.manager_id, self.niklas)

    def test_wizard_shows_where_it_goes(self):
        wizard = self.Wizard.sudo(self.u_adele).with_context(
            active_model='res.partner', active_ids=self.acc_adele_1.child_ids.ids).create(
            {'subject': 'Invoice dispute', 'severity': 'critical'})
        self.assertEqual(wizard.partner_id, self.acc_adele_1)
        self.assertEqual(wizard.holder_id, self.adele)
        self.assertEqual(wizard.proposed_manager_id, self.karim)
        self.assertAlmostEqual(
            (_dt(wizard.deadline) - datetime.utcnow()).total_seconds() / 3600.0, 4.0, places=1)

    def test_from_a_contact_escalates_its_account(self):
        contact = self.acc_adele_1.child_ids
        escalation = self.escalate(contact, self.u_adele)
        self.assertEqual(escalation.partner_id, self.acc_adele_1)
        self.assertEqual(contact.open_escalation_count, 1)
        self.assertEqual(self.acc_adele_1.open_escalation_count, 1)
        action = contact.action_view_escalations()
        self.assertEqual(self.Escalation.search(action['domain']), escalation)

    def test_chosen_target_of_higher_tier(self):
        escalation = self.escalate(self.acc_adele_1, self.u_adele,
                                   target_manager_id=self.niklas.id)
        self.assertEqual((escalation.manager_id, escalation.hop_count), (self.niklas, 1))
        self.escalate_further(escalation, self.u_niklas, target_manager_id=self.gloria.id)
        self.assertEqual((escalation.manager_id, escalation.hop_count), (self.gloria, 2))

    def test_chosen_target_at_the_top(self):
        escalation = self.escalate(self.acc_nadia_1, self.u_nadia)
        self.assertEqual(escalation.manager_id, self.gloria)
        with self.assertRefused(UserError, 'Nobody is available above Gloria'):
            self.escalate_further(escalation, self.u_gloria)
        # A chosen target must rank above her too.
        with self.assertRefused(UserError, 'Niklas .* is not of a higher tier than Gloria'):
            self.escalate_further(escalation, self.u_gloria, target_manager_id=self.niklas.id)

    def test_chosen_target_of_lower_or_same_tier_refused(self):
        escalation = self.escalate(self.acc_adele_1, self.u_adele)
        self.escalate_further(escalation, self.u_karim)
        before = self.snapshot(escalation)
        with self.assertRefused(UserError, r'Karim \(Key Account Manager\) is not of a '
                                           r'higher tier than Nadia'):
            self.escalate_further(escalation, self.u_nadia, target_manager_id=self.karim.id)
        with self.assertRefused(UserError, 'Niklas .* is not of a higher tier than Nadia'):
            self.escalate_further(escalation, self.u_nadia, target_manager_id=self.niklas.id)
        self.assertEqual(self.snapshot(escalation), before)
        count = self.Escalation.search_count([])
        with self.assertRefused(UserError, 'Arthur .* not of a higher tier than Adele'):
            self.escalate(self.acc_adele_1, self.u_adele, target_manager_id=self.arthur.id)
        self.assertEqual(self.Escalation.search_count([]), count)

    def test_chosen_target_absent_or_archived_refused(self):
        self.nadia.write({'absent': True, 'backup_manager_id': self.niklas.id})
        with self.assertRefused(UserError, 'Nadia is marked absent.*Niklas'):
            self.escalate(self.acc_adele_1, self.u_adele, target_manager_id=self.nadia.id)
        paul = self._create_manager('paul', self.tier_nam, self.group_team, self.gloria)
        paul.active = False
        with self.assertRefused(UserError, 'Paul is archived'):
            self.escalate(self.acc_adele_1, self.u_adele, target_manager_id=paul.id)
        self.assertFalse(self.acc_adele_1.escalation_ids)

    def test_account_without_manager(self):
        with self.assertRefused(UserError, 'Nobody SARL has no account manager'):
            self.escalate(self.acc_unassigned, self.u_karim)
        self.assertFalse(self.acc_unassigned.escalation_ids)
        escalation = self.escalate(self.acc_unassigned, self.u_karim,
                                   target_manager_id=self.nadia.id)
        self.assertEqual(escalation.manager_id, self.nadia)
        self.assertFalse(escalation.origin_manager_id)

    def test_subject_required(self):
        with self.assertRefused(UserError, 'Boulangerie Adèle a subject'):
            self.escalate(self.acc_adele_1, self.u_adele, subject=' ')

    def test_get_escalation_target_is_an_extension_point(self):
        self.assertEqual(self.Escalation._get_escalation_target(self.adele), self.karim)
        self.assertEqual(self.Escalation._get_escalation_target(self.karim), self.nadia)
        self.assertFalse(self.Escalation._get_escalation_target(self.gloria))


class TestEscalationEffects(EscalationCase):

    def test_activity_follower_history_and_account_note(self):
        escalation = self.escalate(self.acc_adele_1, self.u_adele, severity='high')
        activity = self.holder_activities(escalation)
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.activity_type_id, self.activity_type)
        self.assertEqual(activity.user_id, self.u_karim)
        self.assertEqual(activity.date_deadline, escalation.deadline[:10])
        self.assertIn(self.u_karim.partner_id, escalation.message_partner_ids)
        self.assertIn(self.u_adele.partner_id, escalation.message_partner_ids)

        self.escalate_further(escalation, self.u_karim, description='Customer threatens to leave')
        activity = self.holder_activities(escalation)
        self.assertEqual(len(activity), 1, "Karim's activity gave way to Nadia's")
        self.assertEqual(activity.user_id, self.u_nadia)
        self.assertIn(self.u_nadia.partner_id, escalation.message_partner_ids)

        hop = escalation.message_ids.filtered(lambda m: 'Escalated from Karim to Nadia' in m.body)
        self.assertEqual(len(hop), 1)
        self.assertIn('High', hop.body)
        self.assertIn('Customer threatens to leave', hop.body)
        self.assertEqual(hop.author_id, self.u_karim.partner_id)
        notice = self.env['mail.message'].search([
            ('partner_ids', 'in', self.u_nadia.partner_id.ids),
            ('subject', '=', 'Escalation %s: %s' % (escalation.name, escalation.subject))])
        self.assertEqual(len(notice), 1, "Nadia is notified")
        self.assertIn('Customer threatens to leave', notice.body)
        self.assertEqual(notice.author_id, self.u_karim.partner_id)
        self.assertIn(self.u_nadia.partner_id, notice.needaction_partner_ids)
        holder_change = hop.tracking_value_ids.filtered(lambda t: t.field == 'manager_id')
        self.assertEqual((holder_change.old_value_char, holder_change.new_value_char),
                         ('Karim', 'Nadia'))
        first = escalation.message_ids.filtered(lambda m: 'Escalated from Adele to Karim' in m.body)
        self.assertIn('raised by Adele', first.body)

        notes = self.acc_adele_1.message_ids.filtered(lambda m: escalation.name in (m.body or ''))
        self.assertEqual(len(notes), 2)
        self.assertTrue(any('escalated to Nadia' in n.body for n in notes))
        self.assertEqual(notes.mapped('author_id'),
                         self.u_karim.partner_id | self.u_adele.partner_id)

    def test_activity_date_in_the_holder_timezone(self):
        escalation = self.escalate(self.acc_adele_1, self.u_adele)
        self.env['res.company'].browse(escalation.company_id.id).account_escalation_sla_normal = 4
        self.u_nadia.tz = 'Pacific/Auckland'
        self.Escalation._cron_auto_escalate(now='2030-01-10 12:00:00')
        # 16:00 UTC is 05:00 the next day in Auckland.
        self.assertEqual(escalation.deadline, '2030-01-10 16:00:00')
        self.assertEqual(self.holder_activities(escalation).date_deadline, '2030-01-11')


class TestEscalationSla(EscalationCase):

    def test_deadline_per_severity_from_company_settings(self):
        expected = {'low': 168, 'normal': 72, 'high': 24, 'critical': 4}
        for severity, hours in expected.items():
            escalation = self.escalate(self.acc_adele_1, self.u_adele, severity=severity)
            elapsed = _dt(escalation.deadline) - _dt(escalation.date_escalated)
            self.assertEqual(elapsed, timedelta(hours=hours), severity)

    def test_changing_the_setting_changes_new_deadlines(self):
        settings = self.env['res.config.settings'].create({})
        self.assertEqual(settings.account_escalation_sla_high, 24)
        settings.account_escalation_sla_high = 10
        settings.execute()
        self.assertEqual(self.company.account_escalation_sla_high, 10)
        escalation = self.escalate(self.acc_adele_1, self.u_adele, severity='high')
        elapsed = _dt(escalation.deadline) - _dt(escalation.date_escalated)
        self.assertEqual(elapsed, timedelta(hours=10))

    def test_changing_severity_moves_the_deadline(self):
        escalation = self.escalate(self.acc_adele_1, self.u_adele, severity='low')
        escalation.sudo(self.u_karim).severity = 'critical'
        elapsed = _dt(escalation.deadline) - _dt(escalation.date_escalated)
        self.assertEqual(elapsed, timedelta(hours=4))
        self.assertEqual(self.holder_activities(escalation).date_deadline,
                         escalation.deadline[:10])

    def test_raising_severity_when_escalating_further(self):
        escalation = self.escalate(self.acc_adele_1, self.u_adele, severity='low')
        self.escalate_further(escalation, self.u_karim, severity='critical')
        self.assertEqual(escalation.severity, 'critical')
        elapsed = _dt(escalation.deadline) - _dt(escalation.date_escalated)
        self.assertEqual(elapsed, timedelta(hours=4))


class TestEscalationTransitions(EscalationCase):

    def setUp(self):
        super(TestEscalationTransitions, self).setUp()
        self.escalation = self.escalate(self.acc_adele_1, self.u_adele)
        self.as_karim = self.escalation.sudo(self.u_karim)

    def test_acknowledge(self):
        self.as_karim.action_acknowledge()
        self.assertEqual(self.escalation.state, 'acknowledged')
        self.assertTrue(self.escalation.date_acknowledged)
        self.assertFalse(self.holder_activities(self.escalation), "activity marked done")
        done = self.escalation.message_ids.filtered(
            lambda m: m.mail_activity_type_id == self.activity_type)
        self.assertEqual(done.author_id, self.u_karim.partner_id)
        with self.assertRefused(UserError, r'%s \(Boulangerie Adèle\) is Acknowledged'
                                % self.escalation.name):
            self.as_karim.action_acknowledge()

    def test_resolve_requires_a_resolution(self):
        with self.assertRefused(UserError, 'how the concern was resolved.*%s'
                                % self.escalation.name):
            self.as_karim.action_resolve()
        self.assertEqual(self.escalation.state, 'open')
        self.env.cr.execute(
            "UPDATE account_escalation SET create_date = %s WHERE id = %s",
            (fields.Datetime.to_string(datetime.utcnow() - timedelta(hours=5)),
             self.escalation.id))
        self.escalation.invalidate_cache()
        self.as_karim.resolution = 'Credit note issued and delivery rescheduled'
        self.as_karim.action_resolve()
        self.assertEqual(self.escalation.state, 'resolved')
        self.assertTrue(self.escalation.date_resolved)
        self.assertAlmostEqual(self.escalation.resolution_hours, 5.0, places=1)
        self.assertFalse(self.holder_activities(self.escalation))
        subtype = self.env.ref('account_manager.mt_account_escalation_resolved')
        resolved = self.escalation.message_ids.filtered(lambda m: m.subtype_id == subtype)
        self.assertIn('Credit note issued', resolved.body)
        self.assertEqual(self.acc_adele_1.open_escalation_count, 0)

    def _resolve_wizard(self, user, escalation=None):
        escalation = escalation or self.escalation
        action = escalation.sudo(user).action_resolve_wizard()
        self.assertEqual(action['res_model'], 'account.escalation.resolve.wizard')
        return self.env[action['res_model']].sudo(user).with_context(
            action['context']).create({})

    def test_resolve_wizard_asks_for_the_resolution(self):
        """The Resolve button opens a dialog that asks how the concern was
        resolved (no server error for a missing resolution), then resolves."""
        wizard = self._resolve_wizard(self.u_karim)
        self.assertEqual(wizard.escalation_id, self.escalation)
        wizard.resolution = '   '
        with self.assertRefused(UserError, 'how %s was resolved' % self.escalation.name):
            wizard.action_resolve()
        self.assertEqual(self.escalation.state, 'open')
        self.assertFalse(self.escalation.resolution)
        wizard.resolution = ' Replacement shipped by express '
        self.assertEqual(wizard.action_resolve(), {'type': 'ir.actions.act_window_close'})
        self.assertEqual(self.escalation.state, 'resolved')
        self.assertEqual(self.escalation.resolution, 'Replacement shipped by express')
        # The form's Resolve buttons open it.
        arch = self.env.ref('account_manager.account_escalation_view_form').arch
        self.assertIn('name="action_resolve_wizard"', arch)
        self.assertNotIn('name="action_resolve"', arch)

    def test_resolve_wizard_keeps_what_was_written(self):
        self.as_karim.resolution = 'Draft: waiting for the carrier'
        wizard = self._resolve_wizard(self.u_karim)
        self.assertEqual(wizard.resolution, 'Draft: waiting for the carrier')

    def test_resolve_wizard_refuses_who_may_not_resolve(self):
        """The raiser (Adele) may cancel, not resolve: refused before the
        dialog opens and, called directly, without writing the resolution."""
        with self.assertRefused(AccessError, 'resolve'):
            self.escalation.sudo(self.u_adele).action_resolve_wizard()
        wizard = self.env['account.escalation.resolve.wizard'].sudo(self.u_adele).create({
            'escalation_id': self.escalation.id, 'resolution': 'Forged'})
        with self.assertRaises(AccessError):
            wizard.action_resolve()
        self.assertFalse(self.escalation.resolution)
        self.assertEqual(self.escalation.state, 'open')
        self.as_karim.action_acknowledge()
        self.as_karim.resolution = 'Done'
        self.as_karim.action_resolve()
        with self.assertRefused(UserError, 'resolved'):
            self._resolve_wizard(self.u_karim)

    def test_resolve_after_acknowledge(self):
        self.as_karim.action_acknowledge()
        self.as_karim.resolution = 'Done'
        self.as_karim.action_resolve()
        self.assertEqual(self.escalation.state, 'resolved')

    def test_cancel_and_reopen(self):
        self.escalation.sudo(self.u_adele).action_cancel()
        self.assertEqual(self.escalation.state, 'cancelled')
        self.assertFalse(self.holder_activities(self.escalation))
        self.escalation.sudo(self.u_adele).action_reopen()
        self.assertEqual(self.escalation.state, 'open')
        self.assertEqual(self.escalation.manager_id, self.karim)
        activity = self.holder_activities(self.escalation)
        self.assertEqual(activity.user_id, self.u_karim)

    def test_reopen_resolved_restarts_the_clock(self):
        self.as_karim.action_acknowledge()
        self.as_karim.resolution = 'Done'
        self.as_karim.action_resolve()
        self.escalation.write({'deadline': '2020-01-01 00:00:00'})
        self.as_karim.action_reopen()
        self.assertEqual(self.escalation.state, 'open')
        self.assertFalse(self.escalation.date_resolved)
        self.assertFalse(self.escalation.date_acknowledged)
        self.assertFalse(self.escalation.resolution_hours)
        self.assertGreater(self.escalation.deadline, fields.Datetime.now())

    def test_illegal_transitions_refused(self):
        name = self.escalation.name
        with self.assertRefused(UserError, r'can be reopened:.*- %s .* is Open' % name):
            self.as_karim.action_reopen()
        self.as_karim.action_cancel()
        before = self.snapshot(self.escalation)
        for method, verb in (('action_acknowledge', 'acknowledged'),
                             ('action_resolve', 'resolved'),
                             ('action_cancel', 'cancelled'),
                             ('action_escalate_further', 'escalated further')):
            with self.assertRefused(UserError, r'can be %s:.*- %s .* is Cancelled' % (verb, name)):
                getattr(self.as_karim, method)()
        with self.assertRefused(UserError, r'%s .* is Cancelled' % name):
            self.escalate_further(self.escalation, self.u_karim)
        self.assertEqual(self.snapshot(self.escalation), before)

    def test_escalating_out_of_sight_returns_to_the_list(self):
        action = self.escalate_further(self.escalation, self.u_karim)
        still_visible = bool(self.Escalation.sudo(self.u_karim).search(
            [('id', '=', self.escalation.id)]))
        self.assertEqual(action['type'] == 'ir.actions.act_window_close', still_visible)
        if not still_visible:
            self.assertEqual(action['res_model'], 'account.escalation')

    def test_escalating_acknowledged_reopens_for_the_new_holder(self):
        self.as_karim.action_acknowledge()
        self.escalate_further(self.escalation, self.u_karim)
        self.assertEqual((self.escalation.state, self.escalation.manager_id),
                         ('open', self.nadia))
        self.assertFalse(self.escalation.date_acknowledged)

    def test_kanban_columns_follow_the_life_cycle(self):
        self.as_karim.action_acknowledge()
        groups = self.Escalation.read_group(
            [('id', '=', self.escalation.id)], ['state'], ['state'])
        self.assertEqual([g['state'] for g in groups], ['open', 'acknowledged'])
        groups = self.Escalation.read_group([], ['state'], ['state'])
        self.assertEqual([g['state'] for g in groups][:2], ['open', 'acknowledged'])

    def test_escalate_further_button_opens_the_wizard(self):
        action = self.as_karim.action_escalate_further()
        self.assertEqual(action['res_model'], 'account.escalation.wizard')
        wizard = self.Wizard.sudo(self.u_karim).with_context(action['context']).create({})
        self.assertEqual(wizard.escalation_id, self.escalation)
        self.assertEqual(wizard.subject, self.escalation.subject)
        self.assertEqual(wizard.proposed_manager_id, self.nadia)

    def test_created_by_hand_starts_open(self):
        with self.assertRefused(AccessError, 'Current Holder, State'):
            self.Escalation.sudo(self.u_karim).create({
                'partner_id': self.acc_karim_1.id, 'subject': 'Made up',
                'state': 'resolved', 'manager_id': self.gloria.id})
        escalation = self.Escalation.sudo(self.u_karim).create({
            'partner_id': self.acc_karim_1.id, 'subject': 'By hand',
            'raised_by_id': self.u_gloria.id})
        self.assertEqual((escalation.state, escalation.raised_by_id), ('open', self.u_karim))

    def test_state_and_holder_not_editable_directly(self):
        before = self.snapshot(self.escalation)
        with self.assertRefused(AccessError, r'%s: Current Holder, State' % self.escalation.name):
            self.as_karim.write({'state': 'resolved', 'manager_id': self.gloria.id})
        self.assertEqual(self.snapshot(self.escalation), before)
        self.as_karim.write({'description': 'More details'})


class TestEscalationRights(EscalationCase):

    def setUp(self):
        super(TestEscalationRights, self).setUp()
        self.escalation = self.escalate(self.acc_adele_1, self.u_adele)  # held by karim

    def test_outsiders_cannot_escalate_further_or_acknowledge(self):
        """Users who see the escalation but neither hold it nor stand above
        its holder get the method's own refusal; users the record rules keep
        away from it (another branch) cannot even read it."""
        before = self.snapshot(self.escalation)
        name = self.escalation.name
        seeing = (self.user_plain, self.u_adele)
        blind = (self.u_kenji, self.u_arthur, self.u_niklas)
        for user in seeing + blind:
            further = r'cannot escalate further.*- %s \(Boulangerie Adèle\), held by Karim' % name \
                if user in seeing else 'security restrictions'
            with self.assertRefused(AccessError, further):
                self.escalate_further(self.escalation, user)
            with self.assertRefused(AccessError, further):
                self.escalation.sudo(user).action_escalate_further()
            for verb, method in (('acknowledge', 'action_acknowledge'), ('resolve', 'action_resolve')):
                refusal = '(?s)cannot %s.*%s' % (verb, name) if user in seeing \
                    else 'security restrictions'
                with self.assertRefused(AccessError, refusal):
                    getattr(self.escalation.sudo(user), method)()
        self.assertEqual(self.snapshot(self.escalation), before)

    def test_holder_above_backup_and_admin_may_acknowledge(self):
        self.karim.backup_manager_id = self.kenji
        for user in (self.u_karim, self.u_kenji, self.u_nadia, self.u_gloria, self.user_admin):
            with self.assertRaises(Rollback):
                with self.env.cr.savepoint():
                    self.escalation.sudo(user).action_acknowledge()
                    self.assertEqual(self.escalation.state, 'acknowledged', user.name)
                    raise Rollback()
            self.env.cache.invalidate()
            self.assertEqual(self.escalation.state, 'open')
        self.escalation.sudo(self.u_kenji).action_acknowledge()
        self.assertEqual(self.escalation.state, 'acknowledged')

    def test_raiser_may_cancel_and_reopen(self):
        self.escalation.sudo(self.u_adele).action_cancel()
        self.escalation.sudo(self.u_adele).action_reopen()
        self.assertEqual(self.escalation.state, 'open')
        # Kenji (another key account manager) cannot even see it; a plain
        # user who sees everything is refused by the method itself.
        with self.assertRefused(AccessError, 'security restrictions'):
            self.escalation.sudo(self.u_kenji).action_cancel()
        with self.assertRefused(AccessError, 'cannot cancel'):
            self.escalation.sudo(self.user_plain).action_cancel()

    def test_users_outside_the_addon_cannot_raise(self):
        count = self.Escalation.search_count([])
        with self.assertRefused(AccessError, 'Only account managers can raise'):
            self.escalate(self.acc_adele_1, self.user_plain)
        self.assertEqual(self.Escalation.search_count([]), count)


class TestAutoEscalation(EscalationCase):

    def make_overdue(self, account, raiser, severity='normal'):
        escalation = self.escalate(account, raiser, severity=severity)
        return escalation, fields.Datetime.to_string(
            _dt(escalation.deadline) + timedelta(minutes=1))

    def test_overdue_open_escalations_hop(self):
        escalation, now = self.make_overdue(self.acc_adele_1, self.u_adele, 'high')
        self.Escalation._cron_auto_escalate(now=now)
        self.assertEqual((escalation.manager_id, escalation.hop_count), (self.nadia, 2))
        self.assertEqual(escalation.deadline, fields.Datetime.to_string(
            _dt(now) + timedelta(hours=24)))
        self.assertEqual(self.holder_activities(escalation).user_id, self.u_nadia)
        self.assertIn(self.u_nadia.partner_id, escalation.message_partner_ids)
        self.assertTrue(escalation.message_ids.filtered(
            lambda m: 'Escalated from Karim to Nadia' in m.body and 'deadline passed' in m.body))
        self.assertTrue(self.acc_adele_1.message_ids.filtered(
            lambda m: escalation.name in m.body and 'escalated to Nadia' in m.body))

    def test_not_yet_due_and_acknowledged_stay(self):
        waiting, now = self.make_overdue(self.acc_adele_1, self.u_adele)
        handled = self.escalate(self.acc_adele_2, self.u_adele)
        handled.sudo(self.u_karim).action_acknowledge()
        early = fields.Datetime.to_string(_dt(waiting.deadline) - timedelta(minutes=1))
        self.Escalation._cron_auto_escalate(now=early)
        self.assertEqual(waiting.manager_id, self.karim)
        self.Escalation._cron_auto_escalate(now=now)
        self.assertEqual(waiting.manager_id, self.nadia)
        self.assertEqual((handled.manager_id, handled.state), (self.karim, 'acknowledged'))

    def test_top_stops_cleanly_with_one_note(self):
        escalation = self.escalate(self.acc_nadia_1, self.u_nadia)
        self.assertEqual(escalation.manager_id, self.gloria)
        now = fields.Datetime.to_string(_dt(escalation.deadline) + timedelta(minutes=1))
        self.Escalation._cron_auto_escalate(now=now)
        later = fields.Datetime.to_string(_dt(now) + timedelta(days=3))
        self.Escalation._cron_auto_escalate(now=later)
        self.assertEqual((escalation.manager_id, escalation.state, escalation.hop_count),
                         (self.gloria, 'open', 1))
        self.assertTrue(escalation.top_reached)
        notes = escalation.message_ids.filtered(lambda m: 'nobody is available above' in m.body)
        self.assertEqual(len(notes), 1)
        # Reopening or escalating by hand puts it back under the cron's eye.
        escalation.sudo(self.u_gloria).resolution = 'Handled'
        escalation.sudo(self.u_gloria).action_resolve()
        escalation.sudo(self.u_gloria).action_reopen()
        self.assertFalse(escalation.top_reached)

    def test_walks_all_the_way_up_over_runs(self):
        escalation, now = self.make_overdue(self.acc_adele_1, self.u_adele, 'critical')
        holders = []
        for _i in range(4):
            self.Escalation._cron_auto_escalate(now=now)
            holders.append(escalation.manager_id)
            now = fields.Datetime.to_string(_dt(escalation.deadline) + timedelta(minutes=1))
        self.assertEqual(holders, [self.nadia, self.gloria, self.gloria, self.gloria])
        self.assertTrue(escalation.top_reached)

    def test_absent_manager_skipped_by_cron(self):
        escalation, now = self.make_overdue(self.acc_adele_1, self.u_adele)
        self.nadia.write({'absent': True, 'backup_manager_id': self.niklas.id})
        self.Escalation._cron_auto_escalate(now=now)
        self.assertEqual(escalation.manager_id, self.niklas)

    def test_batches_cost_the_same(self):
        """Each batch of the same shape costs the same number of queries:
        the work does not grow with the number of escalations handled."""
        accounts = [self.acc_adele_1, self.acc_adele_2] * 8
        escalations = self.Escalation.browse()
        for account in accounts:
            escalations |= self.escalate(account, self.u_adele)
        now = fields.Datetime.to_string(
            max(_dt(d) for d in escalations.mapped('deadline')) + timedelta(minutes=1))
        ids = escalations.sorted('id').ids
        counts = []
        for start in range(0, len(ids), 4):
            batch = self.Escalation.browse(ids[start:start + 4])
            self.env.cache.invalidate()
            before = self.env.cr.sql_log_count
            batch._auto_escalate(now)
            counts.append(self.env.cr.sql_log_count - before)
        self.assertEqual(escalations.mapped('manager_id'), self.nadia)
        warm = counts[1:]  # the first batch fills the registry caches
        self.assertLessEqual(max(warm) - min(warm), 2, counts)

    def test_due_activities_refresh_the_web_client_counter(self):
        """A new holder's activity due today tells their web client, once,
        over the bus (one INSERT for the batch, as bus.bus.sendmany would)."""
        escalation = self.escalate(self.acc_adele_1, self.user_admin, severity='low')
        user = self.u_nadia
        hop = {'id': escalation.id, 'name': escalation.name, 'subject': escalation.subject,
               'deadline': fields.Datetime.now(), 'to_user': user,
               'to_partner': user.partner_id.id}
        self.env.cr.execute("SELECT coalesce(max(id), 0) FROM bus_bus")
        last = self.env.cr.fetchone()[0]
        escalation.sudo()._replace_escalation_activities([hop, dict(hop)])
        self.env.cr.execute("SELECT channel, message FROM bus_bus WHERE id > %s", (last,))
        rows = self.env.cr.fetchall()
        self.assertEqual(rows, [(
            '["%s","res.partner",%d]' % (self.env.cr.dbname, user.partner_id.id),
            '{"type":"activity_updated","activity_created":true}')])

    def test_cron_record_and_batches(self):
        cron = self.env.ref('account_manager.ir_cron_account_escalation_auto_escalate')
        self.assertIn('_cron_auto_escalate', cron.code)
        escalations = self.Escalation.browse()
        for account in (self.acc_adele_1, self.acc_adele_2, self.acc_arthur_1):
            escalations |= self.escalate(account, self.user_admin, severity='low')
        now = fields.Datetime.to_string(datetime.utcnow() + timedelta(days=8))
        self.Escalation._cron_auto_escalate(now=now, batch_size=2)
        self.assertEqual(escalations.mapped('hop_count'), [2, 2, 2])
        self.assertEqual(escalations.mapped('manager_id'), self.nadia)
        Message = self.env['mail.message']
        self.assertFalse(Message.search([('partner_ids', 'in', self.u_nadia.partner_id.ids)]),
                         "notified by a background job, not by the cron itself")
        # The notifications are a queue_job job of the addon's channel.
        self.run_jobs(expect=1)
        notices = Message.search([('partner_ids', 'in', self.u_nadia.partner_id.ids)])
        self.assertEqual(len(notices), 1, "one message for the run, not one per hop")
        self.assertEqual(notices.subject, '3 escalations for you')
        for escalation in escalations:
            self.assertIn(escalation.name, notices.body)
