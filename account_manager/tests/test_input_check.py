from odoo.exceptions import AccessError, UserError, ValidationError

from .common import AccountManagerCase


class TestInputCheck(AccountManagerCase):
    """Wrongly typed values get a ValidationError naming the model, the
    records, the field and the value, and nothing is written."""

    def assertInvalid(self, records, vals, *fragments):
        with self.assertRefused(ValidationError) as caught:
            records.write(vals)
        message = str(caught.exception.name)
        for fragment in fragments:
            self.assertIn(fragment, message)
        return message

    def test_integer_refuses_text_and_overflow(self):
        before = self.kenji.capacity
        message = self.assertInvalid(self.kenji, {'capacity': 'abc'},
                                     'Account Manager', self.kenji.name,
                                     'Capacity (capacity)', "'abc'")
        self.assertIn('whole number', message)
        self.assertInvalid(self.kenji, {'capacity': 2 ** 31}, 'capacity')
        self.assertInvalid(self.kenji, {'capacity': True}, 'capacity')
        self.assertInvalid(self.kenji, {'capacity': 1.5}, 'capacity')
        self.assertEqual(self.kenji.capacity, before)
        # an integral float is a whole number
        self.kenji.write({'capacity': 40.0})
        self.assertEqual(self.kenji.capacity, 40)

    def test_many2one_refuses_unknown_ids_and_wrong_types(self):
        self.assertInvalid(self.acc_kenji_1, {'account_manager_id': 987654321},
                           'Account Manager (account_manager_id)',
                           'no Account Manager with id 987654321',
                           self.acc_kenji_1.name)
        self.assertInvalid(self.acc_kenji_1, {'account_manager_id': 'kenji'}, "'kenji'")
        self.assertInvalid(self.acc_kenji_1, {'account_manager_id': -1}, '-1')
        self.assertInvalid(self.acc_kenji_1, {'account_manager_id': [1, 2]}, '[1, 2]')
        self.assertInvalid(self.acc_kenji_1, {'account_manager_id': self.tier_kam},
                           'Account Manager')
        self.assertEqual(self.acc_kenji_1.account_manager_id, self.kenji)
        self.assertEqual(len(self.current_lines(self.acc_kenji_1)), 1)

    def test_required_many2one_cannot_be_emptied(self):
        self.assertInvalid(self.kenji, {'tier_id': False}, 'Tier (tier_id)', 'required')
        self.assertEqual(self.kenji.tier_id, self.tier_kam)

    def test_selection_refuses_unknown_values(self):
        message = self.assertInvalid(self.t_paris, {'territory_type': 'planet'},
                                     'Territory', "'planet'")
        self.assertIn('area', message)
        self.assertEqual(self.t_paris.territory_type, 'area')

    def test_char_date_boolean(self):
        self.assertInvalid(self.t_paris, {'name': 42}, 'expected text')
        self.assertInvalid(self.t_paris, {'name': ['Paris']}, 'expected text')
        escalation = self.env['account.escalation'].create({
            'partner_id': self.acc_kenji_1.id, 'subject': 'Late deliveries',
            'manager_id': self.kenji.id})
        self.assertInvalid(escalation, {'deadline': 'tomorrow'}, 'expected a date')
        self.assertInvalid(escalation, {'severity': 'apocalyptic'}, 'apocalyptic')
        self.assertInvalid(self.acc_kenji_1, {'territory_locked': 'yes'}, 'true or false')

    def test_nul_characters_and_oversized_names_refused(self):
        """Text the database cannot store or index is a clean refusal
        naming the field, not an internal ValueError or OperationalError."""
        self.assertInvalid(self.t_paris, {'zip_from': '75\x00000'},
                           'Zip From (zip_from)', 'NUL character')
        escalation = self.env['account.escalation'].create({
            'partner_id': self.acc_kenji_1.id, 'subject': 'Late', 'manager_id': self.kenji.id})
        self.assertInvalid(escalation, {'description': 'a\x00b'}, 'description', 'NUL')
        self.assertInvalid(self.tier_kam, {'code': 'K' * 100000},
                           'Code (code)', 'at most 256 characters, got 100000')
        self.assertInvalid(self.t_paris, {'code': 'P' * 100000}, 'code', 'at most 256')
        with self.assertRefused(ValidationError, 'at most 256'):
            self.Territory.create({'name': 'N' * 5000, 'territory_type': 'area',
                                   'parent_id': self.t_france.id})
        self.assertEqual(self.t_paris.zip_from, '75000')
        self.tier_kam.code = 'K' * 256
        self.assertEqual(len(self.tier_kam.code), 256)

    def test_x2many_commands(self):
        self.assertInvalid(self.t_france, {'country_ids': [(6, 0, [987654321])]},
                           'no Country with id 987654321')
        self.assertInvalid(self.t_france, {'country_ids': 'fr'}, 'list of commands')
        self.assertInvalid(self.t_france, {'country_ids': [(9, 0, 0)]}, 'command')
        self.assertInvalid(self.t_france, {'country_ids': [(4, 'x')]}, 'command')
        self.assertEqual(self.t_france.country_ids, self.france)
        # valid forms pass
        self.t_france.write({'country_ids': [(4, self.germany.id), (3, self.germany.id)]})
        self.t_france.write({'country_ids': [self.france.id]})
        self.assertEqual(self.t_france.country_ids, self.france)

    def test_create_names_a_new_record_and_creates_nothing(self):
        count = self.Manager.search_count([])
        with self.assertRefused(ValidationError, 'a new Account Manager') as caught:
            self.Manager.create({'user_id': 'nobody', 'tier_id': self.tier_am.id})
        self.assertIn("'nobody'", str(caught.exception.name))
        self.assertEqual(self.Manager.search_count([]), count)
        with self.assertRefused(ValidationError, 'dictionary'):
            self.Manager.create(['not', 'a', 'dict'])

    def test_unknown_fields_refused_on_addon_models(self):
        with self.assertRefused(ValidationError, 'no such field'):
            self.kenji.write({'capacty': 10})
        # Odoo's own partner keeps Odoo's behaviour for the fields it owns.
        self.acc_kenji_1.write({'comment': 42})

    def test_several_problems_listed_together(self):
        message = self.assertInvalid(
            self.kenji | self.karim, {'capacity': 'x', 'absent': 'maybe'},
            self.kenji.name, self.karim.name, 'capacity', 'absent')
        self.assertEqual(message.count('\n- '), 2)

    def test_record_ids_and_singleton_actions(self):
        Escalation = self.env['account.escalation']
        with self.assertRefused(UserError, 'not record ids'):
            Escalation.browse(['abc']).action_acknowledge()
        with self.assertRefused(UserError, 'not record ids'):
            self.Manager.browse([None]).write({'absent': True})
        Wizard = self.env['account.manager.reassign.wizard']
        with self.assertRefused(UserError, 'exactly one record, not 0'):
            Wizard.browse().action_reassign()
        with self.assertRefused(UserError, 'does not exist'):
            Wizard.browse(987654321).action_reassign()
        with self.assertRefused(UserError, 'exactly one record, not 2'):
            (self.kenji | self.karim).action_view_accounts()
        with self.assertRefused(UserError, 'exactly one record'):
            self.env['account.escalation.wizard'].browse().action_escalate()
        # Buttons on no record do nothing.
        self.assertTrue(Escalation.browse().action_acknowledge())

    def test_wizards_refuse_broken_active_ids(self):
        for ctx in ({'active_ids': ['abc']}, {'active_id': 'abc'},
                    {'active_ids': 'not a list'}, {'active_ids': [None]}):
            ctx = dict(ctx, active_model='res.partner')
            for model, vals in (('account.manager.reassign.wizard', {'reason': 'x'}),
                                ('account.escalation.wizard', {'subject': 'x'}),
                                ('account.territory.realign.wizard', {})):
                with self.assertRefused(UserError, 'active_ids'):
                    self.env[model].with_context(ctx).create(vals)


class TestCompanyConsistency(AccountManagerCase):
    """What a record points to belongs to its company."""

    @classmethod
    def setUpClass(cls):
        super(TestCompanyConsistency, cls).setUpClass()
        cls.other_company = cls.env['res.company'].create({'name': 'Other Company SA'})
        user = cls.env['res.users'].create({
            'name': 'Otto Other', 'login': 'test_otto',
            'company_id': cls.other_company.id,
            'company_ids': [(6, 0, cls.other_company.ids)],
            'groups_id': [(6, 0, cls.group_own.ids)]})
        cls.otto = cls.Manager.create({
            'user_id': user.id, 'tier_id': cls.tier_nam.id,
            'company_id': cls.other_company.id})

    def test_account_manager_of_another_company_refused(self):
        with self.assertRefused(ValidationError, 'Other Company SA') as caught:
            self.acc_kenji_1.account_manager_id = self.otto
        self.assertIn(self.acc_kenji_1.name, str(caught.exception.name))
        self.assertEqual(self.acc_kenji_1.account_manager_id, self.kenji)
        self.assertEqual(len(self.current_lines(self.acc_kenji_1)), 1)

    def test_hierarchy_and_territory_stay_in_company(self):
        with self.assertRefused(ValidationError, 'another company'):
            self.kenji.parent_id = self.otto
        with self.assertRefused(ValidationError, 'another company'):
            self.t_paris.manager_id = self.otto
        with self.assertRefused(ValidationError, 'another company'):
            self.otto.parent_id = self.gloria

    def test_reassign_wizard_refuses_accounts_of_another_company(self):
        wizard = self.env['account.manager.reassign.wizard'].with_context(
            active_model='res.partner', active_ids=self.acc_kenji_1.ids).create({
                'to_manager_id': self.otto.id, 'reason': 'Wrong company'})
        with self.assertRefused(UserError, 'another company'):
            wizard.action_reassign()
        self.assertEqual(self.acc_kenji_1.account_manager_id, self.kenji)


class TestSlaHours(AccountManagerCase):

    def test_sla_must_be_positive(self):
        for hours in (0, -4):
            with self.assertRefused(ValidationError, 'SLA High'):
                self.company.account_escalation_sla_high = hours
        self.assertEqual(self.company.account_escalation_sla_high, 24)
        with self.assertRefused(ValidationError, 'expected a number'):
            self.company.write({'account_escalation_sla_low': 'a week'})


class TestHandOverOnForm(AccountManagerCase):
    """A restricted user editing the manager on the account's form may not
    give the account to somebody outside their reach."""

    @classmethod
    def setUpClass(cls):
        super(TestHandOverOnForm, cls).setUpClass()
        cls._keep_only_fixture_territories()

    def test_own_accounts_user_cannot_give_an_account_away(self):
        account = self.acc_adele_1.sudo(self.adele.user_id)
        with self.assertRefused(AccessError, 'Ask your team lead') as caught:
            account.write({'account_manager_id': self.kenji.id})
        self.assertIn(self.acc_adele_1.name, str(caught.exception.name))
        self.assertIn(self.kenji.name, str(caught.exception.name))
        with self.assertRefused(AccessError, 'a new account'):
            self.Partner.sudo(self.adele.user_id).create({
                'name': 'Given away at birth', 'is_company': True,
                'account_manager_id': self.kenji.id})
        self.assertEqual(self.acc_adele_1.account_manager_id, self.adele)
        self.assertEqual(self.current_lines(self.acc_adele_1).manager_id, self.adele)

    def test_team_lead_hands_over_within_the_team_only(self):
        account = self.acc_arthur_2.sudo(self.nadia.user_id)
        with self.assertRefused(AccessError, self.katrin.name):
            account.write({'account_manager_id': self.katrin.id})
        account.write({'account_manager_id': self.kenji.id})
        self.assertEqual(self.acc_arthur_2.account_manager_id, self.kenji)
        # Territory assignment is not the user's choice: a Paris account
        # created by Kenji goes to Adele, the territory's manager.
        created = self.Partner.sudo(self.kenji.user_id).create({
            'name': 'Paris Bistro', 'is_company': True, 'country_id': self.france.id,
            'zip': '75011'})
        self.assertEqual(created.sudo().account_manager_id, self.adele)
        line = self.current_lines(created)
        self.assertEqual((line.origin, line.user_id), ('territory', self.kenji.user_id))
        self.assertEqual(self.current_lines(self.acc_arthur_2).manager_id, self.kenji)
