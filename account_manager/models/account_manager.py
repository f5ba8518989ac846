from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from .res_partner import ACCOUNT_DOMAIN


class AccountManager(models.Model):
    _name = 'account.manager'
    _description = 'Account Manager'
    _inherit = ['mail.thread', 'mail.activity.mixin']
    _order = 'name, id'
    _parent_store = True
    _parent_order = 'name'

    user_id = fields.Many2one(
        'res.users', string='User', required=True, index=True,
        ondelete='restrict', track_visibility='onchange')
    name = fields.Char(related='user_id.name', store=True, readonly=True)
    partner_id = fields.Many2one(
        'res.partner', related='user_id.partner_id', readonly=True,
        string='Contact')
    image_small = fields.Binary(related='user_id.image_small', readonly=True)
    tier_id = fields.Many2one(
        'account.manager.tier', string='Tier', required=True, index=True,
        ondelete='restrict', track_visibility='onchange')
    tier_level = fields.Integer(related='tier_id.level', store=True, readonly=True)
    parent_id = fields.Many2one(
        'account.manager', string='Reports To', index=True,
        ondelete='restrict', track_visibility='onchange')
    child_ids = fields.One2many('account.manager', 'parent_id', string='Direct Reports')
    parent_left = fields.Integer(index=True)
    parent_right = fields.Integer(index=True)
    territory_ids = fields.One2many(
        'account.territory', 'manager_id', string='Territories')
    account_ids = fields.One2many(
        'res.partner', 'account_manager_id', string='Accounts',
        domain=ACCOUNT_DOMAIN)
    account_count = fields.Integer(compute='_compute_account_count')
    team_account_count = fields.Integer(
        compute='_compute_account_count',
        help="Accounts held by this manager and everybody below them.")
    capacity = fields.Integer(
        help="How many accounts this manager can hold; 0 means unlimited. "
             "Starts from the tier's default capacity.",
        track_visibility='onchange')
    load = fields.Float(
        compute='_compute_account_count', string='Load (%)',
        help="Accounts held as a percentage of capacity.")
    absent = fields.Boolean(
        track_visibility='onchange',
        help="Away: escalations that would reach this manager go to the "
             "backup manager instead.")
    backup_manager_id = fields.Many2one(
        'account.manager', string='Backup Manager', index=True,
        ondelete='set null', track_visibility='onchange',
        help="Receives this manager's escalations while they are absent, "
             "and sees their accounts.")
    active = fields.Boolean(default=True, track_visibility='onchange')
    company_id = fields.Many2one(
        'res.company', required=True, index=True,
        default=lambda self: self.env['res.company']._company_default_get('account.manager'))
    color = fields.Integer()

    _sql_constraints = [
        ('user_company_unique', 'unique(user_id, company_id)',
         'A user can be account manager only once per company.'),
        ('capacity_positive', 'CHECK(capacity >= 0)',
         'A capacity cannot be negative (0 means unlimited).'),
    ]

    @api.depends('capacity')
    def _compute_account_count(self):
        # Counted as superuser: a manager's load is a fact of the
        # organisation, the same whoever looks (a team lead with Own
        # Accounts would otherwise read 0 on the managers below them).
        Partner = self.env['res.partner'].sudo()
        data = Partner.read_group(
            [('account_manager_id', 'in', self.ids)] + ACCOUNT_DOMAIN,
            ['account_manager_id'], ['account_manager_id'])
        counts = {d['account_manager_id'][0]: d['account_manager_id_count'] for d in data}
        for manager in self:
            count = counts.get(manager.id, 0)
            manager.account_count = count
            manager.load = 100.0 * count / manager.capacity if manager.capacity else 0.0
            manager.team_account_count = Partner.search_count(
                [('account_manager_id', 'child_of', manager.id)] + ACCOUNT_DOMAIN
            ) if manager.id else 0

    @api.constrains('parent_id', 'tier_id', 'active')
    def _check_parent_tier(self):
        if not self._check_recursion():
            raise ValidationError(_(
                "A manager cannot report to themselves or to someone who "
                "reports to them: %s") % ', '.join(self.mapped('name')))
        errors = []
        for manager in self:
            parent = manager.parent_id
            if parent and parent.tier_id.level <= manager.tier_id.level:
                errors.append(_("%s (%s) cannot report to %s (%s): the manager "
                                "they report to must be of a higher tier.") % (
                    manager.name, manager.tier_id.name, parent.name, parent.tier_id.name))
            if parent and manager.active and not parent.active:
                errors.append(_("%s cannot report to %s, who is archived.") % (
                    manager.name, parent.name))
            for child in manager.child_ids:
                if child.tier_id.level >= manager.tier_id.level:
                    errors.append(_("%s (%s) reports to %s, whose tier (%s) "
                                    "would not be higher.") % (
                        child.name, child.tier_id.name, manager.name, manager.tier_id.name))
        if errors:
            raise ValidationError('\n'.join(errors))

    @api.constrains('backup_manager_id')
    def _check_backup_manager(self):
        wrong = self.filtered(lambda m: m.backup_manager_id == m)
        if wrong:
            raise ValidationError(_("A manager cannot be their own backup: %s")
                                  % ', '.join(wrong.mapped('name')))

    @api.constrains('tier_id')
    def _check_accounts_tier(self):
        self.env['res.partner'].search(
            [('account_manager_id', 'in', self.ids)])._check_required_tier()

    @api.onchange('tier_id')
    def _onchange_tier_id(self):
        if self.tier_id:
            self.capacity = self.tier_id.default_capacity

    @api.model
    def create(self, vals):
        if 'capacity' not in vals and vals.get('tier_id'):
            vals['capacity'] = self.env['account.manager.tier'].browse(
                vals['tier_id']).default_capacity
        manager = super(AccountManager, self).create(vals)
        self._invalidate_access_rules()
        return manager

    @api.multi
    def write(self, vals):
        # Rights first: a refusal for lack of rights must not be preceded by
        # a business message about somebody else's accounts.
        self._check_access('write')
        if vals.get('active') is False:
            self.filtered('active')._check_can_archive()
        res = super(AccountManager, self).write(vals)
        if 'user_id' in vals:
            self.env['account.manager.bulk']._sync_salespersons(self.ids)
        if {'parent_id', 'user_id', 'backup_manager_id', 'active',
                'company_id'} & set(vals):
            self._invalidate_access_rules()
        return res

    @api.multi
    def unlink(self):
        self._check_access('unlink')
        self._check_can_archive()
        res = super(AccountManager, self).unlink()
        self._invalidate_access_rules()
        return res

    def _check_can_archive(self):
        """Accounts and reports must never be left without an accountable
        manager: refuse and say who still depends on the manager."""
        Partner = self.env['res.partner'].sudo()
        problems = []
        for manager in self:
            accounts = Partner.search(
                [('account_manager_id', '=', manager.id)] + ACCOUNT_DOMAIN)
            reports = manager.sudo().child_ids.filtered('active')
            if accounts:
                # Named only where the reader may see them; the rest counted.
                visible = self.env['res.partner'].with_context(active_test=False).search(
                    [('id', 'in', accounts.ids)])
                names = visible.mapped('display_name')
                if len(visible) < len(accounts):
                    names.append(_('%d account(s) outside your access') % (
                        len(accounts) - len(visible)))
                problems.append(_("%s still manages %d account(s): %s") % (
                    manager.name, len(accounts), _shortlist(names)))
            if reports:
                problems.append(_("%s still has active reports: %s") % (
                    manager.name, _shortlist(reports.mapped('name'))))
        if problems:
            raise UserError('\n'.join(problems) + '\n' + _(
                "Reassign the accounts (Reassign accounts…) and give the "
                "reports another manager first."))

    @api.multi
    def _is_capacity_strict(self):
        """Going over capacity is refused, not only warned: the tier says so,
        or the company for all its managers."""
        self.ensure_one()
        manager = self.sudo()
        return bool(manager.tier_id.strict_capacity
                    or manager.company_id.account_manager_strict_capacity)

    @api.multi
    def _check_strict_capacity(self, incoming):
        """Refuse, naming the manager, the capacity and the accounts, when
        one of these managers with a strict capacity now holds more accounts
        than it allows; ``incoming`` is {manager id: accounts just given to
        them}. Called after the write, in its transaction: the refusal rolls
        it back."""
        Partner = self.env['res.partner'].sudo()
        for manager in self.sudo():
            if not manager.capacity or not manager._is_capacity_strict():
                continue
            held = Partner.search_count(
                [('account_manager_id', '=', manager.id)] + ACCOUNT_DOMAIN)
            if held > manager.capacity:
                accounts = incoming[manager.id]
                raise ValidationError(_(
                    "%s can hold %d accounts (a strict capacity) and would hold "
                    "%d: these accounts cannot go to them:\n%s\nChoose another "
                    "manager, or raise the capacity.") % (
                    manager.name, manager.capacity, held,
                    '\n'.join('- %s' % name for name in
                              accounts.sudo().mapped('display_name')[:20])))

    @api.multi
    def _check_access(self, operation):
        self.check_access_rights(operation)
        self.check_access_rule(operation)

    @api.model
    def _invalidate_access_rules(self):
        """Record rules read the hierarchy and are cached per user: drop the
        cache whenever what they read changes."""
        self.env['ir.rule'].clear_caches()

    @api.multi
    def action_view_accounts(self):
        self._ensure_one_record()
        action = self.env.ref('account_manager.res_partner_account_action').read()[0]
        action['domain'] = [('account_manager_id', '=', self.id)] + ACCOUNT_DOMAIN
        action['context'] = {'default_account_manager_id': self.id,
                             'default_is_company': True}
        return action

    @api.multi
    def action_view_team_accounts(self):
        self._ensure_one_record()
        action = self.env.ref('account_manager.res_partner_account_action').read()[0]
        action['domain'] = [('account_manager_id', 'child_of', self.id)] + ACCOUNT_DOMAIN
        return action


def _shortlist(names, limit=10):
    """Join names for a message, without drowning the user in thousands."""
    names = list(names)
    text = ', '.join(names[:limit])
    if len(names) > limit:
        text += _(' and %d more') % (len(names) - limit)
    return text
