from odoo import _, api, fields, models

# The context key under which the addon's own code hands write() an
# ``AssignmentChange``. Only an instance of that class counts: JSON sent by
# a client can carry strings and dicts, never one, so a context sent over
# RPC cannot decide an origin, a reason, a date or the acting user.
CHANGE_KEY = 'account_manager_change'

ORIGINS = [
    ('manual', 'Manual'),
    ('reassign', 'Reassignment'),
    ('territory', 'Territory'),
    ('escalation', 'Escalation'),
    ('import', 'Import'),
]


class AssignmentChange(object):
    """How a change of account manager is recorded in the history."""
    __slots__ = ('origin', 'reason', 'date', 'reassignment_id', 'user_id', 'skip_reach_check')

    def __init__(self, origin='manual', reason=None, date=None, reassignment_id=None,
                 user_id=None, skip_reach_check=False):
        self.origin = origin
        self.reason = reason
        self.date = date
        self.reassignment_id = reassignment_id
        self.user_id = user_id
        # The territory places the account, not the user: a manager may
        # register an account that lands with somebody else.
        self.skip_reach_check = skip_reach_check

    @classmethod
    def from_env(cls, env):
        """The change the addon's code asked for, or a plain manual one."""
        change = env.context.get(CHANGE_KEY)
        return change if isinstance(change, cls) else cls()


class AccountManagerAssignment(models.Model):
    """History of who held an account. Users only read it: lines are written
    by the addon itself (as superuser) and corrected by administrators."""
    _name = 'account.manager.assignment'
    _description = 'Account Manager Assignment'
    _order = 'date_start desc, id desc'
    _rec_name = 'partner_id'

    # auto_join: the access rules test the account's manager and territory
    # through a join instead of materialising partner ids on every search.
    partner_id = fields.Many2one(
        'res.partner', string='Account', required=True, index=True,
        ondelete='cascade', auto_join=True)
    manager_id = fields.Many2one(
        'account.manager', string='Manager', required=True, index=True,
        ondelete='restrict')
    role = fields.Selection(
        [('primary', 'Primary'), ('backup', 'Backup')],
        required=True, default='primary')
    date_start = fields.Datetime(
        required=True, default=fields.Datetime.now, index=True)
    date_end = fields.Datetime(index=True, help="Empty while the assignment is current.")
    is_current = fields.Boolean(compute='_compute_is_current')
    reason = fields.Text()
    origin = fields.Selection(ORIGINS, required=True, default='manual')
    reassignment_id = fields.Many2one(
        'account.manager.reassignment', string='Reassignment', index=True,
        ondelete='set null')
    user_id = fields.Many2one(
        'res.users', string='Changed By', default=lambda self: self.env.uid)
    company_id = fields.Many2one(
        'res.company', index=True,
        default=lambda self: self.env['res.company']._company_default_get(
            'account.manager.assignment'))

    _sql_constraints = [
        ('dates_ordered', 'CHECK(date_end IS NULL OR date_end >= date_start)',
         'An assignment cannot end before it starts.'),
    ]

    @api.model_cr
    def init(self):
        # The database itself guarantees one current primary manager per account.
        self.env.cr.execute("""
            CREATE UNIQUE INDEX IF NOT EXISTS account_manager_assignment_one_open_primary
            ON account_manager_assignment (partner_id)
            WHERE date_end IS NULL AND role = 'primary'
        """)

    @api.depends('date_end')
    def _compute_is_current(self):
        for line in self:
            line.is_current = not line.date_end

    @api.multi
    def name_get(self):
        return [(line.id, _('%s: %s') % (line.partner_id.display_name, line.manager_id.name))
                for line in self]
