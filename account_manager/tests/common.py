import traceback
from contextlib import contextmanager

from odoo.tests.common import SavepointCase, at_install, post_install

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import Job

JOB_CHANNEL = 'root.account_manager'


# Post-install: Odoo 11 runs at-install tests only on databases with demo
# data, and the tests must not depend on (nor collide with) demo data.
@at_install(False)
@post_install(True)
class AccountManagerCase(SavepointCase):
    """A small organisation, built once per test class.

    Managers (tier, login, access group)::

        gloria   Global   all
        ├── nadia   National (France)   team
        │   ├── karim   Key   own
        │   │   └── adele   Account   own
        │   └── kenji   Key   own
        │       └── arthur  Account   own
        └── niklas  National (Germany)  team
            └── katrin  Key   own
                └── anton   Account   own

    Territories::

        World (global, gloria)
        └── Europe (region)
            ├── France (country, nadia)
            │   └── Paris (area, zips 75000–75999, adele)
            └── Germany (country, niklas)
                └── Bavaria (area, state BY, anton)

    Accounts (companies, each with one contact person): two per plain and
    key account manager, one per national manager; ``acc_unassigned`` has
    no manager; ``acc_key`` requires a Key Account Manager.
    Users outside the organisation: ``user_admin`` (Administrator group)
    and ``user_plain`` (internal user in none of the addon's groups).
    """

    @classmethod
    def setUpClass(cls):
        super(AccountManagerCase, cls).setUpClass()
        cls.env = cls.env(context=dict(
            cls.env.context, tracking_disable=True, mail_create_nolog=True,
            mail_notrack=True, no_reset_password=True))
        ref = cls.env.ref
        cls.Partner = cls.env['res.partner']
        cls.Manager = cls.env['account.manager']
        cls.Territory = cls.env['account.territory']
        cls.Assignment = cls.env['account.manager.assignment']
        cls.tier_am = ref('account_manager.tier_account_manager')
        cls.tier_kam = ref('account_manager.tier_key_account_manager')
        cls.tier_nam = ref('account_manager.tier_national_account_manager')
        cls.tier_gam = ref('account_manager.tier_global_account_manager')
        cls.group_own = ref('account_manager.group_own_accounts')
        cls.group_team = ref('account_manager.group_team_accounts')
        cls.group_all = ref('account_manager.group_all_accounts')
        cls.group_admin = ref('account_manager.group_account_admin')
        cls.company = ref('base.main_company')
        cls.france = ref('base.fr')
        cls.germany = ref('base.de')

        cls.user_admin = cls._create_user('am_admin', cls.group_admin)
        cls.user_plain = cls._create_user('am_plain', ref('base.group_user'))

        cls.gloria = cls._create_manager('gloria', cls.tier_gam, cls.group_all)
        cls.nadia = cls._create_manager('nadia', cls.tier_nam, cls.group_team, cls.gloria)
        cls.niklas = cls._create_manager('niklas', cls.tier_nam, cls.group_team, cls.gloria)
        cls.karim = cls._create_manager('karim', cls.tier_kam, cls.group_own, cls.nadia)
        cls.kenji = cls._create_manager('kenji', cls.tier_kam, cls.group_own, cls.nadia)
        cls.katrin = cls._create_manager('katrin', cls.tier_kam, cls.group_own, cls.niklas)
        cls.adele = cls._create_manager('adele', cls.tier_am, cls.group_own, cls.karim)
        cls.arthur = cls._create_manager('arthur', cls.tier_am, cls.group_own, cls.kenji)
        cls.anton = cls._create_manager('anton', cls.tier_am, cls.group_own, cls.katrin)

        cls.t_world = cls.Territory.create({
            'name': 'World', 'code': 'T-WORLD', 'territory_type': 'global',
            'manager_id': cls.gloria.id})
        cls.t_europe = cls.Territory.create({
            'name': 'Europe', 'code': 'T-EU', 'territory_type': 'region',
            'parent_id': cls.t_world.id})
        cls.t_france = cls.Territory.create({
            'name': 'France', 'code': 'T-FR', 'territory_type': 'country',
            'parent_id': cls.t_europe.id, 'manager_id': cls.nadia.id,
            'country_ids': [(6, 0, cls.france.ids)]})
        cls.t_paris = cls.Territory.create({
            'name': 'Paris', 'code': 'T-FR-75', 'territory_type': 'area',
            'parent_id': cls.t_france.id, 'manager_id': cls.adele.id,
            'country_ids': [(6, 0, cls.france.ids)],
            'zip_from': '75000', 'zip_to': '75999'})
        cls.t_germany = cls.Territory.create({
            'name': 'Germany', 'code': 'T-DE', 'territory_type': 'country',
            'parent_id': cls.t_europe.id, 'manager_id': cls.niklas.id,
            'country_ids': [(6, 0, cls.germany.ids)]})
        cls.t_bavaria = cls.Territory.create({
            'name': 'Bavaria', 'code': 'T-DE-BY', 'territory_type': 'area',
            'parent_id': cls.t_germany.id, 'manager_id': cls.anton.id,
            'country_ids': [(6, 0, cls.germany.ids)]})

        cls.acc_adele_1 = cls._create_account('Boulangerie Adèle', cls.adele, cls.t_paris)
        cls.acc_adele_2 = cls._create_account('Café de Flore', cls.adele, cls.t_paris)
        cls.acc_arthur_1 = cls._create_account('Lyon Textiles', cls.arthur, cls.t_france)
        cls.acc_arthur_2 = cls._create_account('Marseille Marine', cls.arthur, cls.t_france)
        cls.acc_anton_1 = cls._create_account('Münchner Brauhaus', cls.anton, cls.t_bavaria)
        cls.acc_anton_2 = cls._create_account('Augsburg Tools', cls.anton, cls.t_bavaria)
        cls.acc_karim_1 = cls._create_account('Airbus Sud', cls.karim, cls.t_france,
                                              required_tier=cls.tier_kam)
        cls.acc_karim_2 = cls._create_account('Renault Nord', cls.karim, cls.t_france)
        cls.acc_kenji_1 = cls._create_account('Orange Entreprises', cls.kenji, cls.t_france)
        cls.acc_kenji_2 = cls._create_account('Danone Pro', cls.kenji, cls.t_france)
        cls.acc_katrin_1 = cls._create_account('Siemens Energie', cls.katrin, cls.t_germany)
        cls.acc_katrin_2 = cls._create_account('Bosch Service', cls.katrin, cls.t_germany)
        cls.acc_nadia_1 = cls._create_account('TotalEnergies France', cls.nadia, cls.t_france)
        cls.acc_niklas_1 = cls._create_account('Deutsche Bahn', cls.niklas, cls.t_germany)
        cls.acc_unassigned = cls._create_account('Nobody SARL', None, None)
        cls.acc_key = cls.acc_karim_1

    @classmethod
    def _keep_only_fixture_territories(cls):
        """Matching looks at every active territory: keep only the
        fixture's tree (a database with demo data has its own Paris)."""
        cls.Territory.search([('id', 'not in', (
            cls.t_world | cls.t_europe | cls.t_france | cls.t_paris | cls.t_germany
            | cls.t_bavaria).ids)]).write({'active': False})

    @classmethod
    def _create_user(cls, login, group):
        return cls.env['res.users'].create({
            'name': login.capitalize(),
            # Prefixed: the demo data (loaded where Odoo runs tests) has
            # users named like ours.
            'login': 'test_%s' % login,
            'email': '%s@example.com' % login,
            'groups_id': [(6, 0, group.ids)],
        })

    @classmethod
    def _create_manager(cls, login, tier, group, parent=None):
        user = cls._create_user(login, group)
        return cls.Manager.create({
            'user_id': user.id,
            'tier_id': tier.id,
            'parent_id': parent.id if parent else False,
        })

    @classmethod
    def _create_account(cls, name, manager, territory, required_tier=None):
        account = cls.Partner.create({
            'name': name,
            'is_company': True,
            'customer': True,
            'account_manager_id': manager.id if manager else False,
            'territory_id': territory.id if territory else False,
            'required_tier_id': required_tier.id if required_tier else False,
        })
        cls.Partner.create({
            'name': 'Contact of %s' % name,
            'parent_id': account.id,
            'type': 'contact',
        })
        return account

    @contextmanager
    def assertRefused(self, exception, regex=None):
        """The action must raise ``exception`` (matching ``regex``) and leave
        the database as it was, as a rolled-back RPC call would."""
        with self.assertRaisesRegex(exception, regex or '') as caught:
            with self.env.cr.savepoint():
                yield caught
        # What the refused call left in the caches is gone with the
        # rolled-back savepoint: read everything afresh.
        self.env.clear()

    def run_jobs(self, expect=None):
        """Run the addon's pending queue_job jobs, oldest first, as the job
        runner's /queue_job/runjob does: each as the user who queued it, in
        its own (here: savepoint) transaction; one that raises is rolled
        back and stored as failed with its traceback. Returns the jobs run
        (``expect``: how many there must be)."""
        jobs = self.env['queue.job'].sudo().search([
            ('channel', '=', JOB_CHANNEL), ('state', 'in', ('pending', 'enqueued'))],
            order='id')
        if expect is not None:
            self.assertEqual(len(jobs), expect, "jobs pending: %s" % jobs.mapped('name'))
        for record in jobs:
            queued = Job.load(self.env, record.uuid)
            queued.set_started()
            queued.store()
            try:
                with self.env.cr.savepoint():
                    queued.perform()
                    queued.set_done()
                    queued.store()
            except RetryableJobError as error:
                self.env.clear()
                queued.postpone(result=str(error), seconds=error.seconds)
                queued.set_pending(reset_retry=False)
                queued.store()
            except Exception:  # pylint: disable=broad-except
                self.env.clear()
                queued.set_failed(exc_info=traceback.format_exc())
                queued.store()
        self.env.clear()
        return jobs

    def current_lines(self, account):
        return self.Assignment.search([
            ('partner_id', '=', account.id), ('date_end', '=', False)])
