from odoo import fields, models


class ResCompany(models.Model):
    _inherit = 'res.company'

    # Response time (hours) an escalation's holder has, per severity.
    account_escalation_sla_low = fields.Float(string='SLA Low (hours)', default=168.0)
    account_escalation_sla_normal = fields.Float(string='SLA Normal (hours)', default=72.0)
    account_escalation_sla_high = fields.Float(string='SLA High (hours)', default=24.0)
    account_escalation_sla_critical = fields.Float(string='SLA Critical (hours)', default=4.0)
    account_manager_strict_capacity = fields.Boolean(
        string='Strict Capacity',
        help="Refuse every assignment that takes a manager over capacity, "
             "whatever their tier says.")
