from odoo import api, fields, models, tools


class AccountManagerPortfolioReport(models.Model):
    _name = 'account.manager.portfolio.report'
    _description = 'Portfolio Analysis'
    _auto = False

    partner_id = fields.Many2one('res.partner', readonly=True)

    @api.model_cr
    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            "CREATE VIEW account_manager_portfolio_report AS SELECT id, id AS partner_id FROM res_partner")
