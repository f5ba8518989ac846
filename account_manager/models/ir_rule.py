from odoo import api, models


class IrRule(models.Model):
    _inherit = 'ir.rule'

    @api.model
    def _eval_context(self):
        """Expose the current user's account-management reach to rule
        domains (see security/account_manager_rules.xml)."""
        context = super(IrRule, self)._eval_context()
        context['account_manager_reach'] = self.env.user._account_manager_reach()
        return context
