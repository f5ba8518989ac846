from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..models.input_check import InputCheck


class AccountEscalationResolveWizard(InputCheck, models.TransientModel):
    """Resolve an escalation: asks for how it was resolved (as CRM's Mark
    Lost asks for the reason), then resolves it through the escalation's
    own action, with its rights and state checks."""
    _name = 'account.escalation.resolve.wizard'
    _description = 'Resolve an Escalation'

    escalation_id = fields.Many2one('account.escalation', string='Escalation', readonly=True)
    # Required in the dialog; checked (and named) by action_resolve.
    resolution = fields.Text(help="How the concern was resolved.")

    @api.model
    def default_get(self, fields_list):
        res = super(AccountEscalationResolveWizard, self).default_get(fields_list)
        if self.env.context.get('active_model') != 'account.escalation':
            return res
        ids = self._context_active_ids()
        if len(ids) != 1:
            raise UserError(_("Resolve one escalation at a time."))
        escalation = self.env['account.escalation'].browse(ids)
        res['escalation_id'] = escalation.id
        res['resolution'] = escalation.resolution
        return res

    @api.multi
    def action_resolve(self):
        self.ensure_one()
        escalation = self.escalation_id
        if not escalation:
            raise UserError(_("Choose the escalation to resolve."))
        resolution = (self.resolution or '').strip()
        if not resolution:
            raise UserError(_("Write down how %s was resolved.") % escalation.name)
        # The escalation's own checks first (state, holder's rights), so
        # that a refused resolution writes nothing.
        escalation._check_can_resolve()
        escalation.write({'resolution': resolution})
        escalation.action_resolve()
        return {'type': 'ir.actions.act_window_close'}
