from odoo import api, fields, models

SEVERITIES = [
    ('low', 'Low'),
    ('normal', 'Normal'),
    ('high', 'High'),
    ('critical', 'Critical'),
]


class AccountEscalation(models.Model):
    _name = 'account.escalation'
    _description = 'Account Escalation'
    _inherit = ['mail.thread', 'mail.activity.mixin']
    _order = 'id desc'

    name = fields.Char(required=True, readonly=True, default='/', copy=False)
    # auto_join: the access rules test the account's manager and territory
    # through a join instead of materialising partner ids on every search.
    partner_id = fields.Many2one(
        'res.partner', string='Account', required=True, index=True,
        ondelete='cascade', auto_join=True, track_visibility='onchange')
    subject = fields.Char(required=True, track_visibility='onchange')
    description = fields.Text()
    severity = fields.Selection(
        SEVERITIES, required=True, default='normal', index=True,
        track_visibility='onchange')
    raised_by_id = fields.Many2one(
        'res.users', string='Raised By', index=True, ondelete='set null',
        default=lambda self: self.env.uid)
    origin_manager_id = fields.Many2one(
        'account.manager', string='Account Manager at the Time', index=True,
        ondelete='set null')
    manager_id = fields.Many2one(
        'account.manager', string='Current Holder', index=True,
        ondelete='restrict', track_visibility='onchange')
    state = fields.Selection([
        ('open', 'Open'),
        ('acknowledged', 'Acknowledged'),
        ('resolved', 'Resolved'),
        ('cancelled', 'Cancelled'),
    ], default='open', required=True, index=True, track_visibility='onchange')
    deadline = fields.Datetime(index=True, track_visibility='onchange')
    hop_count = fields.Integer(string='Hops', readonly=True)
    date_acknowledged = fields.Datetime(readonly=True)
    date_resolved = fields.Datetime(readonly=True)
    resolution = fields.Text()
    resolution_hours = fields.Float(readonly=True, group_operator='avg')
    company_id = fields.Many2one(
        'res.company', index=True,
        default=lambda self: self.env['res.company']._company_default_get(
            'account.escalation'))

    @api.model
    def create(self, vals):
        if vals.get('name', '/') == '/':
            vals['name'] = self.env['ir.sequence'].next_by_code(
                'account.escalation') or '/'
        return super(AccountEscalation, self).create(vals)
