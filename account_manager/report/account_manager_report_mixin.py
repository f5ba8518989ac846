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
        found by nested-set containment on parent_left/parent_right. Levels
        strictly rise up the hierarchy, so a chain holds each tier once."""
        return """
            SELECT m.id AS manager_id,
                   (SELECT a.id FROM account_manager a
                    WHERE a.tier_id = (
                            SELECT res_id FROM ir_model_data
                            WHERE module = 'account_manager'
                              AND name = 'tier_national_account_manager')
                      AND a.parent_left <= m.parent_left
                      AND a.parent_right >= m.parent_right
                    ORDER BY a.parent_left DESC LIMIT 1) AS national_manager_id,
                   (SELECT a.id FROM account_manager a
                    WHERE a.tier_id = (
                            SELECT res_id FROM ir_model_data
                            WHERE module = 'account_manager'
                              AND name = 'tier_global_account_manager')
                      AND a.parent_left <= m.parent_left
                      AND a.parent_right >= m.parent_right
                    ORDER BY a.parent_left DESC LIMIT 1) AS global_manager_id
            FROM account_manager m
        """
