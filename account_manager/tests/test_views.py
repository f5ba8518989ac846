from lxml import etree

from .common import AccountManagerCase


class TestViews(AccountManagerCase):
    """What a new user reads in the web client: names, labels, charts."""

    def arch(self, model, view_type):
        return etree.fromstring(self.env[model].fields_view_get(view_type=view_type)['arch'])

    def test_workload_chart_shows_load_against_capacity(self):
        graph = self.arch('account.manager.workload.report', 'graph')
        self.assertEqual(graph.xpath("//field[@type='measure']/@name"), ['load'])

    def test_escalation_cards_show_their_holder(self):
        kanban = self.arch('account.escalation', 'kanban')
        self.assertTrue(kanban.xpath("//div[contains(@class, 'oe_kanban_content')]"
                                     "//field[@name='manager_id']"))

    def test_wizard_and_form_both_say_deadline(self):
        self.assertEqual(self.env['account.escalation.wizard']._fields['deadline'].string,
                         self.env['account.escalation']._fields['deadline'].string)

    def test_adopt_menu_name_fits(self):
        menu = self.env.ref('account_manager.account_manager_adopt_menu')
        self.assertLessEqual(len(menu.name), 20)

    def test_list_columns_are_titled_for_users(self):
        """No "Display Name" / "Complete Name" column titles in the lists
        embedded in forms, nor in the territory list."""
        for xmlid in ('account_manager.account_manager_view_form',
                      'account_manager.account_territory_view_tree',
                      'account_manager.res_partner_view_form'):
            view = self.env.ref(xmlid)
            for node in etree.fromstring(view.arch).xpath(
                    "//tree//field[@name='display_name' or @name='complete_name']"):
                self.assertTrue(node.get('string'), '%s: %s' % (xmlid, etree.tostring(node)))

    def test_accounts_are_customers_not_users_or_companies(self):
        """The Accounts lists and the coverage figures hold customer
        accounts: not colleagues' or portal users' own partners, not the
        company's partner (unless somebody manages them)."""
        portal = self.env['res.users'].create({
            'name': 'Portal Paula', 'login': 'test_portal_paula',
            'groups_id': [(6, 0, self.env.ref('base.group_portal').ids)]})
        portal.partner_id.customer = True
        colleague = self.user_plain.partner_id
        colleague.customer = True
        self.company.partner_id.customer = True
        accounts = self.Partner.search([('is_account', '=', True)])
        for partner in (portal.partner_id, colleague, self.company.partner_id):
            self.assertNotIn(partner, accounts, partner.name)
            self.assertFalse(partner.is_account)
        self.assertIn(self.acc_unassigned, accounts)
        self.assertIn(self.acc_adele_1, accounts)
        self.assertNotIn(self.contacts_of(self.acc_adele_1), accounts)
        Portfolio = self.env['account.manager.portfolio.report']
        Portfolio.invalidate_cache()
        rows = Portfolio.search([]).mapped('partner_id')
        self.assertNotIn(portal.partner_id, rows)
        self.assertNotIn(self.company.partner_id, rows)
        self.assertIn(self.acc_unassigned, rows)
        # Managed, a portal customer is an account like any other.
        portal.partner_id.account_manager_id = self.adele
        self.assertIn(portal.partner_id, self.Partner.search([('is_account', '=', True)]))
        action = self.env.ref('account_manager.res_partner_account_action')
        self.assertEqual(action.domain, "[('is_account', '=', True)]")

    def contacts_of(self, account):
        return self.Partner.search([('parent_id', '=', account.id)])
