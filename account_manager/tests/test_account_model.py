from psycopg2 import IntegrityError

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import mute_logger

from .common import AccountManagerCase


class TestTiers(AccountManagerCase):

    def test_shipped_tiers_and_levels(self):
        self.assertEqual(
            [(t.code, t.level) for t in (self.tier_am, self.tier_kam, self.tier_nam, self.tier_gam)],
            [('AM', 10), ('KAM', 20), ('NAM', 30), ('GAM', 40)])

    def test_users_add_a_tier_between(self):
        ram = self.env['account.manager.tier'].create(
            {'name': 'Regional Account Manager', 'code': 'RAM', 'level': 25})
        self.karim.parent_id = False
        self.karim.tier_id = ram
        self.karim.parent_id = self.nadia
        self.assertEqual(self.karim.tier_level, 25)

    @mute_logger('odoo.sql_db')
    def test_tier_level_unique(self):
        with self.assertRaises(IntegrityError):
            self.env['account.manager.tier'].create(
                {'name': 'Twin', 'code': 'TWIN', 'level': 20})

    @mute_logger('odoo.sql_db')
    def test_tier_code_unique(self):
        with self.assertRaises(IntegrityError):
            self.env['account.manager.tier'].create(
                {'name': 'Twin', 'code': 'KAM', 'level': 21})

    def test_tier_level_change_that_breaks_hierarchy_refused(self):
        with self.assertRaisesRegex(ValidationError, 'higher tier'):
            self.tier_kam.level = 35


class TestManagers(AccountManagerCase):

    def test_capacity_defaults_from_tier_and_is_editable(self):
        self.assertEqual(self.karim.capacity, self.tier_kam.default_capacity)
        user = self._create_user('newcomer', self.group_own)
        manager = self.Manager.create({
            'user_id': user.id, 'tier_id': self.tier_am.id, 'capacity': 7})
        self.assertEqual(manager.capacity, 7)
        self.assertEqual(manager.name, 'Newcomer')

    def test_account_count_and_load(self):
        self.karim.capacity = 8
        self.assertEqual(self.karim.account_count, 2)
        self.assertAlmostEqual(self.karim.load, 25.0)
        self.karim.capacity = 0
        self.assertEqual(self.karim.load, 0.0)
        # Everything below nadia: her own, karim's, kenji's, adele's, arthur's.
        self.assertEqual(self.nadia.team_account_count, 9)

    def test_account_count_same_for_every_viewer(self):
        # Karim (Own Accounts) cannot open Adele's accounts, but her load is
        # the same figure for him as for an administrator.
        adele_as_karim = self.adele.sudo(self.karim.user_id)
        self.assertEqual(adele_as_karim.account_count, 2)
        self.assertEqual(self.karim.sudo(self.karim.user_id).team_account_count, 4)

    def test_parent_must_be_of_higher_tier(self):
        with self.assertRefused(ValidationError, 'Kenji .Key Account Manager. cannot report to Adele'):
            self.kenji.parent_id = self.adele
        self.assertEqual(self.kenji.parent_id, self.nadia)
        with self.assertRaisesRegex(ValidationError, 'higher tier'):
            self.kenji.parent_id = self.karim

    def test_no_cycles(self):
        # Tiers forbid most cycles; a tier change is the way one could sneak in.
        with self.assertRaises(ValidationError):
            self.gloria.parent_id = self.anton

    def test_parent_tier_downgrade_below_reports_refused(self):
        with self.assertRaisesRegex(ValidationError, 'would not be higher'):
            self.nadia.tier_id = self.tier_kam

    def test_parent_must_be_active(self):
        user = self._create_user('boss', self.group_team)
        boss = self.Manager.create({'user_id': user.id, 'tier_id': self.tier_nam.id})
        boss.active = False
        with self.assertRaisesRegex(ValidationError, 'archived'):
            self.katrin.parent_id = boss

    @mute_logger('odoo.sql_db')
    def test_one_manager_per_user_and_company(self):
        with self.assertRaises(IntegrityError):
            self.Manager.create({'user_id': self.karim.user_id.id, 'tier_id': self.tier_kam.id})

    def test_archive_with_accounts_refused_with_the_list(self):
        with self.assertRefused(UserError, 'Lyon Textiles') as caught:
            self.arthur.active = False
        self.assertIn('Marseille Marine', str(caught.exception))
        self.assertTrue(self.arthur.active)

    def test_archive_with_active_reports_refused(self):
        self.acc_kenji_1.account_manager_id = self.karim
        self.acc_kenji_2.account_manager_id = self.karim
        with self.assertRaisesRegex(UserError, 'active reports: Arthur'):
            self.kenji.active = False

    def test_archive_free_manager(self):
        self.acc_adele_1.account_manager_id = self.karim
        self.acc_adele_2.account_manager_id = self.karim
        self.t_paris.manager_id = self.karim
        self.adele.active = False
        self.assertFalse(self.adele.active)

    def test_backup_cannot_be_self(self):
        with self.assertRaises(ValidationError):
            self.adele.backup_manager_id = self.adele


class TestTerritories(AccountManagerCase):

    def test_complete_name(self):
        self.assertEqual(self.t_paris.complete_name, 'World / Europe / France / Paris')
        self.t_europe.name = 'EMEA'
        self.assertEqual(self.t_paris.complete_name, 'World / EMEA / France / Paris')

    def test_type_must_narrow(self):
        with self.assertRaisesRegex(ValidationError, 'narrower type'):
            self.Territory.create({'name': 'Île-de-France', 'territory_type': 'region',
                                   'parent_id': self.t_france.id})
        with self.assertRaisesRegex(ValidationError, 'narrower type'):
            self.t_paris.territory_type = 'country'

    def test_no_cycles(self):
        with self.assertRaises(ValidationError):
            self.t_world.parent_id = self.t_paris

    def test_inverted_zip_range_refused(self):
        with self.assertRaisesRegex(ValidationError, r'inverted.*Paris \(76000 – 75000\)'):
            self.t_paris.write({'zip_from': '76000', 'zip_to': '75000'})

    def test_account_count_includes_sub_territories(self):
        self.assertEqual(self.t_paris.account_count, 2)
        self.assertEqual(self.t_france.account_count, 9)


class TestAccounts(AccountManagerCase):

    def test_contacts_mirror_the_account(self):
        contact = self.acc_arthur_1.child_ids
        self.assertEqual(contact.account_manager_id, self.arthur)
        self.assertEqual(contact.territory_id, self.t_france)
        self.acc_arthur_1.write({'account_manager_id': self.kenji.id,
                                 'territory_id': self.t_paris.id})
        self.assertEqual(contact.account_manager_id, self.kenji)
        self.assertEqual(contact.account_manager_tier_id, self.tier_kam)
        self.assertEqual(contact.territory_id, self.t_paris)

    def test_new_contact_takes_the_account_values(self):
        contact = self.Partner.create({'name': 'New buyer', 'parent_id': self.acc_key.id})
        self.assertEqual(contact.account_manager_id, self.karim)
        self.assertEqual(contact.required_tier_id, self.tier_kam)

    def test_contact_cannot_diverge(self):
        contact = self.acc_arthur_1.child_ids
        with self.assertRefused(UserError, 'Contact of Lyon Textiles.*account: Lyon Textiles'):
            contact.account_manager_id = self.kenji
        self.assertEqual(contact.account_manager_id, self.arthur)

    def test_required_tier_refused_with_names(self):
        with self.assertRefused(
                ValidationError, 'Airbus Sud requires Key Account Manager; Adele is Account Manager'):
            self.acc_key.account_manager_id = self.adele
        self.assertEqual(self.acc_key.account_manager_id, self.karim)

    def test_required_tier_reached_by_higher_tier(self):
        self.acc_key.account_manager_id = self.nadia
        self.assertEqual(self.acc_key.account_manager_tier_id, self.tier_nam)

    def test_raising_required_tier_above_manager_refused(self):
        with self.assertRefused(ValidationError, 'Lyon Textiles requires Key Account Manager'):
            self.acc_arthur_1.required_tier_id = self.tier_kam
        self.assertFalse(self.acc_arthur_1.required_tier_id)

    def test_manager_tier_change_checks_accounts(self):
        with self.assertRaisesRegex(ValidationError, 'Airbus Sud'):
            self.karim.write({'tier_id': self.tier_am.id, 'parent_id': self.nadia.id})

    def test_group_accounts_without_cycles(self):
        group = self.acc_nadia_1
        self.acc_karim_2.account_parent_id = group
        self.acc_kenji_1.account_parent_id = group
        self.assertEqual(group.account_child_ids, self.acc_karim_2 | self.acc_kenji_1)
        with self.assertRaisesRegex(ValidationError, 'cannot belong to itself'):
            group.account_parent_id = self.acc_karim_2

    def test_group_account_must_be_an_account(self):
        with self.assertRaisesRegex(ValidationError, 'not a contact person'):
            self.acc_karim_2.account_parent_id = self.acc_nadia_1.child_ids

    def test_tier_gap_filter(self):
        """An account requiring a tier its manager lacks (or with no manager
        at all) is found by the Tier Gap filter, and only that one."""
        self.acc_unassigned.required_tier_id = self.tier_kam
        self.acc_nadia_1.required_tier_id = self.tier_nam
        self.acc_karim_1.required_tier_id = self.tier_am
        # Contacts mirror their account's required tier: accounts only.
        gap = self.Partner.search([('account_tier_gap', '=', True), ('parent_id', '=', False)])
        self.assertEqual(gap, self.acc_unassigned)
        self.assertIn(self.acc_unassigned.child_ids, self.Partner.search(
            [('account_tier_gap', '=', True)]))
        no_gap = self.Partner.search([('account_tier_gap', '=', False),
                                      ('id', 'in', (gap | self.acc_karim_1
                                                    | self.acc_nadia_1).ids)])
        self.assertEqual(no_gap, self.acc_karim_1 | self.acc_nadia_1)

    def test_filters(self):
        self.assertEqual(self.Partner.search([('account_tier_gap', '=', True)]), self.Partner)
        unassigned = self.Partner.search([('account_manager_id', '=', False),
                                          ('id', 'in', self.acc_unassigned.ids)])
        self.assertEqual(unassigned, self.acc_unassigned)
        team = self.Partner.sudo(self.nadia.user_id).search([('account_in_my_team', '=', True)])
        self.assertEqual(team.mapped('commercial_partner_id'),
                         self.acc_nadia_1 | self.acc_karim_1 | self.acc_karim_2
                         | self.acc_kenji_1 | self.acc_kenji_2 | self.acc_adele_1
                         | self.acc_adele_2 | self.acc_arthur_1 | self.acc_arthur_2)


class TestHistory(AccountManagerCase):

    def test_create_opens_first_line(self):
        line = self.current_lines(self.acc_adele_1)
        self.assertEqual(len(line), 1)
        self.assertEqual((line.manager_id, line.origin, line.role), (self.adele, 'manual', 'primary'))
        self.assertFalse(self.current_lines(self.acc_unassigned))
        self.assertFalse(self.Assignment.search([('partner_id', '=', self.acc_adele_1.child_ids.id)]),
                         "contacts have no history of their own")

    def test_write_closes_and_opens(self):
        old = self.current_lines(self.acc_adele_1)
        self.acc_adele_1.account_manager_id = self.arthur
        self.assertTrue(old.date_end)
        new = self.current_lines(self.acc_adele_1)
        self.assertEqual((new.manager_id, new.origin), (self.arthur, 'manual'))
        self.assertEqual(len(self.acc_adele_1.assignment_ids), 2)

    def test_same_manager_writes_no_line(self):
        self.acc_adele_1.account_manager_id = self.adele
        self.assertEqual(len(self.acc_adele_1.assignment_ids), 1)

    def test_unassign_closes_the_line(self):
        self.acc_adele_1.account_manager_id = False
        self.assertFalse(self.current_lines(self.acc_adele_1))
        self.assertTrue(self.acc_adele_1.assignment_ids.date_end)

    def test_import_origin_and_reason_given_explicitly(self):
        self.acc_adele_1._write_account_manager(
            self.arthur, origin='import', reason='CRM migration')
        line = self.current_lines(self.acc_adele_1)
        self.assertEqual((line.origin, line.reason), ('import', 'CRM migration'))

    def test_context_keys_do_not_decide_the_history(self):
        """What a client sends in the context (over RPC, as strings) sets
        no origin, reason, date or acting user: the change is manual, now,
        and made by whoever made it."""
        partner = self.acc_adele_1.sudo(self.nadia.user_id).with_context(
            account_manager_origin='territory', account_manager_reason='forged',
            account_manager_date='2001-01-01 00:00:00',
            account_manager_acting_uid=self.gloria.user_id.id,
            account_manager_reassignment_id=1,
            account_manager_change={'origin': 'import', 'date': '2001-01-01 00:00:00'})
        partner.account_manager_id = self.karim
        line = self.current_lines(self.acc_adele_1)
        self.assertEqual(
            (line.origin, line.reason, line.reassignment_id.id, line.user_id),
            ('manual', False, False, self.nadia.user_id))
        self.assertGreater(line.date_start, '2020-01-01')

    def test_import_through_load_records_import(self):
        self.Partner.load(['.id', 'account_manager_id/.id'],
                          [[str(self.acc_adele_2.id), str(self.arthur.id)]])
        self.assertEqual(self.current_lines(self.acc_adele_2).origin, 'import')

    def test_import_through_load(self):
        """The web client's import calls load(): it goes through write too."""
        result = self.Partner.load(
            ['.id', 'account_manager_id/.id'],
            [[str(self.acc_adele_2.id), str(self.arthur.id)]])
        self.assertFalse(result['messages'])
        self.assertEqual(self.current_lines(self.acc_adele_2).manager_id, self.arthur)

    def test_change_by_a_restricted_user_is_recorded_as_them(self):
        self.acc_adele_1.sudo(self.nadia.user_id).account_manager_id = self.karim
        line = self.current_lines(self.acc_adele_1)
        self.assertEqual((line.manager_id, line.user_id), (self.karim, self.nadia.user_id))

    def test_users_cannot_edit_or_delete_history(self):
        line = self.current_lines(self.acc_adele_1)
        for user in (self.adele.user_id, self.nadia.user_id, self.gloria.user_id, self.user_plain):
            with self.assertRaises(AccessError):
                line.sudo(user).write({'reason': 'tampered'})
            with self.assertRaises(AccessError):
                line.sudo(user).unlink()
            with self.assertRaises(AccessError):
                self.Assignment.sudo(user).create({
                    'partner_id': self.acc_adele_1.id, 'manager_id': self.adele.id})

    def test_admin_corrects_history(self):
        line = self.current_lines(self.acc_adele_1)
        line.sudo(self.user_admin).write({'reason': 'Corrected start date'})
        self.assertEqual(line.reason, 'Corrected start date')

    @mute_logger('odoo.sql_db')
    def test_database_refuses_two_open_primary_lines(self):
        with self.assertRaises(IntegrityError):
            self.Assignment.create({'partner_id': self.acc_adele_1.id,
                                    'manager_id': self.arthur.id})
