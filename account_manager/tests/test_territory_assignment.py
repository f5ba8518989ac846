from odoo.exceptions import AccessError, UserError, ValidationError

from .common import AccountManagerCase
from ..models.res_partner_territory import TERRITORY_SKIP, TERRITORY_SKIP_KEY


class TerritoryCase(AccountManagerCase):
    """The common organisation, with geographies that assignment can use:
    Bavaria is narrowed to its state (in the common tree it covers all of
    Germany), Europe gets a rule for France, Germany and Italy but keeps no
    manager, and World takes everything else."""

    @classmethod
    def setUpClass(cls):
        super(TerritoryCase, cls).setUpClass()
        cls.Rule = cls.env['account.territory.rule']
        cls._keep_only_fixture_territories()
        cls.italy = cls.env.ref('base.it')
        cls.japan = cls.env.ref('base.jp')
        State = cls.env['res.country.state']
        cls.state_by = State.create({'name': 'Bayern', 'code': 'BYX', 'country_id': cls.germany.id})
        cls.state_be = State.create({'name': 'Berlin', 'code': 'BEX', 'country_id': cls.germany.id})
        cls.state_idf = State.create({'name': 'Île-de-France', 'code': 'IDFX',
                                      'country_id': cls.france.id})
        cls.t_bavaria.state_ids = cls.state_by
        cls.rule_europe = cls.Rule.create({
            'territory_id': cls.t_europe.id,
            'country_ids': [(6, 0, (cls.france | cls.germany | cls.italy).ids)]})
        cls.rule_world = cls.Rule.create({'territory_id': cls.t_world.id})
        cls.aero = cls.env['res.partner.industry'].create({'name': 'Aerospace'})
        cls.food = cls.env['res.partner.industry'].create({'name': 'Food'})
        cls.vip = cls.env['res.partner.category'].create({'name': 'VIP'})
        cls.partner_tag = cls.env['res.partner.category'].create({'name': 'Partner'})

    @classmethod
    def _account(cls, name, **vals):
        values = {'name': name, 'is_company': True, 'customer': True}
        for key, value in vals.items():
            if key in ('country', 'state', 'industry', 'required_tier', 'manager', 'territory'):
                key = {'country': 'country_id', 'state': 'state_id',
                       'industry': 'industry_id', 'required_tier': 'required_tier_id',
                       'manager': 'account_manager_id', 'territory': 'territory_id'}[key]
                value = value.id
            elif key == 'tags':
                key, value = 'category_id', [(6, 0, value.ids)]
            values[key] = value
        account = cls.env['res.partner'].create(values)
        cls.env['res.partner'].create({
            'name': 'Contact of %s' % name, 'parent_id': account.id, 'type': 'contact'})
        return account

    def assertPlaced(self, account, territory, manager):
        self.assertEqual((account.territory_id, account.account_manager_id),
                         (territory, manager))
        for contact in account.child_ids:
            self.assertEqual((contact.territory_id, contact.account_manager_id),
                             (territory, manager), "contacts mirror their account")

    def snapshot(self, accounts):
        """Everything an assignment could change, to prove nothing did."""
        partners = accounts | accounts.mapped('child_ids')
        self.env.cache.invalidate()
        return (
            [(p.id, p.territory_id.id, p.account_manager_id.id) for p in partners],
            self.Assignment.search_count([]),
            self.env['account.manager.reassignment'].search_count([]),
            [(line.id, line.date_end) for line in self.Assignment.search(
                [('partner_id', 'in', accounts.ids)])],
        )


class TestMatching(TerritoryCase):

    def test_most_specific_territory_wins(self):
        Partner = self.env['res.partner']
        paris = self._account('Paris', country=self.france, zip='75001')
        lyon = self._account('Lyon', country=self.france, zip='69001')
        munich = self._account('Munich', country=self.germany, state=self.state_by)
        berlin = self._account('Berlin', country=self.germany, state=self.state_be)
        rome = self._account('Rome', country=self.italy)
        tokyo = self._account('Tokyo', country=self.japan)
        nowhere = self._account('Nowhere')
        matches = (paris | lyon | munich | berlin | rome | tokyo | nowhere)._match_territories()
        self.assertEqual(matches, {
            paris.id: self.t_paris.id,       # area over country, region, global
            lyon.id: self.t_france.id,       # country over region and global
            munich.id: self.t_bavaria.id,
            berlin.id: self.t_germany.id,
            rome.id: self.t_europe.id,       # region over global
            tokyo.id: self.t_world.id,       # the catch-all rule
            nowhere.id: self.t_world.id,
        })
        # Contacts are not matched: they follow their account.
        self.assertEqual(Partner.browse(paris.child_ids.ids)._match_territories(),
                         {paris.child_ids.id: False})

    def test_priority_breaks_ties_between_same_type(self):
        vip_paris = self.Territory.create({
            'name': 'Paris VIP', 'territory_type': 'area', 'parent_id': self.t_france.id,
            'manager_id': self.karim.id, 'country_ids': [(6, 0, self.france.ids)]})
        rule = self.Rule.create({'territory_id': vip_paris.id, 'zip_from': '75',
                                 'zip_to': '75', 'category_ids': [(6, 0, self.vip.ids)],
                                 'priority': 20})
        vip = self._account('VIP', country=self.france, zip='75008', tags=self.vip)
        plain = self._account('Plain', country=self.france, zip='75008')
        self.assertEqual(vip.territory_id, vip_paris, "priority 20 beats Paris's geography (0)")
        self.assertEqual(plain.territory_id, self.t_paris, "Paris VIP needs the tag")
        # Paris gets a rule of higher priority: it now wins for VIPs too.
        self.Rule.create({'territory_id': self.t_paris.id, 'priority': 30})
        self.assertEqual(vip._match_territories()[vip.id], self.t_paris.id)
        # Equal priorities: the oldest territory wins, every time.
        rule.priority = 30
        for _attempt in range(3):
            self.assertEqual(vip._match_territories()[vip.id],
                             min(self.t_paris.id, vip_paris.id))

    def test_each_criterion(self):
        fr_aero = self.Territory.create({
            'name': 'Aerospace France', 'territory_type': 'area',
            'parent_id': self.t_france.id, 'manager_id': self.kenji.id,
            'rule_ids': [(0, 0, {'country_ids': [(6, 0, self.france.ids)],
                                 'industry_ids': [(6, 0, self.aero.ids)]})]})
        idf = self.Territory.create({
            'name': 'Île-de-France', 'territory_type': 'area', 'parent_id': self.t_france.id,
            'manager_id': self.arthur.id, 'rule_ids': [(0, 0, {
                'state_ids': [(6, 0, self.state_idf.ids)], 'priority': 1})]})
        partners = self.Territory.create({
            'name': 'Channel partners', 'territory_type': 'country',
            'parent_id': self.t_europe.id, 'manager_id': self.kenji.id,
            'rule_ids': [(0, 0, {'category_ids': [(6, 0, self.partner_tag.ids)]})]})
        cases = [
            # (account values, expected territory)
            (dict(country=self.germany), self.t_germany),                       # country
            (dict(country=self.germany, state=self.state_by), self.t_bavaria),   # state
            (dict(country=self.france, state=self.state_idf), idf),              # state (rule)
            (dict(country=self.france, zip='75 019'), self.t_paris),            # zip, spaced
            (dict(country=self.france, zip='76000'), self.t_france),            # zip outside
            (dict(country=self.france, industry=self.aero), fr_aero),            # industry
            (dict(country=self.france, industry=self.food), self.t_france),
            (dict(country=self.italy, industry=self.aero), self.t_europe),       # rule has FR
            (dict(country=self.japan, tags=self.partner_tag | self.vip), partners),  # tag
            (dict(country=self.japan, tags=self.vip), self.t_world),
        ]
        for index, (vals, expected) in enumerate(cases):
            account = self._account('Case %d' % index, **vals)
            self.assertEqual(account.territory_id, expected, 'case %d: %s' % (index, vals))

    def test_zip_bounds_are_inclusive_prefixes(self):
        self.t_paris.write({'zip_from': '75', 'zip_to': '75'})
        for zip_code, expected in [('75000', self.t_paris), ('75999', self.t_paris),
                                   ('7500', self.t_paris), ('74999', self.t_france),
                                   ('76000', self.t_france), (False, self.t_france)]:
            account = self._account('Zip %s' % zip_code, country=self.france, zip=zip_code)
            self.assertEqual(account.territory_id, expected, zip_code)

    def test_archived_and_empty_territories_match_nothing(self):
        self.t_paris.active = False
        account = self._account('Paris', country=self.france, zip='75001')
        self.assertEqual(account.territory_id, self.t_france)
        # World without its catch-all rule has neither rules nor geography.
        self.rule_world.unlink()
        tokyo = self._account('Tokyo', country=self.japan)
        self.assertFalse(tokyo.territory_id)

    def test_matching_is_one_query_whatever_the_number_of_accounts(self):
        accounts = self.Partner
        for index in range(30):
            accounts |= self._account('Bulk %d' % index, country=self.france,
                                      zip='750%02d' % index)
        counts = []
        for subset in (accounts[:1], accounts):
            before = self.env.cr.sql_log_count
            subset._match_territories()
            counts.append(self.env.cr.sql_log_count - before)
        self.assertEqual(counts[0], counts[1])
        self.assertLessEqual(counts[1], 3)

    def test_only_customer_accounts_are_matched(self):
        supplier = self._account('Supplier', country=self.france, zip='75001', customer=False,
                                 supplier=True)
        self.assertPlaced(supplier, self.Territory, self.Manager)
        self.assertEqual(supplier._match_territories(), {supplier.id: False})
        self.assertFalse(supplier.territory_unmatched, "not an account to match")
        self.assertNotIn(supplier, self.Partner.search([('territory_unmatched', '=', True)]))
        # The partner of a new user: nothing to place it by, left alone.
        user = self._create_user('newcomer', self.group_own)
        self.assertPlaced(user.partner_id, self.Territory, self.Manager)
        user.partner_id.write({'country_id': self.france.id, 'zip': '75001'})
        self.assertPlaced(user.partner_id, self.Territory, self.Manager)

    def test_bare_account_is_placed_once_something_is_known(self):
        bare = self._account('Bare')
        self.assertPlaced(bare, self.Territory, self.Manager)
        bare.country_id = self.japan
        self.assertPlaced(bare, self.t_world, self.gloria)

    def test_no_territory_match_filter(self):
        self.rule_world.unlink()
        tokyo = self._account('Tokyo', country=self.japan)
        paris = self._account('Paris', country=self.france, zip='75001')
        unmatched = self.Partner.search([('territory_unmatched', '=', True)])
        self.assertIn(tokyo, unmatched)
        self.assertNotIn(paris, unmatched)
        self.assertNotIn(tokyo.child_ids, unmatched, "contacts are not accounts")
        matched = self.Partner.search([('territory_unmatched', '=', False)])
        self.assertIn(paris, matched)
        self.assertNotIn(tokyo, matched)
        self.assertTrue(tokyo.territory_unmatched)
        self.assertFalse(paris.territory_unmatched)
        self.assertFalse(tokyo.child_ids.territory_unmatched)
        # The filter the partner search view offers.
        view = self.env.ref('account_manager.res_partner_view_search_territory')
        self.assertIn("territory_unmatched", view.arch)


class TestManagerFromTerritory(TerritoryCase):

    def test_account_gets_territory_manager(self):
        account = self._account('Café', country=self.france, zip='75004')
        self.assertPlaced(account, self.t_paris, self.adele)

    def test_required_tier_goes_up_the_managers_line(self):
        # adele (AM) holds Paris; a key account there needs a KAM: karim,
        # adele's manager, is the nearest reaching it.
        key = self._account('Key', country=self.france, zip='75004',
                            required_tier=self.tier_kam)
        self.assertPlaced(key, self.t_paris, self.karim)
        national = self._account('National', country=self.france, zip='75004',
                                 required_tier=self.tier_nam)
        self.assertPlaced(national, self.t_paris, self.nadia)
        global_ = self._account('Global', country=self.france, zip='75004',
                                required_tier=self.tier_gam)
        self.assertPlaced(global_, self.t_paris, self.gloria)
        # The territory's own manager reaching the tier keeps it.
        lyon = self._account('Lyon', country=self.france, zip='69001',
                             required_tier=self.tier_kam)
        self.assertPlaced(lyon, self.t_france, self.nadia)

    def test_required_tier_falls_back_to_enclosing_territories(self):
        # A manager at the top of their line who does not reach the tier:
        # the nearest enclosing territory's manager who does takes the account.
        self.adele.parent_id = False
        key = self._account('Key', country=self.france, zip='75004',
                            required_tier=self.tier_kam)
        self.assertPlaced(key, self.t_paris, self.nadia)

    def test_territory_without_manager_is_reported_and_keeps_the_manager(self):
        # Europe's rule matches Italy, but Europe has no responsible manager.
        self.assertIn('no active responsible manager', self.t_europe.assignment_warning)
        self.assertFalse(self.t_france.assignment_warning)
        rome = self._account('Rome', country=self.italy)
        self.assertPlaced(rome, self.t_europe, self.Manager)
        self.assertIn('Europe', rome.message_ids[0].body)
        self.assertIn('manager was left unchanged', rome.message_ids[0].body)
        lyon = self._account('Lyon', country=self.france, zip='69001')
        lyon.country_id = self.italy
        self.assertPlaced(lyon, self.t_europe, self.nadia)
        self.assertIn('Europe', lyon.message_ids[0].body)
        self.assertEqual(len(lyon.assignment_ids), 1)


class TestTriggers(TerritoryCase):

    def test_create_assigns_with_origin_territory(self):
        account = self._account('Café', country=self.france, zip='75004')
        self.assertPlaced(account, self.t_paris, self.adele)
        line = self.current_lines(account)
        self.assertEqual((line.manager_id, line.origin), (self.adele, 'territory'))
        self.assertIn('Paris', line.reason)
        self.assertEqual(len(account.assignment_ids), 1)

    def test_create_keeps_an_explicit_manager_or_territory(self):
        chosen = self._account('Chosen', country=self.france, zip='75004', manager=self.kenji)
        self.assertPlaced(chosen, self.t_paris, self.kenji)
        self.assertEqual(self.current_lines(chosen).origin, 'manual')
        placed = self._account('Placed', country=self.france, zip='75004',
                               territory=self.t_bavaria)
        self.assertPlaced(placed, self.t_bavaria, self.anton)
        self.assertEqual(self.current_lines(placed).origin, 'territory')
        both = self._account('Both', country=self.france, zip='75004',
                             territory=self.t_bavaria, manager=self.kenji)
        self.assertPlaced(both, self.t_bavaria, self.kenji)

    def test_create_locked_is_left_alone(self):
        account = self._account('Locked', country=self.france, zip='75004',
                                territory_locked=True)
        self.assertPlaced(account, self.Territory, self.Manager)
        self.assertFalse(account.assignment_ids)

    def test_country_change_moves_the_account(self):
        account = self._account('Mover', country=self.france, zip='69001')
        self.assertPlaced(account, self.t_france, self.nadia)
        account.country_id = self.germany
        self.assertPlaced(account, self.t_germany, self.niklas)
        lines = account.assignment_ids.sorted('id')
        self.assertEqual(lines.mapped('manager_id'), self.nadia | self.niklas)
        self.assertTrue(lines[0].date_end)
        self.assertEqual(lines[1].origin, 'territory')
        self.assertFalse(lines[1].date_end)

    def test_zip_change_moves_the_account(self):
        account = self._account('Mover', country=self.france, zip='69001')
        account.zip = '75002'
        self.assertPlaced(account, self.t_paris, self.adele)
        self.assertEqual(self.current_lines(account).origin, 'territory')

    def test_state_change_moves_the_account(self):
        account = self._account('Mover', country=self.germany, state=self.state_be)
        account.state_id = self.state_by
        self.assertPlaced(account, self.t_bavaria, self.anton)

    def test_industry_change_moves_the_account(self):
        fr_aero = self.Territory.create({
            'name': 'Aerospace France', 'territory_type': 'area',
            'parent_id': self.t_france.id, 'manager_id': self.kenji.id,
            'rule_ids': [(0, 0, {'industry_ids': [(6, 0, self.aero.ids)]})]})
        account = self._account('Mover', country=self.france, zip='69001')
        account.industry_id = self.aero
        self.assertPlaced(account, fr_aero, self.kenji)
        self.assertEqual(self.current_lines(account).origin, 'territory')

    def test_tag_change_moves_the_account(self):
        vip_fr = self.Territory.create({
            'name': 'VIP France', 'territory_type': 'area', 'parent_id': self.t_france.id,
            'manager_id': self.kenji.id, 'country_ids': [(6, 0, self.france.ids)],
            'rule_ids': [(0, 0, {'category_ids': [(6, 0, self.vip.ids)]})]})
        account = self._account('Mover', country=self.france, zip='69001')
        account.category_id = [(4, self.vip.id)]
        self.assertPlaced(account, vip_fr, self.kenji)
        account.category_id = [(3, self.vip.id)]
        self.assertPlaced(account, self.t_france, self.nadia)

    def test_address_change_on_the_company_only_matches_the_company(self):
        account = self._account('Mover', country=self.france, zip='69001')
        contact = account.child_ids
        contact.write({'zip': '75002', 'type': 'other'})
        self.assertPlaced(account, self.t_france, self.nadia)

    def test_unrelated_or_unchanged_writes_do_not_rematch(self):
        account = self._account('Stay', country=self.france, zip='69001')
        # The rules change: a re-match would now move the account to Paris.
        self.t_paris.write({'zip_from': '69000', 'zip_to': '69999'})
        account.write({'name': 'Stay SA', 'phone': '+33 1 00 00 00 00',
                       'website': 'example.com', 'required_tier_id': self.tier_am.id})
        account.write({'country_id': self.france.id, 'zip': '69001'})
        self.assertPlaced(account, self.t_france, self.nadia)
        self.assertEqual(len(account.assignment_ids), 1)

    def test_explicit_values_in_the_same_write_win(self):
        account = self._account('Mover', country=self.france, zip='69001')
        account.write({'zip': '75002', 'account_manager_id': self.kenji.id})
        self.assertPlaced(account, self.t_paris, self.kenji)
        self.assertEqual(self.current_lines(account).origin, 'manual')
        account.write({'country_id': self.germany.id, 'territory_id': self.t_france.id})
        self.assertPlaced(account, self.t_france, self.kenji)

    def test_locked_account_is_not_moved_by_triggers(self):
        account = self._account('Locked', country=self.france, zip='69001')
        account.territory_locked = True
        before = self.snapshot(account)
        account.write({'country_id': self.germany.id, 'industry_id': self.aero.id,
                       'category_id': [(4, self.vip.id)]})
        self.assertEqual(self.snapshot(account), before)

    def test_unmatched_address_keeps_territory_and_manager(self):
        self.rule_world.unlink()
        account = self._account('Mover', country=self.france, zip='69001')
        account.country_id = self.japan
        self.assertPlaced(account, self.t_france, self.nadia)
        self.assertTrue(account.territory_unmatched)

    def test_restricted_user_triggers_as_themselves(self):
        account = self._account('Mover', country=self.france, zip='69001')
        account.sudo(self.nadia.user_id).write({'zip': '75002'})
        self.assertPlaced(account, self.t_paris, self.adele)
        self.assertEqual(self.current_lines(account).user_id, self.nadia.user_id)


class TestBadInput(TerritoryCase):

    def _refused(self, regex, model, vals):
        count = self.env[model].search_count([])
        with self.assertRefused(ValidationError, regex):
            self.env[model].create(vals)
        self.assertEqual(self.env[model].search_count([]), count)

    def test_inverted_zip_range_on_a_rule_refused(self):
        self._refused(r'Paris.*inverted \(75999 is after 75000\)', 'account.territory.rule', {
            'territory_id': self.t_paris.id, 'zip_from': '75999', 'zip_to': '75000'})

    def test_inverted_zip_range_on_a_territory_refused(self):
        self._refused(r'inverted.*Lyon \(69999 – 69000\)', 'account.territory', {
            'name': 'Lyon', 'territory_type': 'area', 'parent_id': self.t_france.id,
            'zip_from': '69999', 'zip_to': '69000'})

    def test_rule_states_outside_its_countries_refused(self):
        self._refused(r'France.*Bayern are not in the rule\'s countries \(France\)',
                      'account.territory.rule', {
                          'territory_id': self.t_europe.id,
                          'country_ids': [(6, 0, self.france.ids)],
                          'state_ids': [(6, 0, self.state_by.ids)]})

    def test_rule_outside_its_territory_refused(self):
        self._refused(r'Italy is outside the territory\'s countries \(France\)',
                      'account.territory.rule', {
                          'territory_id': self.t_france.id,
                          'country_ids': [(6, 0, self.italy.ids)]})
        self._refused(r'states Bayern are outside the territory\'s countries',
                      'account.territory.rule', {
                          'territory_id': self.t_france.id,
                          'state_ids': [(6, 0, self.state_by.ids)]})
        self._refused(r'zip range 76000 – 76999 lies outside the territory\'s range '
                      r'75000 – 75999', 'account.territory.rule', {
                          'territory_id': self.t_paris.id,
                          'zip_from': '76000', 'zip_to': '76999'})

    def test_territory_states_outside_its_countries_refused(self):
        self._refused(r'Lyon: the states Bayern are not in the territory\'s countries',
                      'account.territory', {
                          'name': 'Lyon', 'territory_type': 'area',
                          'parent_id': self.t_france.id,
                          'country_ids': [(6, 0, self.france.ids)],
                          'state_ids': [(6, 0, self.state_by.ids)]})

    def test_narrowing_a_territory_below_its_rules_refused(self):
        self.Rule.create({'territory_id': self.t_paris.id, 'zip_from': '75010',
                          'zip_to': '75020'})
        with self.assertRefused(ValidationError, r'75010 – 75020 lies outside'):
            self.t_paris.write({'zip_from': '75100', 'zip_to': '75999'})
        self.assertEqual(self.t_paris.zip_from, '75000')

    def test_only_administrators_configure_rules(self):
        with self.assertRaises(AccessError):
            self.Rule.sudo(self.nadia.user_id).create({'territory_id': self.t_france.id})
        with self.assertRaises(AccessError):
            self.rule_europe.sudo(self.nadia.user_id).write({'priority': 99})
        rule = self.Rule.sudo(self.user_admin).create(
            {'territory_id': self.t_france.id, 'priority': 3})
        self.assertEqual(rule.priority, 3)
        self.assertEqual(self.rule_europe.sudo(self.nadia.user_id).priority, 10)


class TestRealignment(TerritoryCase):
    """Accounts placed under the old configuration, then the configuration
    changes: Paris takes over Lyon's zips and Bavaria passes to katrin."""

    @classmethod
    def setUpClass(cls):
        super(TestRealignment, cls).setUpClass()
        cls.rule_world.unlink()
        cls.lyon_1 = cls._account('Lyon 1', country=cls.france, zip='69001')
        cls.lyon_2 = cls._account('Lyon 2', country=cls.france, zip='69002')
        cls.lyon_key = cls._account('Lyon Key', country=cls.france, zip='69003',
                                    required_tier=cls.tier_kam)
        cls.munich = cls._account('Munich', country=cls.germany, state=cls.state_by)
        cls.locked = cls._account('Lyon Locked', country=cls.france, zip='69004')
        cls.locked.territory_locked = True
        cls.tokyo = cls._account('Tokyo', country=cls.japan, manager=cls.kenji)
        cls.rome = cls._account('Rome', country=cls.italy, manager=cls.arthur)
        cls.paris = cls._account('Paris', country=cls.france, zip='75001')
        # Imported before the rules existed: no territory, no manager.
        cls.milan = cls.env['res.partner'].with_context(**{TERRITORY_SKIP_KEY: TERRITORY_SKIP}).create({
            'name': 'Milan', 'is_company': True, 'customer': True,
            'country_id': cls.italy.id})
        cls.accounts = (cls.lyon_1 | cls.lyon_2 | cls.lyon_key | cls.munich | cls.locked
                        | cls.tokyo | cls.rome | cls.paris | cls.milan)
        cls.t_paris.write({'zip_from': '69000', 'zip_to': '75999'})
        cls.t_bavaria.manager_id = cls.katrin

    def listed(self, action):
        """The records a list action of the wizard shows."""
        self.assertEqual(action['res_model'], 'res.partner')
        return self.Partner.search(action['domain'])

    def _wizard(self, accounts=None, user=None, **vals):
        Wizard = self.env['account.territory.realign.wizard']
        if user:
            Wizard = Wizard.sudo(user)
        if accounts is not None:
            Wizard = Wizard.with_context(active_model='res.partner', active_ids=accounts.ids)
        return Wizard.create(vals)

    def test_configuration_before_realignment(self):
        self.assertPlaced(self.lyon_1, self.t_france, self.nadia)
        self.assertPlaced(self.lyon_key, self.t_france, self.nadia)
        self.assertPlaced(self.munich, self.t_bavaria, self.anton)
        self.assertPlaced(self.tokyo, self.Territory, self.kenji)
        self.assertPlaced(self.rome, self.t_europe, self.arthur)
        self.assertFalse(self.milan.territory_id)

    def test_preview_reports_moves_skips_and_gaps(self):
        # Selected from a contact: the wizard works on its account.
        selection = self.accounts - self.lyon_2 | self.lyon_2.child_ids
        wizard = self._wizard(selection, user=self.user_admin)
        self.assertEqual(wizard.scope, 'selected')
        self.assertEqual(wizard.selected_count, len(self.accounts))
        self.assertEqual(self.listed(wizard.action_view_selected()), self.accounts)
        wizard.action_preview()
        self.assertEqual(wizard.state, 'preview')
        self.assertEqual(
            [wizard.account_count, wizard.manager_move_count, wizard.territory_move_count,
             wizard.unchanged_count, wizard.locked_count, wizard.unmatched_count,
             wizard.no_manager_count],
            [9, 4, 4, 2, 1, 1, 2])
        self.assertEqual(
            sorted((line.from_manager_id.name, line.to_manager_id.name, line.account_count)
                   for line in wizard.manager_line_ids),
            [('Anton', 'Katrin', 1), ('Nadia', 'Adele', 2), ('Nadia', 'Karim', 1)])
        self.assertEqual(
            [(line.from_territory_id, line.to_territory_id, line.account_count)
             for line in wizard.territory_line_ids],
            [(self.t_france, self.t_paris, 3), (self.Territory, self.t_europe, 1)])
        self.assertEqual(self.listed(wizard.action_view_locked()), self.locked)
        self.assertEqual(self.listed(wizard.action_view_unmatched()), self.tokyo)
        gap = wizard.no_manager_line_ids
        self.assertEqual((gap.to_territory_id, gap.account_count), (self.t_europe, 2))
        self.assertIn('No active responsible manager', gap.note)

    def test_preview_warns_about_capacity(self):
        self.adele.capacity = 3
        self.katrin.tier_id.strict_capacity = True
        self.katrin.capacity = 2
        wizard = self._wizard(self.accounts, user=self.user_admin)
        wizard.action_preview()
        notes = {line.to_manager_id: line.note for line in wizard.manager_line_ids}
        # adele holds 2 fixture accounts + paris, receives 2 more: 5 for 3.
        self.assertIn('Adele would hold 5 accounts for a capacity of 3', notes[self.adele])
        self.assertIn('Katrin would hold 3 accounts for a capacity of 2 (refused: strict',
                      notes[self.katrin])
        self.assertFalse(notes[self.karim])

    def test_dry_run_writes_nothing(self):
        before = self.snapshot(self.accounts)
        wizard = self._wizard(self.accounts, user=self.user_admin)
        wizard.action_preview()
        wizard.action_back()
        wizard.action_preview()
        self.assertEqual(wizard.manager_move_count, 4)
        self.assertEqual(self.snapshot(self.accounts), before)

    def test_all_accounts_scope(self):
        wizard = self._wizard(user=self.user_admin)
        self.assertEqual(wizard.scope, 'all')
        wizard.action_preview()
        self.assertGreaterEqual(wizard.account_count, len(self.accounts) + 15)
        self.assertIn(self.locked, self.listed(wizard.action_view_locked()))
        self.assertIn(self.tokyo, self.listed(wizard.action_view_unmatched()))
        # The common accounts have no address: nothing matches them.
        self.assertIn(self.acc_adele_1, self.listed(wizard.action_view_unmatched()))

    def test_only_administrators_realign(self):
        for user in (self.nadia.user_id, self.gloria.user_id, self.user_plain):
            wizard = self._wizard(self.accounts, user=user)
            with self.assertRaisesRegex(AccessError, 'Only account management administrators'):
                wizard.action_preview()
            with self.assertRaisesRegex(AccessError, 'Only account management administrators'):
                wizard.action_apply()
        action = self.env.ref('account_manager.account_territory_realign_wizard_action')
        self.assertEqual(action.groups_id, self.group_admin)

    def trail(self, accounts):
        """What a handover leaves behind, comparable between two runs
        (names, dates and ids of new records aside)."""
        self.env.cache.invalidate()
        lines = self.Assignment.search([('partner_id', 'in', accounts.ids)],
                                       order='partner_id, id')
        reassignments = lines.mapped('reassignment_id')
        messages = self.env['mail.message'].sudo().search([
            ('model', '=', 'res.partner'), ('res_id', 'in', accounts.ids),
            ('tracking_value_ids.field', '=', 'account_manager_id')])
        followers = self.env['mail.followers'].sudo().search([
            ('res_model', '=', 'res.partner'), ('res_id', 'in', accounts.ids)])
        activities = self.env['mail.activity'].sudo().search([
            ('res_model', '=', 'res.partner'), ('res_id', 'in', accounts.ids)])
        return {
            'partners': sorted((p.id, p.account_manager_id.id)
                               for p in accounts | accounts.mapped('child_ids')),
            'lines': [(line.partner_id.id, line.manager_id.id, line.role, bool(line.date_end), line.reason,
                       line.user_id.id) for line in lines],
            # Summed over the reassignments: a realignment makes one where
            # the reassign wizard makes one per new manager.
            'reassignments': (
                sum(reassignments.mapped('account_count')),
                sum(reassignments.mapped('contact_count')),
                sum(reassignments.mapped('activity_count')),
                set(reassignments.mapped(lambda r: (
                    r.reason, r.state, r.user_id.id, r.move_activities,
                    r.swap_followers, r.notify)))),
            'notified': set(reassignments.mapped('message_ids').filtered(
                lambda m: m.message_type == 'comment').mapped('partner_ids').ids),
            'messages': sorted((m.res_id, m.author_id.id, tuple(sorted(
                (t.old_value_integer, t.new_value_integer) for t in m.tracking_value_ids)))
                for m in messages),
            'followers': sorted((f.res_id, f.partner_id.id) for f in followers),
            'activities': sorted((a.res_id, a.user_id.id) for a in activities),
        }

    def test_apply_moves_through_one_reassignment(self):
        locked_before = self.snapshot(self.locked)
        wizard = self._wizard(self.accounts, user=self.user_admin, reason='New Paris map')
        wizard.action_preview()
        wizard.action_apply()
        self.assertEqual(wizard.state, 'done')
        reassignments = wizard.reassignment_ids
        self.assertEqual(
            [(r.account_count, r.origin, r.reason, r.state, r.to_manager_id.name)
             for r in reassignments],
            [(4, 'territory', 'New Paris map', 'done', False)])
        self.assertEqual(
            sorted((h.to_manager_id.name, h.account_count) for h in reassignments.handover_ids),
            [('Adele', 2), ('Karim', 1), ('Katrin', 1)])
        self.assertPlaced(self.lyon_1, self.t_paris, self.adele)
        self.assertPlaced(self.lyon_2, self.t_paris, self.adele)
        self.assertPlaced(self.lyon_key, self.t_paris, self.karim)
        self.assertPlaced(self.munich, self.t_bavaria, self.katrin)
        self.assertPlaced(self.tokyo, self.Territory, self.kenji)
        self.assertPlaced(self.rome, self.t_europe, self.arthur)
        self.assertEqual((self.milan.territory_id, self.milan.account_manager_id),
                         (self.t_europe, self.Manager))
        locked_after = self.snapshot(self.locked)
        self.assertEqual((locked_after[0], locked_after[3]), (locked_before[0], locked_before[3]))
        line = self.current_lines(self.lyon_1)
        self.assertEqual((line.manager_id, line.origin, line.reason),
                         (self.adele, 'territory', 'New Paris map'))
        self.assertEqual(line.reassignment_id, reassignments)
        self.assertEqual(len(self.lyon_1.assignment_ids), 2)
        action = wizard.action_view_reassignments()
        self.assertEqual(self.env['account.manager.reassignment'].search(action['domain']),
                         reassignments)
        # Realigned: a second run finds nothing to move.
        again = self._wizard(self.accounts, user=self.user_admin)
        again.action_preview()
        self.assertEqual((again.manager_move_count, again.territory_move_count), (0, 0))

    def test_realignment_visible_through_its_handovers(self):
        """A restricted manager sees a realignment that gave accounts to
        someone in their reach, and of its handovers only those."""
        wizard = self._wizard(self.accounts, user=self.user_admin, notify=True)
        wizard.action_apply()
        realignment = wizard.reassignment_ids
        niklas = self.niklas.user_id
        Reassignment = self.env['account.manager.reassignment']
        self.assertEqual(Reassignment.sudo(niklas).search([('id', '=', realignment.id)]),
                         realignment)
        handovers = self.env['account.manager.reassignment.handover'].sudo(niklas).search(
            [('reassignment_id', '=', realignment.id)])
        self.assertEqual(handovers.mapped('to_manager_id'), self.katrin)
        self.assertEqual(realignment.sudo(niklas).handover_ids, handovers)
        # One digest for the whole realignment, to every manager concerned.
        digests = realignment.message_ids.filtered(lambda m: m.message_type == 'comment')
        self.assertEqual(len(digests), 1)
        self.assertIn('in 3 handovers', digests.body)
        self.assertEqual(set(digests.partner_ids.ids) >= set(
            (self.adele | self.karim | self.katrin).mapped('user_id.partner_id').ids), True)

    def test_apply_is_equivalent_to_the_reassign_wizard(self):
        Activity = self.env['mail.activity'].sudo()
        Activity.create({
            'res_model_id': self.env.ref('base.model_res_partner').id,
            'res_id': self.lyon_1.id, 'user_id': self.nadia.user_id.id,
            'activity_type_id': self.env.ref('mail.mail_activity_data_todo').id,
            'summary': 'Call back'})
        self.lyon_1.message_subscribe(partner_ids=self.nadia.user_id.partner_id.ids)
        moves = [(self.adele, self.lyon_1 | self.lyon_2), (self.karim, self.lyon_key),
                 (self.katrin, self.munich)]
        cr = self.env.cr
        cr.execute('SAVEPOINT realign_equivalence')
        wizard = self._wizard(self.accounts, user=self.user_admin, reason='Rebalancing')
        wizard.action_apply()
        realigned = self.trail(self.accounts)
        origins = set(wizard.reassignment_ids.mapped('assignment_ids.origin'))
        cr.execute('ROLLBACK TO SAVEPOINT realign_equivalence')
        self.env.cache.invalidate()
        self.env['ir.rule'].clear_caches()
        self.assertEqual(origins, {'territory'})

        Reassign = self.env['account.manager.reassign.wizard'].sudo(self.user_admin)
        for manager, accounts in sorted(moves, key=lambda move: move[0].id):
            Reassign.with_context(active_model='res.partner', active_ids=accounts.ids).create({
                'to_manager_id': manager.id, 'reason': 'Rebalancing'}).action_reassign()
        reassigned = self.trail(self.accounts)
        self.assertEqual(realigned, reassigned)
        # Followers swapped and activity moved, as the reassign wizard does.
        self.assertIn((self.lyon_1.id, self.adele.user_id.partner_id.id), realigned['followers'])
        self.assertIn((self.lyon_1.id, self.adele.user_id.id), realigned['activities'])

    def test_apply_queues_a_large_realignment_like_the_reassign_wizard(self):
        self.env['ir.config_parameter'].sudo().set_param(
            'account_manager.reassign_async_threshold', '1')
        wizard = self._wizard(self.accounts, user=self.user_admin)
        wizard.action_apply()
        reassignment = wizard.reassignment_ids
        self.assertEqual(len(reassignment), 1, "one audited realignment")
        self.assertEqual(reassignment.state, 'queued')
        self.assertEqual(set(reassignment.handover_ids.mapped('to_manager_id')),
                         {self.adele, self.karim, self.katrin})
        self.assertFalse(reassignment.to_manager_id, "several new managers")
        self.assertPlaced(self.lyon_1, self.t_paris, self.nadia)
        self.run_jobs(expect=1)
        self.env.cache.invalidate()
        self.assertEqual(reassignment.state, 'done')
        self.assertPlaced(self.lyon_1, self.t_paris, self.adele)
        self.assertEqual(self.current_lines(self.lyon_1).origin, 'territory')
        self.assertEqual(self.current_lines(self.lyon_1).reassignment_id, reassignment)
        self.assertEqual(reassignment.account_count,
                         sum(reassignment.handover_ids.mapped('account_count')))

    def test_apply_refused_as_a_whole(self):
        self.katrin.tier_id.strict_capacity = True
        self.katrin.capacity = 2
        before = self.snapshot(self.accounts)
        wizard = self._wizard(self.accounts, user=self.user_admin)
        with self.assertRefused(UserError, 'Katrin can hold 2 accounts and holds 2'):
            wizard.action_apply()
        self.assertEqual(self.snapshot(self.accounts), before)
