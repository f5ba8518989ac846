from odoo import fields, models


class AccountTerritoryRule(models.Model):
    """Which accounts fall into a territory (filled in by territory assignment)."""
    _name = 'account.territory.rule'
    _description = 'Territory Assignment Rule'
    _order = 'priority desc, id'

    territory_id = fields.Many2one(
        'account.territory', required=True, index=True, ondelete='cascade')
    priority = fields.Integer(default=10)
