from odoo import api, fields, models


class AccountManagerReassignment(models.Model):
    """One bulk handover: the audit trail of who moved what, when and why."""
    _name = 'account.manager.reassignment'
    _description = 'Account Reassignment'
    _inherit = ['mail.thread']
    _order = 'date desc, id desc'

    name = fields.Char(required=True, readonly=True, default='/', copy=False)
    from_manager_id = fields.Many2one(
        'account.manager', string='From Manager', index=True, readonly=True,
        ondelete='set null')
    to_manager_id = fields.Many2one(
        'account.manager', string='To Manager', index=True, readonly=True,
        ondelete='restrict')
    reason = fields.Text(readonly=True)
    account_count = fields.Integer(string='Accounts', readonly=True)
    contact_count = fields.Integer(string='Contacts', readonly=True)
    state = fields.Selection([
        ('draft', 'Draft'),
        ('queued', 'Queued'),
        ('running', 'Running'),
        ('done', 'Done'),
        ('failed', 'Failed'),
    ], default='draft', required=True, readonly=True, index=True,
        track_visibility='onchange')
    user_id = fields.Many2one(
        'res.users', string='Done By', readonly=True,
        default=lambda self: self.env.uid)
    date = fields.Datetime(readonly=True, default=fields.Datetime.now, index=True)
    assignment_ids = fields.One2many(
        'account.manager.assignment', 'reassignment_id', string='History Lines',
        readonly=True)
    company_id = fields.Many2one(
        'res.company', index=True, readonly=True,
        default=lambda self: self.env['res.company']._company_default_get(
            'account.manager.reassignment'))

    @api.model
    def create(self, vals):
        if vals.get('name', '/') == '/':
            vals['name'] = self.env['ir.sequence'].next_by_code(
                'account.manager.reassignment') or '/'
        return super(AccountManagerReassignment, self).create(vals)

    @api.multi
    def action_view_accounts(self):
        self.ensure_one()
        action = self.env.ref('account_manager.res_partner_account_action').read()[0]
        action['domain'] = [('assignment_ids.reassignment_id', '=', self.id)]
        action['context'] = {}
        return action
