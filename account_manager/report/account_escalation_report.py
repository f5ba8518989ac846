from odoo import api, fields, models, tools

from ..models.account_escalation import SEVERITIES
from ..models.account_manager_tier import TERRITORY_TYPES


class AccountEscalationReport(models.Model):
    """One row per escalation, with its holder, the holder's tier, the
    account's territory, its SLA status and how long it took to resolve.

    Odoo's read_group aggregates with one SQL function per column, and a
    median is no such function: ``resolution_hours_median`` aggregates as
    ``array_agg``, in the same single query as every other measure, and
    read_group turns each group's array into its median. Rows follow the
    user's read rules on account.escalation.
    """

    _name = 'account.escalation.report'
    _description = 'Escalation Analysis'
    _inherit = ['account.manager.report.mixin']
    _auto = False
    _order = 'date desc, id desc'
    _rec_name = 'escalation_id'
    _report_rule_fields = {'escalation_id': 'account.escalation'}

    escalation_id = fields.Many2one(
        'account.escalation', string='Escalation', readonly=True)
    partner_id = fields.Many2one('res.partner', string='Account', readonly=True)
    manager_id = fields.Many2one(
        'account.manager', string='Holder', readonly=True,
        help="The manager currently holding the escalation.")
    tier_id = fields.Many2one(
        'account.manager.tier', string="Holder's Tier", readonly=True)
    origin_manager_id = fields.Many2one(
        'account.manager', string='Account Manager at the Time', readonly=True)
    account_manager_id = fields.Many2one(
        'account.manager', string='Account Manager', readonly=True,
        help="The account's manager today.")
    national_manager_id = fields.Many2one(
        'account.manager', string='National Account Manager', readonly=True,
        help="The National Account Manager above the account's manager.")
    territory_id = fields.Many2one(
        'account.territory', string='Territory', readonly=True)
    territory_type = fields.Selection(
        TERRITORY_TYPES, string='Territory Type', readonly=True)
    severity = fields.Selection(SEVERITIES, readonly=True)
    state = fields.Selection([
        ('open', 'Open'),
        ('acknowledged', 'Acknowledged'),
        ('resolved', 'Resolved'),
        ('cancelled', 'Cancelled'),
    ], string='Status', readonly=True)
    is_open = fields.Boolean(string='Open', readonly=True)
    is_overdue = fields.Boolean(
        string='Overdue', readonly=True,
        help="Open or acknowledged, and past its deadline.")
    date = fields.Datetime(string='Raised On', readonly=True)
    deadline = fields.Datetime(readonly=True)
    date_resolved = fields.Datetime(string='Resolved On', readonly=True)
    hop_count = fields.Integer(string='Hops', readonly=True, group_operator='avg')
    resolution_hours = fields.Float(
        string='Resolution Hours (avg)', readonly=True, group_operator='avg',
        help="Hours from raising to resolution, resolved escalations only.")
    resolution_hours_median = fields.Float(
        string='Resolution Hours (median)', readonly=True, group_operator='array_agg',
        help="Median of the hours from raising to resolution of the resolved "
             "escalations in the group.")
    escalation_count = fields.Integer(string='# Escalations', readonly=True)
    company_id = fields.Many2one('res.company', string='Company', readonly=True)

    @api.model_cr
    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute("""
            CREATE VIEW account_escalation_report AS (
                SELECT
                    e.id AS id,
                    e.id AS escalation_id,
                    e.partner_id AS partner_id,
                    e.manager_id AS manager_id,
                    h.tier_id AS tier_id,
                    e.origin_manager_id AS origin_manager_id,
                    p.account_manager_id AS account_manager_id,
                    r.national_manager_id AS national_manager_id,
                    p.territory_id AS territory_id,
                    t.territory_type AS territory_type,
                    e.severity AS severity,
                    e.state AS state,
                    e.state IN ('open', 'acknowledged') AS is_open,
                    (e.state IN ('open', 'acknowledged')
                     AND e.deadline < (NOW() AT TIME ZONE 'UTC')) AS is_overdue,
                    e.create_date AS date,
                    e.deadline AS deadline,
                    e.date_resolved AS date_resolved,
                    e.hop_count AS hop_count,
                    res.hours AS resolution_hours,
                    res.hours AS resolution_hours_median,
                    1 AS escalation_count,
                    e.company_id AS company_id
                FROM account_escalation e
                LEFT JOIN account_manager h ON h.id = e.manager_id
                LEFT JOIN res_partner p ON p.id = e.partner_id
                LEFT JOIN (%s) r ON r.manager_id = p.account_manager_id
                LEFT JOIN account_territory t ON t.id = p.territory_id
                CROSS JOIN LATERAL (
                    SELECT CASE WHEN e.state = 'resolved' THEN COALESCE(
                        e.resolution_hours,
                        EXTRACT(EPOCH FROM e.date_resolved - e.create_date) / 3600.0)
                    END AS hours
                ) res
            )
        """ % self._manager_rollup_query())

    @api.model
    def read_group(self, domain, fields, groupby, offset=0, limit=None,
                   orderby=False, lazy=True):
        result = super(AccountEscalationReport, self).read_group(
            domain, fields, groupby, offset=offset, limit=limit,
            orderby=orderby, lazy=lazy)
        for group in result:
            if 'resolution_hours_median' in group:
                median = _median(group['resolution_hours_median'])
                # False, as read_group gives an empty aggregate: the pivot
                # shows an empty cell for it (and 0.00 for None).
                group['resolution_hours_median'] = False if median is None else median
        first = (groupby if isinstance(groupby, (list, tuple)) else [groupby])[:1]
        if first == ['severity'] and not orderby:
            # By level (low … critical), not alphabetically.
            order = [key for key, _label in self._fields['severity'].selection]
            result.sort(key=lambda group: order.index(group['severity'])
                        if group['severity'] in order else len(order))
        return result

    @api.model
    def _resolution_stats(self, domain):
        """Counts and resolution figures over the rows of ``domain`` the
        user may read: one query, the median by ``percentile_cont``."""
        query = self._where_calc(domain)
        self._apply_ir_rules(query, 'read')
        from_clause, where_clause, params = query.get_sql()
        table = '"%s"' % self._table
        self.env.cr.execute("""
            SELECT COUNT(*),
                   COUNT(*) FILTER (WHERE {t}.is_open),
                   COUNT(*) FILTER (WHERE {t}.is_overdue),
                   COUNT({t}.resolution_hours),
                   AVG({t}.resolution_hours),
                   PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY {t}.resolution_hours)
            FROM {f} WHERE {w}
        """.format(t=table, f=from_clause, w=where_clause or 'TRUE'), params)
        count, open_count, overdue, resolved, avg, median = self.env.cr.fetchone()
        return {
            'count': count,
            'open': open_count,
            'overdue': overdue,
            'resolved': resolved,
            'avg': avg,
            'median': median,
        }


def _median(values):
    """The median of the non-null values (None if there is none), as
    PostgreSQL's percentile_cont(0.5) computes it."""
    values = sorted(v for v in values or [] if v is not None)
    if not values:
        return None
    middle = len(values) // 2
    if len(values) % 2:
        return values[middle]
    return (values[middle - 1] + values[middle]) / 2.0
