from odoo import _, api, fields, models, tools

from ..models.account_manager_tier import TERRITORY_TYPES
from ..models.input_check import InputCheck


class AccountManagerPortfolioReport(InputCheck, models.Model):
    """One row per account: who holds it, who they roll up to, where it
    sits, and whether its coverage has a gap.

    An account is an active commercial partner (a company, or a person
    without a parent) that has a manager, or is a customer and neither a
    user's own partner nor a company's (Odoo 11 makes every user's partner
    a customer; colleagues, portal logins and the company itself are no
    accounts to cover). The same definition as ``res.partner.is_account``. Rows follow the user's
    read rules on res.partner (see account.manager.report.mixin).
    """

    _name = 'account.manager.portfolio.report'
    _description = 'Portfolio Analysis'
    _inherit = ['account.manager.report.mixin']
    _auto = False
    _order = 'partner_id'
    _rec_name = 'partner_id'
    _report_rule_fields = {'partner_id': 'res.partner'}

    partner_id = fields.Many2one('res.partner', string='Account', readonly=True)
    account_parent_id = fields.Many2one(
        'res.partner', string='Group Account', readonly=True)
    manager_id = fields.Many2one(
        'account.manager', string='Account Manager', readonly=True)
    manager_user_id = fields.Many2one(
        'res.users', string='Account Manager User', readonly=True)
    tier_id = fields.Many2one(
        'account.manager.tier', string='Manager Tier', readonly=True)
    parent_manager_id = fields.Many2one(
        'account.manager', string="Manager's Manager", readonly=True)
    national_manager_id = fields.Many2one(
        'account.manager', string='National Account Manager', readonly=True,
        help="The manager at the National Account Manager tier above the "
             "account's manager (or the manager themselves).")
    global_manager_id = fields.Many2one(
        'account.manager', string='Global Account Manager', readonly=True,
        help="The manager at the Global Account Manager tier above the "
             "account's manager (or the manager themselves).")
    territory_id = fields.Many2one(
        'account.territory', string='Territory', readonly=True)
    territory_type = fields.Selection(
        TERRITORY_TYPES, string='Territory Type', readonly=True)
    country_id = fields.Many2one('res.country', string='Country', readonly=True)
    required_tier_id = fields.Many2one(
        'account.manager.tier', string='Required Tier', readonly=True)
    tier_ok = fields.Boolean(
        string='Tier Reached', readonly=True,
        help="The account has a manager, who reaches the tier it requires "
             "(if any). Not ticked for an account without a manager.")
    has_manager = fields.Boolean(readonly=True)
    has_territory = fields.Boolean(readonly=True)
    open_escalation_count = fields.Integer(
        string='Open Escalations', readonly=True)
    company_id = fields.Many2one('res.company', string='Company', readonly=True)
    account_count = fields.Integer(string='# Accounts', readonly=True)

    @api.model
    def _select(self):
        return """
            SELECT
                p.id AS id,
                p.id AS partner_id,
                p.account_parent_id AS account_parent_id,
                p.account_manager_id AS manager_id,
                m.user_id AS manager_user_id,
                m.tier_id AS tier_id,
                m.parent_id AS parent_manager_id,
                r.national_manager_id AS national_manager_id,
                r.global_manager_id AS global_manager_id,
                p.territory_id AS territory_id,
                t.territory_type AS territory_type,
                p.country_id AS country_id,
                p.required_tier_id AS required_tier_id,
                (p.account_manager_id IS NOT NULL
                 AND (p.required_tier_id IS NULL
                      OR COALESCE(mt.level, 0) >= req.level)) AS tier_ok,
                p.account_manager_id IS NOT NULL AS has_manager,
                p.territory_id IS NOT NULL AS has_territory,
                COALESCE(e.open_count, 0) AS open_escalation_count,
                p.company_id AS company_id,
                1 AS account_count
        """

    @api.model
    def _from(self):
        return """
            FROM res_partner p
            LEFT JOIN account_manager m ON m.id = p.account_manager_id
            LEFT JOIN account_manager_tier mt ON mt.id = m.tier_id
            LEFT JOIN account_manager_tier req ON req.id = p.required_tier_id
            LEFT JOIN (%s) r ON r.manager_id = m.id
            LEFT JOIN account_territory t ON t.id = p.territory_id
            LEFT JOIN (
                SELECT partner_id, COUNT(*) AS open_count
                FROM account_escalation
                WHERE state IN ('open', 'acknowledged')
                GROUP BY partner_id
            ) e ON e.partner_id = p.id
            LEFT JOIN (
                SELECT DISTINCT partner_id FROM res_users WHERE active
                UNION SELECT partner_id FROM res_company
            ) own ON own.partner_id = p.id
        """ % self._manager_rollup_query()

    @api.model
    def _where(self):
        return """
            WHERE p.active
              AND (p.is_company OR p.parent_id IS NULL)
              AND (p.account_manager_id IS NOT NULL
                   OR (p.customer AND own.partner_id IS NULL))
        """

    @api.model_cr
    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute("CREATE VIEW %s AS (%s %s %s)" % (
            self._table, self._select(), self._from(), self._where()))

    @api.multi
    def action_open_accounts(self):
        """The accounts behind the selected rows, where they can be edited
        or handed over (Reassign accounts…)."""
        self._check_public_call()
        action = self.env.ref('account_manager.res_partner_account_action').read()[0]
        action.update({
            'name': _('Accounts'),
            'domain': [('id', 'in', self.mapped('partner_id').ids)],
            'context': {},
        })
        return action
