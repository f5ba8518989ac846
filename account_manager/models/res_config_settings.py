from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = 'res.config.settings'

    account_escalation_sla_low = fields.Float(
        related='company_id.account_escalation_sla_low')
    account_escalation_sla_normal = fields.Float(
        related='company_id.account_escalation_sla_normal')
    account_escalation_sla_high = fields.Float(
        related='company_id.account_escalation_sla_high')
    account_escalation_sla_critical = fields.Float(
        related='company_id.account_escalation_sla_critical')
    account_manager_strict_capacity = fields.Boolean(
        related='company_id.account_manager_strict_capacity')
