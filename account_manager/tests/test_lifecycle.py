from odoo.exceptions import AccessError

from .common import AccountManagerCase


class TestAdoptSalespersons(AccountManagerCase):
    """Installing on a database with an existing sales organisation: the
    adoption action turns salespersons into managers of their accounts."""

    @classmethod
    def setUpClass(cls):
        super(TestAdoptSalespersons, cls).setUpClass()
        cls.sales_1 = cls._create_user('sales_1', cls.env.ref('base.group_user'))
        cls.sales_2 = cls._create_user('sales_2', cls.env.ref('base.group_user'))
        cls.sold_1 = cls.Partner.browse()
        for i in range(3):
            cls.sold_1 |= cls.Partner.create({
                'name': 'Sold by one %d' % i, 'is_company': True, 'user_id': cls.sales_1.id})
        cls.sold_2 = cls.Partner.create({
            'name': 'Sold by two', 'is_company': True, 'user_id': cls.sales_2.id})
        cls.contact_1 = cls.Partner.create({
            'name': 'Person at one', 'parent_id': cls.sold_1[0].id,
            'user_id': cls.sales_2.id})
        # Already managed: the salesperson must not take it over. (A managed
        # account's salesperson is its manager's user; this one is as a
        # database would have it from before that rule, or from SQL.)
        cls.env.cr.execute('UPDATE res_partner SET user_id = %s WHERE id = %s',
                           (cls.sales_1.id, cls.acc_adele_1.id))
        cls.acc_adele_1.invalidate_cache(['user_id'], cls.acc_adele_1.ids)
        # Needs a Key Account Manager: a new Account Manager cannot hold it.
        cls.sold_key = cls.Partner.create({
            'name': 'Key sold by two', 'is_company': True, 'user_id': cls.sales_2.id,
            'required_tier_id': cls.tier_kam.id})
        # The salesperson already manages accounts: reused, not duplicated.
        cls.sold_karim = cls.Partner.create({
            'name': 'Sold by Karim', 'is_company': True, 'user_id': cls.karim.user_id.id})

    def test_adopt_creates_managers_and_assigns_accounts(self):
        self.Manager.sudo(self.user_admin).action_adopt_salespersons()
        manager_1 = self.Manager.search([('user_id', '=', self.sales_1.id)])
        manager_2 = self.Manager.search([('user_id', '=', self.sales_2.id)])
        self.assertEqual(len(manager_1), 1)
        self.assertEqual(len(manager_2), 1)
        self.assertEqual(manager_1.tier_id, self.tier_am)
        self.assertEqual(manager_1.capacity, self.tier_am.default_capacity)
        self.assertEqual(self.sold_1.mapped('account_manager_id'), manager_1)
        self.assertEqual(self.sold_2.account_manager_id, manager_2)
        # The contact follows its account, not its own salesperson.
        self.assertEqual(self.contact_1.account_manager_id, manager_1)
        self.assertEqual(self.sold_karim.account_manager_id, self.karim)
        self.assertEqual(self.Manager.search_count(
            [('user_id', '=', self.karim.user_id.id)]), 1)
        for account in self.sold_1 | self.sold_2 | self.sold_karim:
            line = self.current_lines(account)
            self.assertEqual(len(line), 1)
            self.assertEqual(line.origin, 'import')
            self.assertEqual(line.manager_id, account.account_manager_id)
        self.assertFalse(self.current_lines(self.contact_1))
        # The adopted users may now work on their accounts.
        own = self.env.ref('account_manager.group_own_accounts')
        for user in (self.sales_1, self.sales_2):
            self.assertIn(own, user.groups_id)
            self.assertEqual(self.Partner.sudo(user).search(
                [('id', 'in', self.sold_1.ids + self.sold_2.ids),
                 ('account_manager_user_id', '=', user.id)]),
                (self.sold_1 | self.sold_2).filtered(lambda p, user=user: p.user_id == user))

    def test_adopt_leaves_managed_and_out_of_tier_accounts(self):
        lines_before = self.current_lines(self.acc_adele_1)
        self.Manager.sudo(self.user_admin).action_adopt_salespersons()
        self.assertEqual(self.acc_adele_1.account_manager_id, self.adele)
        self.assertEqual(self.current_lines(self.acc_adele_1), lines_before)
        self.assertFalse(self.sold_key.account_manager_id)
        self.assertFalse(self.current_lines(self.sold_key))

    def test_adopt_is_idempotent(self):
        self.Manager.sudo(self.user_admin).action_adopt_salespersons()
        managers = self.Manager.search([])
        lines = self.Assignment.search([])
        self.Manager.sudo(self.user_admin).action_adopt_salespersons()
        self.assertEqual(self.Manager.search([]), managers)
        self.assertEqual(self.Assignment.search([]), lines)

    def test_adopt_is_for_administrators_only(self):
        managers = self.Manager.search([])
        for user in (self.gloria.user_id, self.user_plain):
            with self.assertRefused(AccessError, 'administrator'):
                self.Manager.sudo(user).action_adopt_salespersons()
        self.assertEqual(self.Manager.search([]), managers)
        self.assertFalse(self.sold_1.mapped('account_manager_id'))

    def test_adopt_action_in_configuration_menu(self):
        action = self.env.ref('account_manager.account_manager_adopt_action')
        result = action.sudo(self.user_admin).with_context(
            active_model='account.manager').run()
        self.assertEqual(result['res_model'], 'account.manager')
        self.assertTrue(self.sold_2.account_manager_id)
