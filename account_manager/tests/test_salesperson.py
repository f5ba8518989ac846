from odoo.exceptions import AccessError, UserError

from ..models.res_partner import SALESPERSON_AS_IS, SALESPERSON_AS_IS_KEY
from .common import AccountManagerCase


class TestSalesperson(AccountManagerCase):
    """The salesperson (``user_id``) of a managed account and of its contacts
    is its account manager's user, whatever path changes the manager; a hand
    change of the salesperson is a change of manager, or refused."""

    @classmethod
    def setUpClass(cls):
        super(TestSalesperson, cls).setUpClass()
        cls.Manager.search([]).write({'capacity': 0})
        cls._keep_only_fixture_territories()

    def family(self, account):
        return account | account.child_ids

    def assertSalesperson(self, accounts, manager):
        for account in accounts:
            for partner in self.family(account):
                self.assertEqual(partner.user_id, manager.user_id, partner.display_name)

    def test_every_account_of_the_fixture_has_its_manager_as_salesperson(self):
        for manager in (self.karim, self.nadia, self.anton):
            accounts = self.Partner.search([('account_manager_id', '=', manager.id),
                                            ('parent_id', '=', False)])
            self.assertTrue(accounts)
            self.assertSalesperson(accounts, manager)

    def test_form_change_of_manager(self):
        self.acc_adele_1.account_manager_id = self.karim
        self.assertSalesperson(self.acc_adele_1, self.karim)
        # Removing the manager leaves the salesperson alone.
        self.acc_adele_1.account_manager_id = False
        self.assertSalesperson(self.acc_adele_1, self.karim)

    def test_new_contact_takes_the_manager_not_the_given_salesperson(self):
        contact = self.Partner.create({'name': 'Buyer', 'parent_id': self.acc_karim_2.id,
                                       'user_id': self.anton.user_id.id})
        self.assertEqual(contact.user_id, self.karim.user_id)

    def test_reassignment_moves_the_salesperson(self):
        accounts = self.acc_adele_1 | self.acc_adele_2
        self.env['account.manager.reassignment']._execute(
            accounts, self.arthur, 'Rebalancing')
        self.assertSalesperson(accounts, self.arthur)

    def test_territory_assignment_gives_the_salesperson(self):
        account = self.Partner.create({
            'name': 'Bistrot Voltaire', 'is_company': True, 'customer': True,
            'country_id': self.france.id, 'zip': '75011',
        })
        self.assertEqual(account.account_manager_id, self.adele)
        self.assertSalesperson(account, self.adele)

    def test_hand_change_to_a_manager_is_a_change_of_manager(self):
        self.acc_adele_1.sudo(self.nadia.user_id).write({'user_id': self.arthur.user_id.id})
        self.assertEqual(self.acc_adele_1.account_manager_id, self.arthur)
        self.assertSalesperson(self.acc_adele_1, self.arthur)
        line = self.current_lines(self.acc_adele_1)
        self.assertEqual(line.manager_id, self.arthur)
        self.assertEqual(line.origin, 'manual')
        self.assertEqual(line.user_id, self.nadia.user_id)

    def test_hand_change_follows_the_rules_of_a_change_of_manager(self):
        """Karim may not give his account to Niklas's team: neither through
        the salesperson."""
        with self.assertRefused(AccessError):
            self.acc_karim_2.sudo(self.karim.user_id).write(
                {'user_id': self.katrin.user_id.id})
        self.assertEqual(self.acc_karim_2.account_manager_id, self.karim)
        self.assertSalesperson(self.acc_karim_2, self.karim)

    def test_hand_change_to_a_non_manager_is_refused(self):
        with self.assertRefused(UserError, '%s is not an account manager.*Boulangerie' % (
                self.user_plain.name)):
            self.acc_adele_1.write({'user_id': self.user_plain.id})
        self.assertSalesperson(self.acc_adele_1, self.adele)

    def test_hand_change_on_a_contact_or_to_nobody_is_refused(self):
        contact = self.acc_adele_1.child_ids
        with self.assertRefused(UserError, 'Change the account manager of the account.*%s'
                                % contact.name):
            contact.write({'user_id': self.arthur.user_id.id})
        with self.assertRefused(UserError, 'remove or change the account manager'):
            self.acc_adele_1.write({'user_id': False})
        self.assertSalesperson(self.acc_adele_1, self.adele)

    def test_unmanaged_partner_keeps_a_hand_chosen_salesperson(self):
        self.acc_unassigned.write({'user_id': self.user_plain.id})
        self.assertEqual(self.acc_unassigned.user_id, self.user_plain)
        # Writing the salesperson it already has is no change at all.
        self.acc_adele_1.write({'user_id': self.adele.user_id.id})
        self.assertEqual(self.acc_adele_1.account_manager_id, self.adele)

    def test_a_managers_new_user_becomes_the_salesperson(self):
        user = self._create_user('adele2', self.env.ref('account_manager.group_own_accounts'))
        self.adele.user_id = user
        self.assertSalesperson(self.acc_adele_1 | self.acc_adele_2, self.adele)
        self.assertEqual(self.acc_adele_1.account_manager_user_id, user)

    def test_as_is_sentinel_is_odoos_own_write_and_a_string_is_not(self):
        """The benchmarks' baseline writes the salesperson as Odoo does; the
        same key with a value a client could send changes nothing."""
        with self.assertRefused(UserError, 'is not an account manager'):
            self.acc_adele_1.with_context(**{SALESPERSON_AS_IS_KEY: True}).write(
                {'user_id': self.user_plain.id})
        self.acc_adele_1.with_context(**{SALESPERSON_AS_IS_KEY: SALESPERSON_AS_IS}).write(
            {'user_id': self.user_plain.id})
        self.assertEqual(self.acc_adele_1.user_id, self.user_plain)
        self.assertEqual(self.acc_adele_1.account_manager_id, self.adele)
