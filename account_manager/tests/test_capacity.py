from odoo.exceptions import ValidationError

from .common import AccountManagerCase


class TestStrictCapacity(AccountManagerCase):
    """A strict capacity is refused on every path that gives a manager
    accounts, not only in the Reassign wizard (adele holds two accounts)."""

    @classmethod
    def setUpClass(cls):
        super(TestStrictCapacity, cls).setUpClass()
        cls.tier_am.strict_capacity = True
        cls.adele.capacity = 2
        cls._keep_only_fixture_territories()

    def assertHistoryUnchanged(self, account, manager):
        self.assertEqual(account.account_manager_id, manager)
        self.assertEqual(self.current_lines(account).manager_id, manager)

    def test_write_refused_naming_manager_capacity_and_accounts(self):
        with self.assertRefused(ValidationError,
                                r'Adele can hold 2 accounts.*would hold 3.*- Renault Nord'):
            self.acc_karim_2.account_manager_id = self.adele
        self.assertHistoryUnchanged(self.acc_karim_2, self.karim)
        with self.assertRefused(ValidationError, 'would hold 4'):
            (self.acc_kenji_1 | self.acc_kenji_2).sudo(self.nadia.user_id).write(
                {'account_manager_id': self.adele.id})
        self.assertHistoryUnchanged(self.acc_kenji_1, self.kenji)

    def test_create_import_and_territory_refused(self):
        with self.assertRefused(ValidationError, 'Adele can hold 2 accounts'):
            self.Partner.create({'name': 'One Too Many', 'is_company': True,
                                 'account_manager_id': self.adele.id})
        result = self.Partner.load(['.id', 'account_manager_id/.id'],
                                   [[str(self.acc_arthur_1.id), str(self.adele.id)]])
        self.assertTrue(any('Adele can hold 2 accounts' in m['message']
                            for m in result['messages']), result['messages'])
        self.env.clear()  # load() rolled its savepoint back behind the cache
        self.assertHistoryUnchanged(self.acc_arthur_1, self.arthur)
        # Territory assignment: a Paris address lands with adele.
        self.t_paris.zip_from, self.t_paris.zip_to = '75000', '75999'
        with self.assertRefused(ValidationError, 'Adele can hold 2 accounts'):
            self.Partner.create({'name': 'Paris Newcomer', 'is_company': True,
                                 'customer': True, 'country_id': self.france.id,
                                 'zip': '75011'})
        self.assertFalse(self.Partner.search([('name', '=', 'Paris Newcomer')]))

    def test_within_capacity_or_not_strict_is_accepted(self):
        self.acc_adele_1.account_manager_id = self.karim
        self.acc_karim_2.account_manager_id = self.adele
        self.assertEqual(self.acc_karim_2.account_manager_id, self.adele)
        self.tier_am.strict_capacity = False
        self.acc_kenji_1.account_manager_id = self.adele
        self.assertEqual(self.adele.account_count, 3)
