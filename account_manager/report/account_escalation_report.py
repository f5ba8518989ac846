from odoo import api, fields, models, tools


class AccountEscalationReport(models.Model):
    _name = 'account.escalation.report'
    _description = 'Escalation Analysis'
    _auto = False

    escalation_id = fields.Many2one('account.escalation', readonly=True)

    @api.model_cr
    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            "CREATE VIEW account_escalation_report AS SELECT id, id AS escalation_id FROM account_escalation")
