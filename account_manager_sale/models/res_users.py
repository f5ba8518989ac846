from odoo import models


class ResUsers(models.Model):
    _inherit = 'res.users'

    def _account_manager_partner_read_extra(self):
        """A salesperson reads the customer of their own orders, and its
        company, whoever manages the account now: opening, confirming or
        invoicing one's own order needs them."""
        return super(ResUsers, self)._account_manager_partner_read_extra() + [
            [('sale_order_ids.user_id', '=', self.id)],
            [('child_ids.sale_order_ids.user_id', '=', self.id)],
        ]
