from odoo import fields, models


class AccountEscalationWizard(models.TransientModel):
    _name = 'account.escalation.wizard'
    _description = 'Escalate a Customer Concern'

    subject = fields.Char()
