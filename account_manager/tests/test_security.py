"""The doors around the record rules: each test is a hole an outside review
found, tried as the restricted user (see tests/common.py for who is who)."""
import base64
import io
import re
import zipfile

from odoo.exceptions import AccessError, UserError

from .common import AccountManagerCase


class TestSecurityDoors(AccountManagerCase):

    @classmethod
    def setUpClass(cls):
        super(TestSecurityDoors, cls).setUpClass()
        cls.Reassignment = cls.env['account.manager.reassignment']
        cls.Escalation = cls.env['account.escalation']
        cls.Activity = cls.env['mail.activity']
        cls.Followers = cls.env['mail.followers']
        cls.u_karim = cls.karim.user_id
        cls.u_nadia = cls.nadia.user_id
        cls.u_adele = cls.adele.user_id
        # Out of karim's and nadia's reach: niklas' branch.
        cls.foreign = cls.acc_anton_1
        cls.todo = cls.env.ref('mail.mail_activity_data_todo')

    def escalate(self, account, user, **vals):
        vals.setdefault('subject', 'Late delivery')
        wizard = self.env['account.escalation.wizard'].sudo(user).with_context(
            active_model='res.partner', active_id=account.id,
            active_ids=account.ids).create(vals)
        return self.Escalation.browse(wizard.action_escalate()['res_id'])

    def open_reassign(self, user, accounts, **vals):
        vals.setdefault('reason', 'Portfolio rebalancing')
        return self.env['account.manager.reassign.wizard'].sudo(user).with_context(
            active_model='res.partner', active_ids=accounts.ids,
            active_id=accounts.ids[0]).create(vals)

    def activity(self, partner, user, summary):
        return self.Activity.sudo().create({
            'res_model_id': self.env.ref('base.model_res_partner').id,
            'res_id': partner.id, 'user_id': user.id,
            'activity_type_id': self.todo.id, 'summary': summary})

    # -- 1. reassignments ------------------------------------------------------

    def test_reassignments_are_not_made_or_edited_by_hand(self):
        run = self.open_reassign(self.u_nadia, self.acc_adele_1, to_manager_id=self.kenji.id)
        reassignment = self.Reassignment.browse(run.action_reassign()['res_id'])
        forged = {'state': 'queued', 'to_manager_id': self.karim.id,
                  'user_id': self.u_karim.id, 'origin': 'import', 'queued_count': 1}
        for user in (self.u_karim, self.u_nadia, self.gloria.user_id, self.user_admin):
            with self.assertRefused(AccessError, 'not allowed to create'):
                self.Reassignment.sudo(user).create(dict(forged, reason='mine now'))
            with self.assertRefused(AccessError, 'not allowed to modify'):
                reassignment.sudo(user).write(forged)
            with self.assertRefused(AccessError, 'not allowed to (delete|modify)'):
                reassignment.sudo(user).unlink()
        self.assertEqual((reassignment.state, reassignment.to_manager_id), ('done', self.kenji))
        self.assertEqual(self.foreign.account_manager_id, self.anton)

    def test_background_run_rechecks_who_started_it(self):
        """A queued reassignment runs with the rights its starter has when
        it runs: nadia, no longer a team lead, moves nothing."""
        self.env['ir.config_parameter'].sudo().set_param(
            'account_manager.reassign_async_threshold', '0')
        wizard = self.open_reassign(self.u_nadia, self.acc_adele_1, to_manager_id=self.kenji.id)
        reassignment = self.Reassignment.browse(wizard.action_reassign()['res_id'])
        self.assertEqual(reassignment.state, 'queued')
        self.u_nadia.groups_id = [(3, self.group_team.id)]
        self.run_jobs(expect=1)
        self.assertEqual(reassignment.state, 'failed')
        self.assertIn('Only team leads', reassignment.error_message)
        self.assertEqual(self.acc_adele_1.account_manager_id, self.adele)

    def test_jobs_seen_by_account_admins_only(self):
        """An account administrator reads the jobs of the addon's channel
        (not the job queue's others) and changes none; a team lead sees
        only their counts on the reassignment."""
        self.env['ir.config_parameter'].sudo().set_param(
            'account_manager.reassign_async_threshold', '0')
        wizard = self.open_reassign(self.u_nadia, self.acc_adele_1, to_manager_id=self.kenji.id)
        reassignment = self.Reassignment.browse(wizard.action_reassign()['res_id'])
        job = reassignment.sudo().job_ids
        other = self.env['queue.job'].sudo().search([('id', '!=', job.id)], limit=1)
        Job = self.env['queue.job']
        self.assertEqual(reassignment.sudo(self.user_admin).job_ids, job)
        self.assertEqual(Job.sudo(self.user_admin).search([]), job)
        if other:
            with self.assertRefused(AccessError):
                other.sudo(self.user_admin).read(['name'])
        for vals in ({'state': 'done'}, {'method_name': 'unlink'}, {'user_id': self.user_admin.id}):
            with self.assertRefused(AccessError):
                job.sudo(self.user_admin).write(vals)
        with self.assertRefused(AccessError):
            Job.sudo(self.user_admin).create({
                'uuid': 'forged', 'name': 'forged', 'model_name': 'res.users',
                'method_name': 'write', 'record_ids': [self.user_admin.id],
                'args': [{'groups_id': [(4, self.env.ref('base.group_system').id)]}],
                'user_id': 1})
        with self.assertRefused(AccessError):
            job.sudo(self.user_admin).unlink()
        with self.assertRefused(AccessError):
            Job.sudo(self.u_nadia).search([])
        self.assertEqual(reassignment.sudo(self.u_nadia).job_count, 1)
        with self.assertRefused(AccessError):
            reassignment.sudo(self.u_nadia).read(['job_ids'])

    def test_retry_needs_read_access(self):
        reassignment = self.Reassignment.sudo().create({
            'to_manager_id': self.anton.id, 'reason': 'German run', 'state': 'failed',
            'user_id': self.niklas.user_id.id})
        with self.assertRefused(AccessError):
            reassignment.sudo(self.u_karim).action_retry()
        with self.assertRefused(AccessError):
            reassignment.sudo(self.u_karim).action_view_accounts()

    # -- 2. and 6. escalations -------------------------------------------------

    def test_escalation_account_and_audit_fields_are_not_editable(self):
        escalation = self.escalate(self.acc_adele_1, self.u_adele)
        holder = escalation.manager_id.user_id
        for user in (self.u_adele, holder):
            for vals in ({'partner_id': self.foreign.id}, {'company_id': False},
                         {'raised_by_id': self.u_karim.id},
                         {'origin_manager_id': self.anton.id}, {'hop_count': 9},
                         {'manager_id': self.anton.id},
                         {'date_resolved': '2020-01-01 00:00:00'}):
                with self.assertRefused(AccessError, 'not by editing them'):
                    escalation.sudo(user).write(vals)
        self.assertEqual(escalation.partner_id, self.acc_adele_1)
        self.assertFalse(self.Partner.sudo(self.u_adele).search([('id', '=', self.foreign.id)]))
        # Whoever raises one does not choose whom it was held by.
        created = self.Escalation.sudo(self.u_adele).create({
            'partner_id': self.acc_adele_1.id, 'subject': 'By hand',
            'origin_manager_id': self.anton.id, 'raised_by_id': self.u_karim.id})
        self.assertEqual((created.origin_manager_id, created.raised_by_id),
                         (self.adele, self.u_adele))

    def test_closed_escalation_is_read_only(self):
        escalation = self.escalate(self.acc_adele_1, self.u_adele)
        holder = escalation.manager_id.user_id
        escalation.sudo(holder).write({'resolution': 'Replaced the goods'})
        escalation.sudo(holder).action_resolve()
        for user in (self.u_adele, holder):
            for vals in ({'resolution': 'rewritten'}, {'subject': 'rewritten'},
                         {'severity': 'low'}):
                with self.assertRefused(AccessError, 'kept as they were closed'):
                    escalation.sudo(user).write(vals)
        self.assertEqual(escalation.resolution, 'Replaced the goods')
        # Reopened, it can be edited again.
        escalation.sudo(self.u_adele).action_reopen()
        escalation.sudo(self.u_adele).write({'subject': 'Still late'})
        self.assertEqual(escalation.subject, 'Still late')

    # -- 3. and 8. followers ---------------------------------------------------

    def test_no_following_out_of_reach(self):
        me = self.u_karim.partner_id
        with self.assertRefused(AccessError, 'following a document needs'):
            self.Followers.sudo(self.u_karim).create({
                'res_model': 'res.partner', 'res_id': self.foreign.id, 'partner_id': me.id})
        own = self.Followers.sudo(self.u_karim).create({
            'res_model': 'res.partner', 'res_id': self.acc_karim_2.id, 'partner_id': me.id})
        with self.assertRefused(AccessError, 'following a document needs'):
            own.write({'res_id': self.foreign.id})
        # Making somebody else follow needs the right to edit the document.
        with self.assertRefused(AccessError, 'following a document needs'):
            self.Followers.sudo(self.u_karim).create({
                'res_model': 'res.partner', 'res_id': self.foreign.id,
                'partner_id': self.u_adele.partner_id.id})
        self.assertFalse(self.Followers.search([
            ('res_model', '=', 'res.partner'), ('res_id', '=', self.foreign.id),
            ('partner_id', 'in', (me | self.u_adele.partner_id).ids)]))

    def test_foreign_followers_are_not_listed(self):
        self.foreign.message_subscribe(partner_ids=self.anton.user_id.partner_id.ids)
        domain = [('res_model', '=', 'res.partner'), ('res_id', '=', self.foreign.id)]
        self.assertTrue(self.Followers.search(domain))
        Followers = self.Followers.sudo(self.u_karim)
        self.assertFalse(Followers.search(domain))
        self.assertEqual(Followers.search_count(domain), 0)
        self.assertFalse(Followers.read_group(domain, ['res_id'], ['res_id']))
        self.assertTrue(self.Followers.sudo(self.gloria.user_id).search(domain))
        # In reach, they are listed.
        self.acc_karim_2.message_subscribe(partner_ids=self.anton.user_id.partner_id.ids)
        self.assertTrue(Followers.search(
            [('res_model', '=', 'res.partner'), ('res_id', '=', self.acc_karim_2.id)]))

    # -- 7. activities and messages --------------------------------------------

    def test_foreign_activities_are_hidden(self):
        secret = self.activity(self.foreign, self.anton.user_id, 'Call the CFO about the discount')
        mine = self.activity(self.foreign, self.u_karim, 'Karim was asked to help')
        own_account = self.activity(self.acc_karim_2, self.u_adele, 'Renault visit')
        Activity = self.Activity.sudo(self.u_karim)
        found = Activity.search([('res_model', '=', 'res.partner')])
        self.assertNotIn(secret, found)
        self.assertIn(mine, found)
        self.assertIn(own_account, found)
        self.assertEqual(Activity.search_count([('id', '=', secret.id)]), 0)
        self.assertFalse(Activity.read_group([('id', '=', secret.id)], ['res_id'], ['res_id']))
        with self.assertRefused(AccessError):
            Activity.browse(secret.id).read(['summary', 'note'])
        # Unrestricted users see them as before.
        self.assertTrue(self.Activity.sudo(self.gloria.user_id).search([('id', '=', secret.id)]))
        self.assertTrue(self.Activity.sudo(self.user_plain).search([('id', '=', secret.id)]))

    def test_attachment_counts_are_no_oracle(self):
        self.env['ir.attachment'].create({
            'name': 'secret-offer.pdf', 'datas_fname': 'secret-offer.pdf',
            'res_model': 'res.partner', 'res_id': self.foreign.id})
        Attachment = self.env['ir.attachment'].sudo(self.u_karim)
        domain = [('res_model', '=', 'res.partner'), ('res_id', '=', self.foreign.id)]
        self.assertFalse(Attachment.search(domain))
        self.assertFalse(Attachment.read_group(domain, ['name'], ['name']))
        self.assertTrue(self.env['ir.attachment'].sudo(self.gloria.user_id).read_group(
            domain, ['name'], ['name']))

    def test_message_counts_are_no_oracle(self):
        self.foreign.message_post(body='The 2M discount')
        Message = self.env['mail.message'].sudo(self.u_karim)
        domain = [('model', '=', 'res.partner'), ('res_id', '=', self.foreign.id)]
        self.assertFalse(Message.search(domain))
        self.assertFalse(Message.read_group(domain, ['res_id'], ['res_id']))
        self.assertTrue(self.env['mail.message'].sudo(self.gloria.user_id).read_group(
            domain, ['res_id'], ['res_id']))

    # -- 4. deleting accounts ----------------------------------------------------

    def test_accounts_with_history_are_archived_not_deleted(self):
        lines = self.acc_karim_2.assignment_ids
        self.assertTrue(lines)
        with self.assertRefused(UserError, 'archive them instead.*Renault Nord'):
            self.acc_karim_2.sudo(self.u_karim).unlink()
        self.assertTrue(lines.exists())
        escalation = self.escalate(self.acc_unassigned, self.u_karim,
                                   target_manager_id=self.nadia.id)
        with self.assertRefused(UserError, 'archive them instead'):
            self.acc_unassigned.sudo(self.u_karim).unlink()
        self.assertTrue(escalation.exists())
        # Archiving is the way, and an account administrator may delete.
        self.acc_karim_2.sudo(self.u_karim).active = False
        self.assertFalse(self.acc_karim_2.active)
        self.acc_kenji_2.sudo(self.user_admin).unlink()
        self.assertFalse(self.acc_kenji_2.exists())

    # -- 5. managers ---------------------------------------------------------------

    def test_manager_refusals_check_rights_first(self):
        for method, args in (('write', ({'capacity': 1},)), ('unlink', ())):
            with self.assertRefused(AccessError, 'not allowed to') as caught:
                getattr(self.gloria.sudo(self.u_karim), method)(*args)
            self.assertNotIn('still manages', str(caught.exception))
        with self.assertRefused(AccessError, 'not allowed to') as caught:
            self.niklas.sudo(self.u_karim).write({'active': False})
        self.assertNotIn('Deutsche Bahn', str(caught.exception))

    def test_archive_refusal_names_only_what_the_reader_sees(self):
        """A refusal counts the accounts its reader may not read instead of
        naming them (here another addon's rule hides one from the
        administrator)."""
        self.env['ir.rule'].create({
            'name': 'hide one account', 'model_id': self.env.ref('base.model_res_partner').id,
            'domain_force': "[('id', '!=', %d)]" % self.acc_anton_1.id})
        with self.assertRefused(UserError, 'still manages 2 account') as caught:
            self.anton.sudo(self.user_admin).write({'active': False})
        message = str(caught.exception)
        self.assertIn('Augsburg Tools', message)
        self.assertIn('1 account(s) outside your access', message)
        self.assertNotIn('Münchner Brauhaus', message)

    # -- 9. export -------------------------------------------------------------

    def test_export_names_nothing_out_of_reach(self):
        group = self.acc_niklas_1
        group.name = 'Groupe Secret'
        self.acc_karim_2.account_parent_id = group
        for manager in (False, self.niklas.id, self.nadia.id):
            export = self.env['account.manager.report.export'].sudo(self.u_nadia).create(
                {'manager_id': manager})
            export.action_export()
            archive = zipfile.ZipFile(io.BytesIO(base64.b64decode(export.data)))
            text = ' '.join(archive.read(name).decode('utf-8') for name in archive.namelist()
                            if name.startswith('xl/'))
            self.assertNotIn('Groupe Secret', text)
            self.assertNotIn('Münchner Brauhaus', text)
            if not manager:
                self.assertIn('Renault Nord', text)

    # -- 10. searches through auto_join ----------------------------------------

    def test_search_through_account_is_no_oracle(self):
        """Karim still sees the escalation he raised on an account that has
        since gone to another branch, but not the account: a search through
        the escalation's account must not answer questions about it."""
        escalation = self.escalate(self.acc_karim_2, self.u_karim)
        self.acc_karim_2.write({'account_manager_id': self.anton.id,
                                'comment': 'secret-clause'})
        Escalation = self.Escalation.sudo(self.u_karim)
        self.assertEqual(Escalation.search([('id', '=', escalation.id)]), escalation)
        self.assertFalse(self.Partner.sudo(self.u_karim).search(
            [('id', '=', self.acc_karim_2.id)]))
        self.assertTrue(self.Escalation.search(
            [('id', '=', escalation.id), ('partner_id.comment', 'ilike', 'secret')]))
        self.assertFalse(Escalation.search(
            [('id', '=', escalation.id), ('partner_id.comment', 'ilike', 'secret')]))
        self.assertEqual(Escalation.search_count([('partner_id.comment', 'ilike', 'secret')]), 0)
        groups = Escalation.read_group(
            [('partner_id.comment', 'ilike', 'secret')], ['state'], ['state'])
        self.assertEqual(sum(group['state_count'] for group in groups), 0)
        # The same for the history of a foreign account.
        self.foreign.comment = 'other-secret'
        Assignment = self.Assignment.sudo(self.u_karim)
        self.assertTrue(self.Assignment.search([('partner_id.comment', '=', 'other-secret')]))
        self.assertFalse(Assignment.search([('partner_id.comment', '=', 'other-secret')]))
        # Through an account in reach, the search works as before.
        self.acc_karim_1.comment = 'visible-clause'
        self.assertEqual(Assignment.search([('partner_id.comment', '=', 'visible-clause')]),
                         self.acc_karim_1.assignment_ids)

    # -- 11. wizard previews -----------------------------------------------------

    def test_reassign_preview_tells_outsiders_nothing(self):
        portal = self.env['res.users'].create({
            'name': 'Portal Pat', 'login': 'test_portal_pat',
            'groups_id': [(6, 0, self.env.ref('base.group_portal').ids)]})
        self.activity(self.foreign, self.anton.user_id, 'Visit')
        vals = {'partner_ids': [(6, 0, (self.foreign | self.acc_anton_2).ids)],
                'to_manager_id': self.katrin.id, 'reason': 'peek'}
        figures = ['account_count', 'contact_count', 'activity_count', 'skipped_count',
                   'tier_violation_count', 'target_account_count',
                   'target_account_count_after', 'target_capacity']
        for user in (portal, self.u_karim, self.u_nadia):
            wizard = self.env['account.manager.reassign.wizard'].sudo(user).create(vals)
            self.assertEqual([wizard[name] for name in figures], [0] * len(figures), user.login)
            self.assertEqual((wizard.target_load_before, wizard.target_load_after), (0.0, 0.0))
        wizard = self.env['account.manager.reassign.wizard'].sudo(self.u_nadia).create(vals)
        self.assertEqual(wizard.hidden_count, 2)
        # Mixed with an account in reach: still nothing but the hidden count.
        wizard = self.env['account.manager.reassign.wizard'].sudo(self.u_nadia).create(
            dict(vals, partner_ids=[(6, 0, (self.foreign | self.acc_adele_1).ids)],
                 to_manager_id=self.kenji.id))
        self.assertEqual((wizard.account_count, wizard.contact_count, wizard.hidden_count),
                         (0, 0, 1))
        # In reach, the preview is the real one.
        wizard = self.env['account.manager.reassign.wizard'].sudo(self.u_nadia).create(
            dict(vals, partner_ids=[(6, 0, self.acc_adele_1.ids)], to_manager_id=self.kenji.id))
        self.assertEqual((wizard.account_count, wizard.contact_count), (1, 1))
        self.assertEqual(wizard.target_account_count, 2)

    def test_escalate_preview_tells_outsiders_nothing(self):
        wizard = self.env['account.escalation.wizard'].sudo(self.u_karim).create(
            {'partner_id': self.foreign.id, 'subject': 'peek'})
        self.assertFalse(wizard.holder_id)
        self.assertFalse(wizard.proposed_manager_id)
        with self.assertRefused(AccessError):
            wizard.action_escalate()
        wizard = self.env['account.escalation.wizard'].sudo(self.u_karim).create(
            {'partner_id': self.acc_karim_2.id, 'subject': 'fine'})
        self.assertEqual((wizard.holder_id, wizard.proposed_manager_id), (self.karim, self.nadia))

    # -- 12. an account that lands with somebody else ----------------------------

    def test_creator_keeps_reading_what_territory_gave_away(self):
        created = self.Partner.sudo(self.u_karim).create({
            'name': 'Bayern Motoren', 'is_company': True, 'customer': True,
            'country_id': self.germany.id})
        self.assertEqual((created.territory_id, created.account_manager_id),
                         (self.t_bavaria, self.anton))
        as_karim = self.Partner.sudo(self.u_karim).browse(created.id)
        self.assertEqual(as_karim.read(['name'])[0]['name'], 'Bayern Motoren')
        with self.assertRefused(AccessError):
            as_karim.write({'phone': '+49 1'})
        notes = self.env['mail.message'].sudo(self.u_karim).search(
            [('model', '=', 'res.partner'), ('res_id', '=', created.id)])
        self.assertTrue(any(re.search('Bavaria.*Anton', note.body or '') for note in notes),
                        notes.mapped('body'))
        # Somebody else's creations stay out of sight.
        self.assertFalse(self.Partner.sudo(self.u_adele).search([('id', '=', created.id)]))

    def test_escalation_buttons_follow_the_policy(self):
        """The raiser is offered Cancel and Reopen, not Acknowledge; the
        holder and the managers above them are offered everything."""
        escalation = self.escalate(self.acc_adele_1, self.u_adele)
        self.assertEqual(escalation.manager_id, self.karim)
        expected = {self.u_adele: (False, True), self.u_karim: (True, True),
                    self.u_nadia: (True, True), self.kenji.user_id: (False, False),
                    self.user_admin: (True, True)}
        for user, rights in expected.items():
            seen = self.Escalation.sudo(user).browse(escalation.id)
            self.assertEqual((seen.can_handle, seen.can_withdraw), rights, user.login)

    def test_context_defaults_are_judged_like_values(self):
        """``default_*`` keys in the context are values the client sends:
        they are refused where the same values would be."""
        with self.assertRefused(AccessError, 'not set by hand'):
            self.Escalation.sudo(self.u_adele).with_context(
                default_hop_count=7, default_manager_id=self.gloria.id).create({
                    'partner_id': self.acc_adele_1.id, 'subject': 'Defaults'})
        created = self.Escalation.sudo(self.u_adele).with_context(
            default_raised_by_id=self.u_karim.id,
            default_origin_manager_id=self.anton.id).create({
                'partner_id': self.acc_adele_1.id, 'subject': 'Defaults'})
        self.assertEqual((created.raised_by_id, created.origin_manager_id),
                         (self.u_adele, self.adele))
        with self.assertRefused(AccessError, 'outside your team'):
            self.Partner.sudo(self.u_karim).with_context(
                default_account_manager_id=self.anton.id).create(
                {'name': 'Given away', 'is_company': True})
