from odoo import fields, models


class AccountManagerReassignWizard(models.TransientModel):
    _name = 'account.manager.reassign.wizard'
    _description = 'Reassign Accounts'

    reason = fields.Text()
