from odoo import fields, models


class AccountTerritoryRealignWizard(models.TransientModel):
    _name = 'account.territory.realign.wizard'
    _description = 'Realign Territories'

    dry_run = fields.Boolean(default=True)
