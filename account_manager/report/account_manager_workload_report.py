from odoo import api, fields, models, tools


class AccountManagerWorkloadReport(models.Model):
    """One row per active manager: accounts held against capacity.

    A SQL view rather than stored fields on account.manager: the load moves
    with every account assignment, and storing it would write the manager
    on each of them. Accounts are counted as account.manager.account_count
    counts them (active commercial partners). Rows follow the user's read
    rules on account.manager.
    """

    _name = 'account.manager.workload.report'
    _description = 'Workload Analysis'
    _inherit = ['account.manager.report.mixin']
    _auto = False
    _order = 'load desc, manager_id'
    _rec_name = 'manager_id'
    _report_rule_fields = {'manager_id': 'account.manager'}

    manager_id = fields.Many2one(
        'account.manager', string='Account Manager', readonly=True)
    user_id = fields.Many2one('res.users', string='User', readonly=True)
    tier_id = fields.Many2one(
        'account.manager.tier', string='Tier', readonly=True)
    parent_id = fields.Many2one(
        'account.manager', string='Reports To', readonly=True)
    national_manager_id = fields.Many2one(
        'account.manager', string='National Account Manager', readonly=True)
    global_manager_id = fields.Many2one(
        'account.manager', string='Global Account Manager', readonly=True)
    account_count = fields.Integer(string='# Accounts', readonly=True)
    capacity = fields.Integer(
        readonly=True, help="0 means unlimited.")
    free_capacity = fields.Integer(
        string='Free Capacity', readonly=True,
        help="Capacity minus accounts held; negative when overloaded, 0 for "
             "managers with unlimited capacity.")
    load = fields.Float(
        string='Load (%)', readonly=True, group_operator='avg',
        help="Accounts held as a percentage of capacity (0 for unlimited "
             "capacity). Summed over a group it is the average of the "
             "managers' loads.")
    overloaded = fields.Boolean(
        readonly=True, help="Holds more accounts than their capacity.")
    idle = fields.Boolean(readonly=True, help="Holds no account.")
    unlimited = fields.Boolean(
        string='Unlimited Capacity', readonly=True)
    absent = fields.Boolean(readonly=True)
    manager_count = fields.Integer(string='# Managers', readonly=True)
    company_id = fields.Many2one('res.company', string='Company', readonly=True)

    @api.model_cr
    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute("""
            CREATE VIEW account_manager_workload_report AS (
                SELECT
                    m.id AS id,
                    m.id AS manager_id,
                    m.user_id AS user_id,
                    m.tier_id AS tier_id,
                    m.parent_id AS parent_id,
                    r.national_manager_id AS national_manager_id,
                    r.global_manager_id AS global_manager_id,
                    COALESCE(a.account_count, 0) AS account_count,
                    COALESCE(m.capacity, 0) AS capacity,
                    CASE WHEN COALESCE(m.capacity, 0) > 0
                         THEN m.capacity - COALESCE(a.account_count, 0)
                         ELSE 0 END AS free_capacity,
                    CASE WHEN COALESCE(m.capacity, 0) > 0
                         THEN 100.0 * COALESCE(a.account_count, 0) / m.capacity
                         ELSE 0.0 END AS load,
                    COALESCE(m.capacity, 0) > 0
                        AND COALESCE(a.account_count, 0) > m.capacity AS overloaded,
                    COALESCE(a.account_count, 0) = 0 AS idle,
                    COALESCE(m.capacity, 0) = 0 AS unlimited,
                    COALESCE(m.absent, FALSE) AS absent,
                    1 AS manager_count,
                    m.company_id AS company_id
                FROM account_manager m
                LEFT JOIN (%s) r ON r.manager_id = m.id
                LEFT JOIN (
                    SELECT account_manager_id, COUNT(*) AS account_count
                    FROM res_partner
                    WHERE active AND account_manager_id IS NOT NULL
                      AND (is_company OR parent_id IS NULL)
                    GROUP BY account_manager_id
                ) a ON a.account_manager_id = m.id
                WHERE m.active
            )
        """ % self._manager_rollup_query())
