from odoo.exceptions import AccessError

from odoo.addons.account_manager.tests.common import AccountManagerCase


class TestSaleOrder(AccountManagerCase):
    """Quotations and orders of a managed account: their salesperson and
    team come from the account manager, and restricted account managers
    reach the orders of the accounts they reach, and no others."""

    @classmethod
    def setUpClass(cls):
        super(TestSaleOrder, cls).setUpClass()
        cls.Order = cls.env['sale.order']
        sales_all = cls.env.ref('sales_team.group_sale_salesman_all_leads')
        # Sales' "all documents" group: only this addon's rules restrict.
        for manager in (cls.gloria, cls.nadia, cls.karim, cls.kenji, cls.adele):
            manager.user_id.groups_id = [(4, sales_all.id)]
        cls.user_sales = cls._create_user('sales_all', sales_all)
        cls.product = cls.env['product.product'].create({
            'name': 'Service contract', 'type': 'service', 'list_price': 100.0})
        cls.o_karim = cls._order(cls.acc_karim_1)
        cls.o_kenji = cls._order(cls.acc_kenji_1)
        cls.o_anton = cls._order(cls.acc_anton_1)
        cls.o_nobody = cls._order(cls.acc_unassigned)
        # Karim is the salesperson of an order of Anton's account.
        cls.o_anton_by_karim = cls._order(cls.acc_anton_2, user_id=cls.karim.user_id.id)

    @classmethod
    def _order(cls, partner, **vals):
        return cls.Order.create(dict(vals, partner_id=partner.id, order_line=[(0, 0, {
            'product_id': cls.product.id, 'product_uom_qty': 2})]))

    def orders(self):
        return self.o_karim | self.o_kenji | self.o_anton | self.o_nobody | self.o_anton_by_karim

    # ------------------------------------------------------------------
    # Salesperson and team
    # ------------------------------------------------------------------

    def test_new_quotation_takes_the_account_manager(self):
        """The form (onchange), as Nadia, for Karim's account and its
        contact: Karim is the salesperson."""
        contact = self.acc_karim_1.child_ids[:1]
        for partner in (self.acc_karim_1, contact):
            order = self.Order.sudo(self.nadia.user_id).new({'partner_id': partner.id})
            order.onchange_partner_id()
            self.assertEqual(order.user_id, self.karim.user_id, partner.name)

    def test_create_without_salesperson_takes_the_account_manager(self):
        """RPC/import create without user_id: the account manager's user,
        not the caller; an explicit salesperson is kept; a partner without
        a manager keeps Odoo's default (the caller)."""
        Order = self.Order.sudo(self.nadia.user_id)
        order = Order.create({'partner_id': self.acc_kenji_1.id})
        self.assertEqual(order.user_id, self.kenji.user_id)
        order = Order.create({'partner_id': self.acc_kenji_1.id,
                              'user_id': self.nadia.user_id.id})
        self.assertEqual(order.user_id, self.nadia.user_id)
        order = Order.create({'partner_id': self.acc_unassigned.id})
        self.assertEqual(order.user_id, self.nadia.user_id)

    def test_team_of_the_managers_user(self):
        team = self.env['crm.team'].create({'name': 'Key Accounts France'})
        self.karim.user_id.sale_team_id = team
        order = self.Order.sudo(self.nadia.user_id).create({'partner_id': self.acc_karim_2.id})
        self.assertEqual((order.user_id, order.team_id), (self.karim.user_id, team))
        form = self.Order.sudo(self.nadia.user_id).new({'partner_id': self.acc_karim_2.id})
        form.onchange_partner_id()
        self.assertEqual(form.team_id, team)
        # An explicit team is kept.
        other = self.env['crm.team'].create({'name': 'Events'})
        order = self.Order.create({'partner_id': self.acc_karim_2.id, 'team_id': other.id})
        self.assertEqual((order.user_id, order.team_id), (self.karim.user_id, other))

    def test_reassigned_account_new_orders_follow(self):
        self.acc_kenji_2.account_manager_id = self.karim
        order = self.Order.create({'partner_id': self.acc_kenji_2.id})
        self.assertEqual(order.user_id, self.karim.user_id)

    # ------------------------------------------------------------------
    # Reach
    # ------------------------------------------------------------------

    def assertReach(self, user, visible):
        orders = self.orders()
        Order = self.Order.sudo(user)
        self.assertEqual(Order.search([('id', 'in', orders.ids)]), visible)
        Line = self.env['sale.order.line'].sudo(user)
        self.assertEqual(Line.search([('order_id', 'in', orders.ids)]).mapped('order_id'),
                         visible)
        Report = self.env['sale.report'].sudo(user)
        partners = orders.mapped('partner_id')
        groups = Report.read_group([('partner_id', 'in', partners.ids)],
                                   ['partner_id', 'price_total'], ['partner_id'])
        self.assertEqual({g['partner_id'][0] for g in groups},
                         set(visible.mapped('partner_id').ids))
        for order in orders - visible:
            with self.assertRaises(AccessError):
                Order.browse(order.id).read(['name'])
            with self.assertRaises(AccessError):
                Order.browse(order.id).write({'note': 'x'})
            with self.assertRaises(AccessError):
                Line.browse(order.order_line.ids).write({'name': 'x'})
            with self.assertRaises(AccessError):
                Order.browse(order.id).action_cancel()
            with self.assertRaises(AccessError):
                Order.browse(order.id).unlink()

    def test_own_accounts_reach(self):
        """Karim (Own Accounts): his account's orders, the unassigned
        account's and the one he is the salesperson of; not Kenji's (his
        peer) nor Anton's."""
        self.assertReach(self.karim.user_id,
                         self.o_karim | self.o_nobody | self.o_anton_by_karim)

    def test_team_accounts_reach(self):
        """Nadia (Team Accounts): her team's (Karim's, Kenji's), not
        Germany's."""
        self.assertReach(self.nadia.user_id, self.o_karim | self.o_kenji | self.o_nobody)

    def test_all_accounts_and_other_users_unrestricted(self):
        for user in (self.gloria.user_id, self.user_sales):
            self.assertReach(user, self.orders())

    def test_reach_follows_a_reassignment(self):
        self.assertNotIn(self.o_kenji, self.Order.sudo(self.karim.user_id).search([]))
        self.acc_kenji_1.account_manager_id = self.karim
        self.assertIn(self.o_kenji, self.Order.sudo(self.karim.user_id).search([]))

    def test_own_orders_workable(self):
        """Karim works on his own documents without an AccessError: edits,
        adds a line, confirms; and creates a quotation for an account out of
        his reach only when he is its salesperson, which he may see."""
        order = self.o_karim.sudo(self.karim.user_id)
        order.write({'note': 'Two visits a year',
                     'order_line': [(0, 0, {'product_id': self.product.id})]})
        order.action_confirm()
        self.assertEqual(order.state, 'sale')
        self.assertEqual(len(order.order_line), 2)
        mine = self.o_anton_by_karim.sudo(self.karim.user_id)
        self.assertEqual(mine.partner_id.display_name, self.acc_anton_2.display_name)
        mine.action_confirm()
        self.assertEqual(mine.state, 'sale')
