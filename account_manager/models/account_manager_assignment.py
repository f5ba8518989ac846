from odoo import _, api, fields, models
from odoo.exceptions import UserError

from .input_check import partner_shortlist

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

    def replace(self, **values):
        """A copy with some values changed."""
        copy = AssignmentChange(**{name: getattr(self, name) for name in self.__slots__})
        for name, value in values.items():
            setattr(copy, name, value)
        return copy

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

    # ------------------------------------------------------------------
    # The one writer of the history
    # ------------------------------------------------------------------

    @api.model
    def _record_changes(self, rows):
        """Close the open primary line of each account of ``rows`` and open
        one for its new manager, in the caller's transaction.

        ``rows`` is a list of (account id, new manager id or False,
        ``AssignmentChange``): every path that changes a manager (the form,
        an import, territory assignment, the bulk reassignment) says here,
        explicitly, how the change is recorded. A fixed number of
        statements whatever the number of rows: one UPDATE per effective
        date (and author) closes the lines, one INSERT … SELECT FROM unnest opens them
        (the lines have no Python constraint, compute or override to run,
        so the ORM's one-by-one ``create`` would buy only queries)."""
        if not rows:
            return
        Bulk = self.env['account.manager.bulk']
        now = fields.Datetime.now()
        closing = {}
        for account_id, _manager_id, change in rows:
            key = (change.date or now, change.user_id or self.env.uid)
            closing.setdefault(key, []).append(account_id)
        for (date, user_id), account_ids in sorted(closing.items()):
            Bulk._close_history(account_ids, date, user_id, now)
        self.invalidate_cache(fnames=['date_end', 'write_uid', 'write_date'])
        opened = [row for row in rows if row[1]]
        if opened:
            Bulk._insert_rows(self._name, self._prepare_lines(opened, now), len(opened))

    @api.model
    def _prepare_lines(self, rows, now):
        """Column values of the lines ``rows`` open, one list per column."""
        manager_ids = list({row[1] for row in rows})
        company_of = dict(self.env['account.manager'].sudo().with_context(
            active_test=False).browse(manager_ids).mapped(lambda m: (m.id, m.company_id.id)))
        user_ids = [row[2].user_id or self.env.uid for row in rows]
        return {
            'partner_id': [row[0] for row in rows],
            'manager_id': [row[1] for row in rows],
            'role': 'primary',
            'date_start': [row[2].date or now for row in rows],
            'origin': [row[2].origin or 'manual' for row in rows],
            'reason': [row[2].reason or None for row in rows],
            'reassignment_id': [row[2].reassignment_id or None for row in rows],
            'user_id': user_ids,
            'company_id': [company_of.get(row[1]) or None for row in rows],
            'create_uid': user_ids,
            'create_date': now,
            'write_uid': user_ids,
            'write_date': now,
        }

    @api.model
    def _check_change_date(self, account_ids, date):
        """A handover cannot take effect before the current holder got the
        account: the history would overlap (and the database refuses a line
        that ends before it starts)."""
        if not account_ids:
            return
        wrong = self.sudo().search([
            ('partner_id', 'in', list(account_ids)), ('role', '=', 'primary'),
            ('date_end', '=', False), ('date_start', '>', date),
        ]).mapped('partner_id')
        if wrong:
            raise UserError(_(
                "The change cannot take effect on %s: these accounts got "
                "their current manager later than that:\n%s\nChoose a later "
                "effective date.") % (date, partner_shortlist(wrong)))
