from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

SLA_FIELDS = ['account_escalation_sla_%s' % s for s in ('low', 'normal', 'high', 'critical')]


class ResCompany(models.Model):
    _inherit = 'res.company'  # pylint: disable=consider-merging-classes-inherited

    # Response time (hours) an escalation's holder has, per severity.
    account_escalation_sla_low = fields.Float(string='SLA Low (hours)', default=168.0)
    account_escalation_sla_normal = fields.Float(string='SLA Normal (hours)', default=72.0)
    account_escalation_sla_high = fields.Float(string='SLA High (hours)', default=24.0)
    account_escalation_sla_critical = fields.Float(string='SLA Critical (hours)', default=4.0)
    account_manager_strict_capacity = fields.Boolean(
        string='Strict Capacity',
        help="Refuse every assignment that takes a manager over capacity, "
             "whatever their tier says.")

    @api.constrains(*SLA_FIELDS)
    def _check_escalation_sla(self):
        """A response time of zero or less would make every escalation
        overdue the moment it is raised."""
        problems = ['%s: %s = %s' % (company.name, self._fields[name].string, company[name])
                    for company in self for name in SLA_FIELDS if company[name] <= 0]
        if problems:
            raise ValidationError(_(
                "Escalation response times must be more than 0 hours:\n%s")
                % '\n'.join(problems))
