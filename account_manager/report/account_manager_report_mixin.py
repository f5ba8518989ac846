from odoo import SUPERUSER_ID, api, models


class AccountManagerReportMixin(models.AbstractModel):
    """Record rules for SQL-view reports, borrowed from the records each row
    summarises.

    A report row is readable when the user can read the record behind it
    (the account, the escalation, the manager): the rules of that model are
    evaluated for the user and applied as a sub-select on the row's key.
    Whatever the rules on res.partner, account.escalation or account.manager
    say (Odoo's own, the company rules, this addon's hierarchy rules) the
    reports follow them without a second copy that could drift.
    """

    _name = 'account.manager.report.mixin'
    _description = 'Account Management Report Rules'

    # {field of the report: model whose read rules decide on that row}
    _report_rule_fields = {}

    @api.model
    def _apply_ir_rules(self, query, mode='read'):
        super(AccountManagerReportMixin, self)._apply_ir_rules(query, mode=mode)
        if self._uid == SUPERUSER_ID:
            return
        Rule = self.env['ir.rule']
        for field_name, model_name in sorted(self._report_rule_fields.items()):
            clauses, params, tables = Rule.domain_get(model_name, mode)
            if not clauses:
                continue
            query.where_clause.append(
                '"%s"."%s" IN (SELECT "%s".id FROM %s WHERE %s)' % (
                    self._table, field_name, self.env[model_name]._table,
                    ', '.join(tables), ' AND '.join(clauses)))
            query.where_clause_params.extend(params)

    @api.model
    def _manager_rollup_query(self):
        """One row per manager with its National and Global Account Manager:
        the ancestor-or-self holding the tier shipped under that xml id,
        found by nested-set containment on parent_left/parent_right against
        the few managers of that tier. Levels strictly rise up the
        hierarchy, so a chain holds each tier once; DISTINCT ON keeps one
        row per manager (the nearest) even on inconsistent data."""
        return """
            SELECT DISTINCT ON (m.id)
                   m.id AS manager_id,
                   nat.id AS national_manager_id,
                   glo.id AS global_manager_id
            FROM account_manager m
            LEFT JOIN (%s) nat ON nat.parent_left <= m.parent_left
                 AND nat.parent_right >= m.parent_right
            LEFT JOIN (%s) glo ON glo.parent_left <= m.parent_left
                 AND glo.parent_right >= m.parent_right
            ORDER BY m.id, nat.parent_left DESC NULLS LAST,
                     glo.parent_left DESC NULLS LAST
        """ % (_managers_of_tier_sql('tier_national_account_manager'),
               _managers_of_tier_sql('tier_global_account_manager'))


def _managers_of_tier_sql(tier_xmlid):
    """The managers whose tier is this addon's ``tier_xmlid``, with their
    place in the hierarchy (``tier_xmlid`` is a name of this module)."""
    return """
                SELECT a.id, a.parent_left, a.parent_right
                FROM account_manager a
                JOIN ir_model_data d ON d.res_id = a.tier_id
                WHERE d.module = 'account_manager'
                  AND d.model = 'account.manager.tier'
                  AND d.name = '%s'
            """ % tier_xmlid
