from odoo import api, models


class SaleOrder(models.Model):
    _inherit = 'sale.order'

    @api.model
    def _account_manager_defaults(self, partner):
        """The salesperson and sales team a new order of ``partner`` takes:
        its account's manager's user, and that user's sales team when one is
        set. Empty for a partner without an account manager (Odoo's own
        defaults apply)."""
        manager = partner.sudo().commercial_partner_id.account_manager_id
        user = manager.user_id
        if not user:
            return {}
        values = {'user_id': user.id}
        if user.sale_team_id:
            values['team_id'] = user.sale_team_id.id
        return values

    @api.onchange('partner_id')
    def onchange_partner_id(self):
        res = super(SaleOrder, self).onchange_partner_id()
        if self.partner_id:
            self.update(self._account_manager_defaults(self.partner_id))
        return res

    @api.model
    def create(self, vals):
        """An order created without a salesperson (RPC, import, another
        addon's code) takes the account manager's user, as the form does;
        a salesperson given explicitly is kept."""
        if vals.get('partner_id') and 'user_id' not in vals:
            defaults = self._account_manager_defaults(
                self.env['res.partner'].browse(vals['partner_id']))
            if 'team_id' in vals:
                defaults.pop('team_id', None)
            vals = dict(vals, **defaults)
        return super(SaleOrder, self).create(vals)

