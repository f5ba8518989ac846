from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError

from ..models.account_escalation import OPEN_STATES, SEVERITIES
from ..models.input_check import InputCheck


class AccountEscalationWizard(InputCheck, models.TransientModel):
    _name = 'account.escalation.wizard'
    _description = 'Escalate a Customer Concern'

    partner_id = fields.Many2one(
        'res.partner', string='Account',
        domain=['|', ('is_company', '=', True), ('parent_id', '=', False)])
    escalation_id = fields.Many2one(
        'account.escalation', string='Escalation', readonly=True)
    subject = fields.Char()
    description = fields.Text(
        help="What the customer needs, or why it must go further up.")
    severity = fields.Selection(SEVERITIES, required=True, default='normal')
    target_manager_id = fields.Many2one(
        'account.manager', string='Escalate To',
        help="Leave empty to escalate to the next manager up the hierarchy. "
             "A manager chosen here must be of a higher tier than the "
             "current holder (or than the account manager).")
    holder_id = fields.Many2one(
        'account.manager', compute='_compute_routing', string='Currently With')
    holder_level = fields.Integer(compute='_compute_routing')
    proposed_manager_id = fields.Many2one(
        'account.manager', compute='_compute_routing', string='Next Up',
        help="Who receives the escalation when no manager is chosen.")
    deadline = fields.Datetime(
        compute='_compute_deadline', string='Deadline',
        help="From the company's response time for this severity.")

    @api.model
    def default_get(self, fields_list):
        res = super(AccountEscalationWizard, self).default_get(fields_list)
        ctx = self.env.context
        model = ctx.get('active_model')
        ids = self._context_active_ids()
        if model not in ('res.partner', 'account.escalation') or not ids:
            return res
        if len(ids) > 1:
            raise UserError(_("Escalate one account or escalation at a time."))
        if model == 'res.partner':
            partner = self.env['res.partner'].browse(ids)
            res['partner_id'] = partner.commercial_partner_id.id
        else:
            escalation = self.env['account.escalation'].browse(ids)
            res.update({
                'escalation_id': escalation.id,
                'partner_id': escalation.partner_id.id,
                'subject': escalation.subject,
                'severity': escalation.severity,
            })
        return res

    @api.depends('partner_id', 'escalation_id')
    def _compute_routing(self):
        for wizard in self:
            if not wizard._is_in_reach():
                # Nothing about an account or escalation out of the user's
                # reach: Escalate refuses it, and the preview says nothing.
                wizard.update({'holder_id': False, 'holder_level': 0,
                               'proposed_manager_id': False})
                continue
            holder = wizard._get_reference_manager()
            wizard.holder_id = holder
            wizard.holder_level = holder.tier_level
            escalation = wizard.escalation_id.sudo() or self.env['account.escalation']
            wizard.proposed_manager_id = escalation._get_escalation_target(
                wizard._get_walk_start())

    @api.depends('severity', 'partner_id', 'escalation_id')
    def _compute_deadline(self):
        Escalation = self.env['account.escalation']
        now = fields.Datetime.now()
        for wizard in self:
            wizard.deadline = Escalation._get_sla_deadline(
                now, wizard.severity, wizard._get_company())

    @api.multi
    def action_escalate(self):
        self._ensure_one_record()
        if self.escalation_id:
            escalation = self._escalate_further()
            escalation.invalidate_cache()
            if not escalation.search([('id', '=', escalation.id)]):
                # Passed on out of the user's sight (record rules): back to
                # the list rather than reloading a form they cannot read.
                return self.env.ref('account_manager.account_escalation_action').read()[0]
            return {'type': 'ir.actions.act_window_close'}
        escalation = self._escalate_new()
        return {
            'type': 'ir.actions.act_window',
            'res_model': 'account.escalation',
            'res_id': escalation.id,
            'view_mode': 'form',
            'target': 'current',
        }

    def _is_in_reach(self):
        """Whether the user may read the wizard's account (or escalation)."""
        self.ensure_one()
        if self.escalation_id:
            model, record_id = 'account.escalation', self.escalation_id.id
        else:
            model, record_id = 'res.partner', self.partner_id.sudo().commercial_partner_id.id
        if not isinstance(record_id, int):
            return True
        return bool(self.env[model].with_context(active_test=False).search_count(
            [('id', '=', record_id)]))

    def _escalate_new(self):
        partner = self.partner_id.commercial_partner_id
        if not partner:
            raise UserError(_("Choose the account the concern is about."))
        if not (self.subject or '').strip():
            raise UserError(_("Give the escalation on %s a subject.") % partner.display_name)
        Escalation = self.env['account.escalation']
        if not Escalation.check_access_rights('create', raise_exception=False):
            raise AccessError(_(
                "Only account managers can raise escalations: ask the "
                "manager of %s to escalate it.") % partner.display_name)
        try:
            partner.check_access_rule('read')
        except AccessError:
            raise AccessError(_(
                "You cannot escalate a concern on %s: the account is out of "
                "your reach.") % partner.display_name) from None
        origin = partner.sudo().account_manager_id
        target = self._get_target()
        escalation = Escalation.with_context(
            mail_create_nolog=True, mail_notrack=True).create(
            self._prepare_escalation_vals(partner, origin))
        escalation.sudo()._escalate(
            {escalation.id: target}, author=self.env.user.partner_id,
            reason=self._hop_reason(_("raised by %s")))
        return escalation

    def _escalate_further(self):
        escalation = self.escalation_id
        escalation._check_state(OPEN_STATES, _("escalated further"))
        escalation._check_holder_rights(_("escalate further"))
        target = self._get_target()
        if self.severity and self.severity != escalation.severity:
            escalation.sudo().write({'severity': self.severity})
        escalation.sudo()._escalate(
            {escalation.id: target}, author=self.env.user.partner_id,
            reason=self._hop_reason(_("escalated further by %s")))
        return escalation

    def _prepare_escalation_vals(self, partner, origin):
        return {
            'partner_id': partner.id,
            'subject': self.subject,
            'description': self.description,
            'severity': self.severity,
            'raised_by_id': self.env.uid,
            'origin_manager_id': origin.id,
            'company_id': self._get_company().id,
        }

    def _hop_reason(self, template):
        reason = template % self.env.user.name
        if self.escalation_id and self.description:
            reason = '%s: %s' % (reason, self.description)
        return reason

    def _get_company(self):
        if self.escalation_id.company_id:
            return self.escalation_id.company_id
        return (self.partner_id.commercial_partner_id.sudo().account_manager_id.company_id
                or self.env.user.company_id)

    def _get_reference_manager(self):
        """Whom the target must rank above: the current holder, or for a new
        escalation the account's manager."""
        if self.escalation_id:
            return self.escalation_id.sudo().manager_id
        return self.partner_id.commercial_partner_id.sudo().account_manager_id

    def _get_walk_start(self):
        """Where the walk up the hierarchy starts: from the reference
        manager, or from the acting user when they stand at or above it in
        the hierarchy — escalating means going above whoever escalates."""
        reference = self._get_reference_manager()
        if not reference:
            return reference
        Escalation = self.env['account.escalation']
        acting = Escalation._get_acting_manager(reference.company_id)
        if Escalation._is_at_or_above(acting, reference):
            return self.env['account.manager'].browse(acting.id)
        return reference

    def _get_target(self):
        if self.target_manager_id:
            self._check_chosen_target()
            return self.target_manager_id
        target = self.proposed_manager_id
        if target:
            return target
        what = self.escalation_id.display_name or self.partner_id.display_name
        start = self._get_walk_start()
        if not start:
            raise UserError(_(
                "%s has no account manager, so there is nobody to escalate to "
                "automatically. Choose the manager to escalate to, or assign "
                "the account a manager first.") % self.partner_id.display_name)
        raise UserError(_(
            "Nobody is available above %s (%s) to escalate %s to: this is "
            "the top of the hierarchy. Choose a manager to escalate to, or "
            "handle the concern here.") % (start.name, start.tier_id.name, what))

    def _check_chosen_target(self):
        target = self.target_manager_id.sudo()
        reference = self._get_reference_manager()
        if not target.active:
            raise UserError(_("%s is archived and cannot receive escalations.")
                            % target.name)
        if target.absent:
            raise UserError(_(
                "%s is marked absent. Choose their backup (%s) or another "
                "manager.") % (target.name, target.backup_manager_id.name or _("none set")))
        company = self._get_company()
        if company and target.company_id != company:
            raise UserError(_("%s belongs to %s, not to %s.") % (
                target.name, target.company_id.name, company.name))
        if reference and target.tier_level <= reference.tier_level:
            raise UserError(_(
                "%s (%s) is not of a higher tier than %s (%s): an escalation "
                "only goes up. Choose a manager above %s.") % (
                target.name, target.tier_id.name, reference.name,
                reference.tier_id.name, reference.tier_id.name))
