import base64
import io
import re
import tempfile
import zipfile
from datetime import datetime, timedelta

import xlrd
from mock import patch
from PyPDF2 import PdfFileReader

from odoo import fields, tools
from odoo.addons.base.ir.ir_qweb.assetsbundle import AssetsBundle
from odoo.tests.common import at_install, post_install

from .common import AccountManagerCase

NOW = datetime.now().replace(microsecond=0)


def _dt(value):
    return fields.Datetime.to_string(value)


# Odoo 11 maintains parent_left/parent_right only once the registry is
# loaded: tests run at install time would see a flat hierarchy.
@at_install(False)
@post_install(True)
class ReportingCase(AccountManagerCase):
    """The organisation of AccountManagerCase, plus escalations::

        esc_overdue    Boulangerie Adèle   high      open, held by adele, deadline passed
        esc_open       Café de Flore       normal    acknowledged, held by karim, deadline ahead
        esc_critical   Airbus Sud          critical  resolved in 4 h, held by karim
        esc_normal     Orange Entreprises  normal    resolved in 10 h, held by nadia
        esc_bavaria    Münchner Brauhaus   normal    resolved in 30 h, held by katrin
        esc_high       Lyon Textiles       high      resolved in 20 h, held by arthur
        esc_cancelled  Danone Pro          low       cancelled, held by kenji
    """

    @classmethod
    def setUpClass(cls):
        super(ReportingCase, cls).setUpClass()
        cls.Portfolio = cls.env['account.manager.portfolio.report']
        cls.Workload = cls.env['account.manager.workload.report']
        cls.EscalationReport = cls.env['account.escalation.report']
        cls.accounts = (
            cls.acc_adele_1 | cls.acc_adele_2 | cls.acc_arthur_1 | cls.acc_arthur_2
            | cls.acc_anton_1 | cls.acc_anton_2 | cls.acc_karim_1 | cls.acc_karim_2
            | cls.acc_kenji_1 | cls.acc_kenji_2 | cls.acc_katrin_1 | cls.acc_katrin_2
            | cls.acc_nadia_1 | cls.acc_niklas_1 | cls.acc_unassigned)
        cls.managers = (
            cls.gloria | cls.nadia | cls.niklas | cls.karim | cls.kenji
            | cls.katrin | cls.adele | cls.arthur | cls.anton)
        cls.france_branch = (
            cls.acc_adele_1 | cls.acc_adele_2 | cls.acc_arthur_1 | cls.acc_arthur_2
            | cls.acc_karim_1 | cls.acc_karim_2 | cls.acc_kenji_1 | cls.acc_kenji_2
            | cls.acc_nadia_1)
        cls.esc_overdue = cls._create_escalation(
            cls.acc_adele_1, cls.adele, 'high', 'open', NOW - timedelta(days=3),
            deadline=NOW - timedelta(days=1))
        cls.esc_open = cls._create_escalation(
            cls.acc_adele_2, cls.karim, 'normal', 'acknowledged',
            NOW - timedelta(days=1), deadline=NOW + timedelta(days=2))
        cls.esc_critical = cls._create_escalation(
            cls.acc_karim_1, cls.karim, 'critical', 'resolved',
            NOW - timedelta(days=20), hours=4)
        cls.esc_normal = cls._create_escalation(
            cls.acc_kenji_1, cls.nadia, 'normal', 'resolved',
            NOW - timedelta(days=15), hours=10)
        cls.esc_bavaria = cls._create_escalation(
            cls.acc_anton_1, cls.katrin, 'normal', 'resolved',
            NOW - timedelta(days=10), hours=30)
        cls.esc_high = cls._create_escalation(
            cls.acc_arthur_1, cls.arthur, 'high', 'resolved',
            NOW - timedelta(days=200), hours=20)
        cls.esc_cancelled = cls._create_escalation(
            cls.acc_kenji_2, cls.kenji, 'low', 'cancelled', NOW - timedelta(days=5))
        cls.escalations = (
            cls.esc_overdue | cls.esc_open | cls.esc_critical | cls.esc_normal
            | cls.esc_bavaria | cls.esc_high | cls.esc_cancelled)

    @classmethod
    def _create_escalation(cls, account, holder, severity, state, created,
                           hours=None, deadline=None):
        """An escalation raised at ``created`` and, if ``hours`` is given,
        resolved that many hours later."""
        vals = {
            'partner_id': account.id,
            'subject': 'Concern of %s' % account.name,
            'severity': severity,
            'origin_manager_id': account.account_manager_id.id,
            'manager_id': holder.id,
            'deadline': _dt(deadline or created + timedelta(days=3)),
        }
        escalation = cls.env['account.escalation'].create(vals)
        resolved = {}
        if hours is not None:
            resolved = {'date_resolved': _dt(created + timedelta(hours=hours)),
                        'resolution_hours': hours}
        escalation.write(dict(resolved, state=state))
        cls.env.cr.execute(
            "UPDATE account_escalation SET create_date = %s WHERE id = %s",
            (_dt(created), escalation.id))
        escalation.invalidate_cache()
        return escalation

    def portfolio_row(self, account, user=None):
        # A SQL view cannot tell the cache that its rows changed.
        self.Portfolio.invalidate_cache()
        Portfolio = self.Portfolio.sudo(user) if user else self.Portfolio
        return Portfolio.search([('partner_id', '=', account.id)])

    def restrict(self, model_xmlid, domain):
        """A global rule, as the access rules would add."""
        return self.env['ir.rule'].create({
            'name': 'test restriction',
            'model_id': self.env.ref(model_xmlid).id,
            'domain_force': domain,
        })


class TestPortfolioReport(ReportingCase):

    def test_one_row_per_account(self):
        rows = self.Portfolio.search([('partner_id', 'in', self.accounts.ids)])
        self.assertEqual(rows.mapped('partner_id'), self.accounts)
        self.assertEqual(len(rows), len(self.accounts))
        contacts = self.accounts.mapped('child_ids')
        self.assertTrue(contacts)
        self.assertFalse(self.Portfolio.search([('partner_id', 'in', contacts.ids)]),
                         "Contact persons are no accounts")
        users = self.managers.mapped('user_id.partner_id') | self.user_admin.partner_id
        self.assertFalse(self.Portfolio.search([('partner_id', 'in', users.ids)]),
                         "Employees' partners are no accounts to cover")
        self.acc_arthur_2.active = False
        self.assertFalse(self.portfolio_row(self.acc_arthur_2))

    def test_row_values(self):
        row = self.portfolio_row(self.acc_karim_1)
        self.assertEqual(row.manager_id, self.karim)
        self.assertEqual(row.manager_user_id, self.karim.user_id)
        self.assertEqual(row.tier_id, self.tier_kam)
        self.assertEqual(row.parent_manager_id, self.nadia)
        self.assertEqual(row.territory_id, self.t_france)
        self.assertEqual(row.territory_type, 'country')
        self.assertEqual(row.required_tier_id, self.tier_kam)
        self.assertTrue(row.tier_ok)
        self.assertTrue(row.has_manager)
        self.assertTrue(row.has_territory)
        # Nothing is reached without a manager, required tier or not.
        unassigned = self.portfolio_row(self.acc_unassigned)
        self.assertFalse(unassigned.tier_ok)
        self.assertFalse(unassigned.has_manager)
        self.assertEqual(row.open_escalation_count, 0, "Its escalation is resolved")
        self.assertEqual(row.account_count, 1)
        self.assertEqual(self.portfolio_row(self.acc_adele_1).open_escalation_count, 1)
        self.assertEqual(self.portfolio_row(self.acc_adele_2).open_escalation_count, 1,
                         "Acknowledged escalations are still open")
        self.acc_adele_1.country_id = self.france
        self.assertEqual(self.portfolio_row(self.acc_adele_1).country_id, self.france)

    def test_rollup_to_national_and_global_manager(self):
        """adele → karim → nadia (national) → gloria (global)."""
        expected = {
            self.acc_adele_1: (self.nadia, self.gloria),
            self.acc_karim_1: (self.nadia, self.gloria),
            self.acc_arthur_1: (self.nadia, self.gloria),
            self.acc_nadia_1: (self.nadia, self.gloria),
            self.acc_anton_1: (self.niklas, self.gloria),
            self.acc_niklas_1: (self.niklas, self.gloria),
        }
        for account, (national, global_) in expected.items():
            row = self.portfolio_row(account)
            self.assertEqual(row.national_manager_id, national, account.name)
            self.assertEqual(row.global_manager_id, global_, account.name)
        unassigned = self.portfolio_row(self.acc_unassigned)
        self.assertFalse(unassigned.national_manager_id)
        self.assertFalse(unassigned.global_manager_id)

        # Karim's team moves to Germany: the roll-up follows the hierarchy.
        self.karim.parent_id = self.niklas
        self.assertEqual(self.portfolio_row(self.acc_adele_1).national_manager_id, self.niklas)
        # A key account manager straight under the global one has no national.
        self.karim.parent_id = self.gloria
        row = self.portfolio_row(self.acc_adele_1)
        self.assertFalse(row.national_manager_id)
        self.assertEqual(row.global_manager_id, self.gloria)

    def test_coverage_gap_filters(self):
        lacking = self._create_account('Gap Industries', None, None,
                                       required_tier=self.tier_nam)
        rows = self.Portfolio.search([('partner_id', 'in', (self.accounts | lacking).ids)])
        search = self._filter_domain('account_manager.account_manager_portfolio_report_action')
        self.assertEqual(rows.search(search('no_manager') + [('id', 'in', rows.ids)])
                         .mapped('partner_id'), self.acc_unassigned | lacking)
        self.assertEqual(rows.search(search('no_territory') + [('id', 'in', rows.ids)])
                         .mapped('partner_id'), self.acc_unassigned | lacking)
        self.assertEqual(rows.search(search('tier_gap') + [('id', 'in', rows.ids)])
                         .mapped('partner_id'), lacking,
                         "An account requiring a tier with no manager has a gap; "
                         "acc_key's manager reaches its tier")
        self.assertEqual(rows.search(search('open_escalations') + [('id', 'in', rows.ids)])
                         .mapped('partner_id'), self.acc_adele_1 | self.acc_adele_2)

    def test_pivot_tier_by_territory_type(self):
        groups = self.Portfolio.read_group(
            [('partner_id', 'in', self.accounts.ids)],
            ['account_count', 'tier_id', 'territory_type'],
            ['tier_id', 'territory_type'], lazy=False)
        cells = {(g['tier_id'] and g['tier_id'][0], g['territory_type']): g['account_count']
                 for g in groups}
        self.assertEqual(cells, {
            (self.tier_am.id, 'area'): 4,       # adele's and anton's
            (self.tier_am.id, 'country'): 2,    # arthur's, in France
            (self.tier_kam.id, 'country'): 6,
            (self.tier_nam.id, 'country'): 2,
            (False, False): 1,
        })
        by_national = self.Portfolio.read_group(
            [('partner_id', 'in', self.accounts.ids)],
            ['account_count', 'national_manager_id'], ['national_manager_id'])
        counts = {g['national_manager_id'] and g['national_manager_id'][0]:
                  g['account_count'] for g in by_national}
        self.assertEqual(counts, {self.nadia.id: 9, self.niklas.id: 5, False: 1})

    def test_open_accounts_from_rows(self):
        rows = self.Portfolio.search([('partner_id', 'in', self.france_branch.ids)])
        action = rows.action_open_accounts()
        self.assertEqual(action['res_model'], 'res.partner')
        self.assertEqual(self.env['res.partner'].search(action['domain']),
                         self.france_branch)

    def test_export_data(self):
        rows = self.Portfolio.search([('partner_id', '=', self.acc_adele_1.id)])
        data = rows.export_data(
            ['partner_id', 'manager_id', 'tier_id', 'national_manager_id',
             'global_manager_id', 'territory_id', 'tier_ok', 'account_count'])['datas']
        self.assertEqual(data, [[
            'Boulangerie Adèle', self.adele.name, 'Account Manager', self.nadia.name,
            self.gloria.name,
            'World / Europe / France / Paris', 'True', '1']])

    def _filter_domain(self, action_xmlid):
        """The domain of a named filter of the action's search view, as the
        web client applies it (through a dashboard indicator)."""
        action = self.env.ref(action_xmlid)

        def domain(filter_name):
            kpi = self.env['account.manager.kpi'].new({
                'name': filter_name, 'action_id': action.id, 'filter_name': filter_name})
            return kpi._get_model_domain()[1]
        return domain


class TestWorkloadReport(ReportingCase):

    def test_accounts_against_capacity(self):
        self.adele.capacity = 1
        self.arthur.capacity = 0
        idle = self._create_manager('ida', self.tier_am, self.group_own, self.kenji)
        rows = self.Workload.search([('manager_id', 'in', (self.managers | idle).ids)])
        by_manager = {row.manager_id: row for row in rows}
        self.assertEqual(len(rows), 10)
        for manager, row in by_manager.items():
            self.assertEqual(row.account_count, manager.account_count, manager.name)
            self.assertEqual(row.capacity, manager.capacity, manager.name)
            self.assertAlmostEqual(row.load, manager.load, 2)
        adele = by_manager[self.adele]
        self.assertEqual((adele.account_count, adele.load, adele.free_capacity), (2, 200.0, -1))
        self.assertTrue(adele.overloaded)
        arthur = by_manager[self.arthur]
        self.assertTrue(arthur.unlimited)
        self.assertFalse(arthur.overloaded, "Unlimited capacity is never exceeded")
        self.assertEqual(arthur.load, 0.0)
        karim = by_manager[self.karim]
        self.assertEqual((karim.capacity, karim.free_capacity), (25, 23))
        self.assertEqual(by_manager[self.nadia].national_manager_id, self.nadia)
        self.assertEqual(by_manager[self.adele].national_manager_id, self.nadia)

        domain = [('manager_id', 'in', (self.managers | idle).ids)]
        self.assertEqual(self.Workload.search(domain + [('overloaded', '=', True)])
                         .mapped('manager_id'), self.adele)
        self.assertEqual(self.Workload.search(domain + [('idle', '=', True)])
                         .mapped('manager_id'), idle | self.gloria)

    def test_archived_manager_has_no_row(self):
        idle = self._create_manager('ida', self.tier_am, self.group_own, self.kenji)
        idle.active = False
        self.assertFalse(self.Workload.search([('manager_id', '=', idle.id)]))

    def test_graph_by_tier(self):
        groups = self.Workload.read_group(
            [('manager_id', 'in', self.managers.ids)],
            ['account_count', 'capacity', 'manager_count', 'tier_id'], ['tier_id'])
        totals = {g['tier_id'][0]: (g['manager_count'], g['account_count'], g['capacity'])
                  for g in groups}
        self.assertEqual(totals[self.tier_kam.id], (3, 6, 75))
        self.assertEqual(totals[self.tier_gam.id], (1, 0, 10))

    def test_kanban_shows_load(self):
        arch = self.env['account.manager'].fields_view_get(
            view_id=self.env.ref('account_manager.account_manager_view_kanban').id,
            view_type='kanban')['arch']
        self.assertIn('Over capacity', arch)
        self.assertIn('No accounts', arch)


class TestEscalationReport(ReportingCase):

    def _rows(self, domain=None):
        return self.EscalationReport.search(
            [('escalation_id', 'in', self.escalations.ids)] + (domain or []))

    def test_row_values(self):
        row = self._rows([('escalation_id', '=', self.esc_open.id)])
        self.assertEqual(row.partner_id, self.acc_adele_2)
        self.assertEqual(row.manager_id, self.karim)
        self.assertEqual(row.tier_id, self.tier_kam, "The holder's tier")
        self.assertEqual(row.account_manager_id, self.adele)
        self.assertEqual(row.national_manager_id, self.nadia)
        self.assertEqual(row.territory_id, self.t_paris, "The account's territory")
        self.assertEqual(row.territory_type, 'area')
        self.assertEqual(row.severity, 'normal')
        self.assertTrue(row.is_open)
        self.assertFalse(row.is_overdue)
        self.assertFalse(row.resolution_hours)
        self.assertEqual(row.date, _dt(NOW - timedelta(days=1)))
        critical = self._rows([('escalation_id', '=', self.esc_critical.id)])
        self.assertAlmostEqual(critical.resolution_hours, 4.0, 2)
        self.assertFalse(critical.is_open)

    def test_open_and_overdue(self):
        self.assertEqual(self._rows([('is_open', '=', True)]).mapped('escalation_id'),
                         self.esc_overdue | self.esc_open)
        self.assertEqual(self._rows([('is_overdue', '=', True)]).mapped('escalation_id'),
                         self.esc_overdue)
        self.esc_overdue.write({'state': 'resolved', 'date_resolved': _dt(NOW)})
        self.assertFalse(self._rows([('is_overdue', '=', True)]),
                         "A resolved escalation is no longer overdue")

    def test_counts_average_and_median_by_severity(self):
        groups = self.EscalationReport.read_group(
            [('escalation_id', 'in', self.escalations.ids)],
            ['escalation_count', 'resolution_hours', 'resolution_hours_median',
             'severity'], ['severity'])
        figures = {g['severity']: (g['escalation_count'], g['resolution_hours'],
                                   g['resolution_hours_median']) for g in groups}
        self.assertEqual(figures['critical'], (1, 4.0, 4.0))
        self.assertEqual(figures['high'], (2, 20.0, 20.0))
        # Resolved in 10 h and 30 h; the acknowledged one does not count.
        self.assertEqual(figures['normal'], (3, 20.0, 20.0))
        self.assertEqual(figures['low'][0], 1)
        self.assertIs(figures['low'][2], False, "No resolved escalation, no median "
                      "(False, as for the average: the pivot shows an empty cell)")

        total = self.EscalationReport.read_group(
            [('escalation_id', 'in', self.escalations.ids)],
            ['escalation_count', 'resolution_hours', 'resolution_hours_median'], [])[0]
        # Resolved in 4, 10, 20 and 30 hours: average 16, median 15.
        self.assertEqual(total['escalation_count'], 7)
        self.assertAlmostEqual(total['resolution_hours'], 16.0, 2)
        self.assertAlmostEqual(total['resolution_hours_median'], 15.0, 2)

        stats = self.EscalationReport._resolution_stats(
            [('escalation_id', 'in', self.escalations.ids)])
        self.assertEqual((stats['count'], stats['open'], stats['overdue'], stats['resolved']),
                         (7, 2, 1, 4))
        self.assertAlmostEqual(stats['median'], 15.0, 2)

    def test_by_holder_tier_territory_and_month(self):
        domain = [('escalation_id', 'in', self.escalations.ids)]
        by_tier = {g['tier_id'][0]: g['escalation_count'] for g in
                   self.EscalationReport.read_group(
                       domain, ['escalation_count', 'tier_id'], ['tier_id'])}
        self.assertEqual(by_tier, {self.tier_am.id: 2, self.tier_kam.id: 4,
                                   self.tier_nam.id: 1})
        by_territory = {g['territory_id'][0]: g['escalation_count'] for g in
                        self.EscalationReport.read_group(
                            domain, ['escalation_count', 'territory_id'], ['territory_id'])}
        self.assertEqual(by_territory, {self.t_paris.id: 2, self.t_france.id: 4,
                                        self.t_bavaria.id: 1})
        by_month = self.EscalationReport.read_group(
            domain, ['escalation_count', 'resolution_hours_median', 'date'], ['date:month'],
            lazy=False)
        self.assertEqual(sum(g['escalation_count'] for g in by_month), 7)
        old = [g for g in by_month if g['escalation_count'] == 1
               and g['resolution_hours_median'] == 20.0]
        self.assertTrue(old, "The month of the 200-day-old escalation has its own median")

    def test_export_data(self):
        data = self._rows([('escalation_id', '=', self.esc_critical.id)]).export_data(
            ['escalation_id', 'partner_id', 'manager_id', 'tier_id', 'severity',
             'state', 'resolution_hours'])['datas']
        self.assertEqual(data, [[self.esc_critical.name, 'Airbus Sud', self.karim.name,
                                 'Key Account Manager', 'Critical', 'Resolved', '4.0']])


class TestReportAccess(ReportingCase):
    """Report rows follow the read rules of the records they summarise."""

    def test_portfolio_follows_partner_rules(self):
        self.restrict('base.model_res_partner',
                      "['|', ('account_manager_id', 'child_of', %d), "
                      "('account_manager_id', '=', False)]" % self.nadia.id)
        nadia = self.nadia.user_id
        rows = self.Portfolio.sudo(nadia).search([('partner_id', 'in', self.accounts.ids)])
        self.assertEqual(rows.mapped('partner_id'), self.france_branch | self.acc_unassigned)
        groups = self.Portfolio.sudo(nadia).read_group(
            [('partner_id', 'in', self.accounts.ids)],
            ['account_count', 'global_manager_id'], ['global_manager_id'])
        self.assertEqual(
            {g['global_manager_id'] and g['global_manager_id'][0]: g['account_count']
             for g in groups},
            {self.gloria.id: 9, False: 1},
            "Her pivot shows her branch only, even grouped by the global manager")
        self.assertEqual(self.Portfolio.sudo(nadia).search_count(
            [('partner_id', '=', self.acc_niklas_1.id)]), 0)
        self.assertEqual(len(self.Portfolio.search(
            [('partner_id', 'in', self.accounts.ids)])), 15,
            "The superuser is not restricted")

    def test_rows_equal_the_accounts_the_user_reads(self):
        """Whatever the partner rules are, a user's report rows are the
        accounts they can read."""
        for manager in (self.gloria, self.nadia, self.niklas, self.karim, self.adele):
            user = manager.user_id
            visible = self.env['res.partner'].sudo(user).search(
                [('id', 'in', self.accounts.ids)])
            rows = self.Portfolio.sudo(user).search([('partner_id', 'in', self.accounts.ids)])
            self.assertEqual(rows.mapped('partner_id').ids, visible.ids, user.login)

    def test_escalation_report_follows_escalation_rules(self):
        self.restrict('account_manager.model_account_escalation',
                      "[('partner_id.account_manager_id', 'child_of', %d)]" % self.adele.id)
        rows = self.EscalationReport.sudo(self.adele.user_id).search(
            [('escalation_id', 'in', self.escalations.ids)])
        self.assertEqual(rows.mapped('escalation_id'), self.esc_overdue | self.esc_open)
        stats = self.EscalationReport.sudo(self.adele.user_id)._resolution_stats(
            [('escalation_id', 'in', self.escalations.ids)])
        self.assertEqual((stats['count'], stats['resolved']), (2, 0),
                         "The median is computed on the rows she may see")

    def test_workload_follows_manager_rules(self):
        self.restrict('account_manager.model_account_manager',
                      "[('id', 'child_of', %d)]" % self.karim.id)
        rows = self.Workload.sudo(self.karim.user_id).search(
            [('manager_id', 'in', self.managers.ids)])
        self.assertEqual(rows.mapped('manager_id'), self.karim | self.adele)


class TestDashboard(ReportingCase):

    def test_indicators_count_their_filtered_list(self):
        Kpi = self.env['account.manager.kpi']
        unassigned = self.env.ref('account_manager.kpi_accounts_unassigned')
        before = unassigned.value
        self.assertEqual(before, self.Portfolio.search_count([('has_manager', '=', False)]))
        self.acc_unassigned.account_manager_id = self.adele
        Kpi.invalidate_cache()
        self.assertEqual(unassigned.value, before - 1)

        overloaded = self.env.ref('account_manager.kpi_managers_overloaded')
        before = overloaded.value
        self.adele.capacity = 1
        Kpi.invalidate_cache()
        self.assertEqual(overloaded.value, before + 1)
        self.assertTrue(overloaded.alert)

        overdue = self.env.ref('account_manager.kpi_escalations_overdue')
        self.assertEqual(overdue.value, self.EscalationReport.search_count(
            [('is_overdue', '=', True)]))
        self.assertGreaterEqual(overdue.value, 1)

        gap = self.env.ref('account_manager.kpi_accounts_tier_gap')
        before = gap.value
        self._create_account('Gap Industries', None, None, required_tier=self.tier_nam)
        Kpi.invalidate_cache()
        self.assertEqual(gap.value, before + 1)
        self.assertEqual(gap.value_display, '%d' % (before + 1))

    def test_median_indicator(self):
        median = self.env.ref('account_manager.kpi_escalations_median_resolution')
        expected = self.EscalationReport._resolution_stats([
            ('state', '=', 'resolved'),
            ('date_resolved', '>=', _dt(datetime.combine(
                fields.Date.from_string(fields.Date.context_today(median))
                - timedelta(days=90), datetime.min.time())))])['median']
        self.assertAlmostEqual(median.value, round(expected, 1), 1)

    def test_indicator_opens_the_filtered_list(self):
        action = self.env.ref('account_manager.kpi_accounts_unassigned').action_open()
        self.assertEqual(action['res_model'], 'account.manager.portfolio.report')
        self.assertEqual(action['context'].get('search_default_no_manager'), 1)
        self.assertTrue(action['view_mode'].startswith('tree'))
        self.assertEqual(action['views'][0][1], 'tree')

    def test_indicators_follow_the_user_rules(self):
        self.restrict('base.model_res_partner',
                      "[('account_manager_id', 'child_of', %d)]" % self.nadia.id)
        kpi = self.env.ref('account_manager.kpi_accounts_unassigned')
        self.assertEqual(kpi.sudo(self.nadia.user_id).value, 0,
                         "Nadia sees no unassigned account under this rule")
        self.assertGreaterEqual(kpi.value, 1)

    def test_wrong_filter_is_refused(self):
        with self.assertRefused(Exception, 'no_such_filter'):
            self.env['account.manager.kpi'].create({
                'name': 'Broken',
                'action_id': self.env.ref(
                    'account_manager.account_manager_portfolio_report_action').id,
                'filter_name': 'no_such_filter',
            })


class TestExports(ReportingCase):

    def _export(self, user=None, **vals):
        Export = self.env['account.manager.report.export']
        if user:
            Export = Export.sudo(user)
        wizard = Export.create(vals)
        action = wizard.action_export()
        # Downloaded by the client action that also closes the dialog.
        self.assertEqual((action['type'], action['tag']),
                         ('ir.actions.client', 'account_manager_download'))
        self.assertEqual(action['params']['url'], '/web/content')
        self.assertEqual(action['params']['data']['id'], wizard.id)
        self.assertTrue(wizard.filename.endswith('.xlsx'))
        return xlrd.open_workbook(file_contents=base64.b64decode(wizard.data))

    def test_download_action_is_in_the_web_client(self):
        """The client action the export returns is part of the backend's
        scripts (or the web client would say it cannot find it)."""
        files = self.env['ir.qweb']._get_asset_content('web.assets_backend', {})[0]
        self.assertIn('/account_manager/static/src/js/download.js',
                      [f['url'] for f in files])

    def test_xlsx_team_of_nadia(self):
        book = self._export(manager_id=self.nadia.id)
        self.assertEqual(book.sheet_names(),
                         ['Summary', 'Portfolio', 'Workload', 'Escalations'])
        portfolio = book.sheet_by_name('Portfolio')
        header = portfolio.row_values(0)
        self.assertEqual(header[:3], ['Account', 'Group Account', 'Account Manager'])
        names = {portfolio.cell_value(r, 0) for r in range(1, portfolio.nrows)}
        self.assertEqual(names, set(self.france_branch.mapped('name')))
        national = header.index('National Account Manager')
        self.assertEqual({portfolio.cell_value(r, national)
                          for r in range(1, portfolio.nrows)}, {self.nadia.name})

        workload = book.sheet_by_name('Workload')
        self.assertEqual({workload.cell_value(r, 0) for r in range(1, workload.nrows)},
                         set((self.nadia | self.karim | self.kenji | self.adele
                              | self.arthur).mapped('name')))

        escalations = book.sheet_by_name('Escalations')
        self.assertEqual(escalations.nrows - 1, 6, "All but the Bavarian escalation")

        summary = book.sheet_by_name('Summary')
        labels = {summary.cell_value(r, 0): r for r in range(summary.nrows)}
        self.assertEqual(summary.cell_value(labels['Accounts'], 1), 9)
        row = labels['All severities']
        header_row = summary.row_values(row - 1)
        median_col = header_row.index('Median resolution hours')
        # Resolved in France: 4, 10 and 20 hours.
        self.assertAlmostEqual(summary.cell_value(row, median_col), 10.0, 2)
        self.assertEqual(summary.cell_value(row, header_row.index('Overdue')), 1)

    def test_xlsx_follows_rules(self):
        self.restrict('base.model_res_partner',
                      "[('account_manager_id', 'child_of', %d)]" % self.karim.id)
        book = self._export(user=self.karim.user_id)
        portfolio = book.sheet_by_name('Portfolio')
        self.assertEqual({portfolio.cell_value(r, 0) for r in range(1, portfolio.nrows)},
                         set((self.acc_karim_1 | self.acc_karim_2 | self.acc_adele_1
                              | self.acc_adele_2).mapped('name')))

    def test_escalation_analysis_orders_severities_by_level(self):
        groups = self.env['account.escalation.report'].read_group(
            [], ['severity', 'escalation_count'], ['severity'])
        order = ['low', 'normal', 'high', 'critical']
        severities = [group['severity'] for group in groups]
        self.assertEqual(severities, [s for s in order if s in severities])
        self.assertGreater(len(severities), 2)

    def test_xlsx_numbers_are_formatted_and_open_hours_blank(self):
        """Loads and hours carry a number format (not 11.66666666666667), and
        an escalation not resolved shows no resolution hours (not 0)."""
        Export = self.env['account.manager.report.export'].create({})
        Export.action_export()
        book = xlrd.open_workbook(file_contents=base64.b64decode(Export.data),
                                  formatting_info=False)
        workload = book.sheet_by_name('Workload')
        self.assertTrue(workload.nrows > 1)
        escalations = book.sheet_by_name('Escalations')
        header = escalations.row_values(0)
        state = header.index(self.env['account.escalation.report']._fields['state'].string)
        hours = [i for i, title in enumerate(header) if title.startswith('Resolution Hours')][0]
        for r in range(1, escalations.nrows):
            if escalations.cell_value(r, state) != 'Resolved':
                self.assertEqual(escalations.cell_type(r, hours), xlrd.XL_CELL_EMPTY)
            else:
                self.assertEqual(escalations.cell_type(r, hours), xlrd.XL_CELL_NUMBER)
        # The number formats, read from the workbook's styles.
        styles = zipfile.ZipFile(io.BytesIO(base64.b64decode(Export.data))).read(
            'xl/styles.xml').decode()
        self.assertIn('formatCode="#,##0.00"', styles)
        self.assertIn('formatCode="#,##0"', styles)

    def test_export_wizard_defaults_to_selected_manager(self):
        wizard = self.env['account.manager.report.export'].with_context(
            active_model='account.manager', active_ids=self.niklas.ids).create({})
        self.assertEqual(wizard.manager_id, self.niklas)

    def test_escalation_dates(self):
        book = self._export(manager_id=self.gloria.id,
                            date_from=fields.Date.to_string(NOW - timedelta(days=16)),
                            date_to=fields.Date.to_string(NOW))
        escalations = book.sheet_by_name('Escalations')
        self.assertEqual(escalations.nrows - 1, 5,
                         "The escalations raised 20 and 200 days ago are out")


class TestPortfolioPdf(ReportingCase):

    def setUp(self):
        super(TestPortfolioPdf, self).setUp()
        self.report = self.env.ref('account_manager.action_report_account_manager_portfolio')

    def test_html_lists_accounts_contacts_escalations_team(self):
        html = self.report.render_qweb_html(self.nadia.ids)[0].decode('utf-8')
        for text in ['TotalEnergies France', 'Contact of TotalEnergies France',
                     'National Account Manager'] + (
                         self.karim | self.kenji | self.adele | self.arthur).mapped('name'):
            self.assertIn(text, html)
        self.assertNotIn(self.niklas.name, html, "Another branch")
        html = self.report.render_qweb_html(self.karim.ids)[0].decode('utf-8')
        for text in ('Airbus Sud', 'Renault Nord', 'Contact of Renault Nord',
                     self.esc_open.name, 'Concern of Café de Flore', self.adele.name):
            self.assertIn(text, html)
        self.assertNotIn(self.esc_critical.name, html, "Resolved: not open")

    def test_report_stylesheet_compiles(self):
        """The report bundle compiles (no 'Could not get content' from a
        file the installation lacks), so reports print with their styles."""
        files, _remains = self.env['ir.qweb']._get_asset_content('web.report_assets_common', {})
        self.assertTrue(all(f['filename'] for f in files),
                        [f['url'] for f in files if not f['filename']])
        bundle = AssetsBundle('web.report_assets_common', files, env=self.env)
        compiled = bundle.preprocess_css()
        self.assertFalse(bundle.css_errors)
        self.assertNotIn('Could not get content', compiled)
        self.assertIn('.table', compiled)
        html = self.report.render_qweb_html(self.nadia.ids)[0].decode('utf-8')
        self.assertNotIn('Could not get content', html)

    def test_print_menu(self):
        self.assertEqual(self.report.binding_model_id.model, 'account.manager')

    def test_pdf(self):
        self.assertNotEqual(
            self.report.get_wkhtmltopdf_state(), 'install',
            "wkhtmltopdf is not on the PATH (scripts/lib.sh ensure_wkhtmltopdf)")
        # Assets would be fetched from a server that cannot see this test's
        # transaction: point wkhtmltopdf at nowhere.
        self.env['ir.config_parameter'].sudo().set_param('report.url', 'http://127.0.0.1:9')
        with tempfile.TemporaryDirectory() as tmp, \
                patch.dict(tools.config.options,
                           {'test_enable': True, 'test_report_directory': tmp}):
            pdf, kind = self.report.render_qweb_pdf((self.nadia | self.karim).ids)
        self.assertEqual(kind, 'pdf')
        self.assertTrue(pdf.startswith(b'%PDF'))
        self.assertEqual(PdfFileReader(io.BytesIO(pdf)).getNumPages(), 2,
                         "One page per manager")
        text = _pdf_text(pdf).replace(' ', '')
        for name in ('Account Portfolio: %s' % self.nadia.name, 'TotalEnergies France',
                     'Contact of TotalEnergies France',
                     'Account Portfolio: %s' % self.karim.name,
                     'Airbus Sud', 'Renault Nord', 'Concern of Café de Flore'):
            self.assertIn(name.replace(' ', ''), text)
        # The patched-Qt wkhtmltopdf renders the external layout's header
        # (company address) and footer (page numbers).
        self.assertIn(self.company.name.replace(' ', ''), text)
        self.assertIn('Page:1/1', text)


def _pdf_text(data):
    """The text of a wkhtmltopdf PDF. Its Type0 fonts map glyph ids to
    characters through ToUnicode CMaps, which PyPDF2 1.26's extractText()
    ignores (it returns nothing): decode them here."""
    reader = PdfFileReader(io.BytesIO(data))
    chunks = []
    for number in range(reader.getNumPages()):
        page = reader.getPage(number)
        fonts = page['/Resources'].getObject()['/Font'].getObject()
        cmaps = {name: _to_unicode(font.getObject()) for name, font in fonts.items()}
        content = page.getContents().getData().decode('latin-1')
        cmap = {}
        for font, glyphs in re.findall(r'(/[^\s/]+) [\d.]+ Tf|<([0-9A-Fa-f]+)> ?Tj', content):
            if font:
                cmap = cmaps.get(font, {})
            else:
                chunks.append(''.join(cmap.get(int(glyphs[i:i + 4], 16), '')
                                      for i in range(0, len(glyphs), 4)))
    return ''.join(chunks)


def _to_unicode(font):
    cmap = {}
    if '/ToUnicode' not in font:
        return cmap
    stream = font['/ToUnicode'].getObject().getData().decode('latin-1')
    for block in re.findall(r'beginbfchar(.*?)endbfchar', stream, re.S):
        for code, char in re.findall(r'<(\w+)>\s*<(\w+)>', block):
            cmap[int(code, 16)] = bytes.fromhex(char).decode('utf-16-be')
    for block in re.findall(r'beginbfrange(.*?)endbfrange', stream, re.S):
        for low, high, first, chars in re.findall(
                r'<(\w+)>\s*<(\w+)>\s*(?:<(\w+)>|\[([^\]]*)\])', block):
            low, high = int(low, 16), int(high, 16)
            if first:
                for offset in range(high - low + 1):
                    cmap[low + offset] = chr(int(first, 16) + offset)
            else:
                for offset, char in enumerate(re.findall(r'<(\w+)>', chars)):
                    cmap[low + offset] = bytes.fromhex(char).decode('utf-16-be')
    return cmap
