from odoo import SUPERUSER_ID, _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.osv import expression

from .account_manager_assignment import CHANGE_KEY, AssignmentChange
from .input_check import partner_shortlist

# An account is a commercial partner: a company, or a person with no parent.
ACCOUNT_DOMAIN = ['|', ('is_company', '=', True), ('parent_id', '=', False)]

# Odoo's own salesperson write, without turning it into a change of manager:
# for the benchmarks' baseline and data fixes in Python. A sentinel object in
# the context, which no client can send.
SALESPERSON_AS_IS_KEY = 'account_manager_salesperson_as_is'
SALESPERSON_AS_IS = object()

# Fields owned by the account and mirrored on its contacts.
ACCOUNT_COMMERCIAL_FIELDS = [
    'account_manager_id', 'territory_id', 'required_tier_id', 'territory_locked',
]


class ResPartner(models.Model):
    _inherit = 'res.partner'  # pylint: disable=consider-merging-classes-inherited

    account_manager_id = fields.Many2one(
        'account.manager', string='Account Manager', index=True,
        ondelete='restrict', track_visibility='onchange',
        help="The account's single point of contact, accountable for it.")
    account_manager_user_id = fields.Many2one(
        'res.users', related='account_manager_id.user_id', store=True,
        readonly=True, index=True, string='Account Manager User')
    account_manager_tier_id = fields.Many2one(
        'account.manager.tier', related='account_manager_id.tier_id',
        store=True, readonly=True, index=True, string='Manager Tier')
    required_tier_id = fields.Many2one(
        'account.manager.tier', string='Required Tier', index=True,
        ondelete='restrict', track_visibility='onchange',
        help="The lowest manager tier allowed to hold this account.")
    territory_id = fields.Many2one(
        'account.territory', string='Territory', index=True,
        ondelete='restrict', track_visibility='onchange')
    territory_locked = fields.Boolean(
        string='Territory Locked',
        help="A manual choice of territory and manager that automatic "
             "assignment and realignment leave alone.")
    account_parent_id = fields.Many2one(
        'res.partner', string='Group Account', index=True, ondelete='set null',
        domain=ACCOUNT_DOMAIN,
        help="The group or global account this account belongs to.")
    account_child_ids = fields.One2many(
        'res.partner', 'account_parent_id', string='Subsidiaries')
    assignment_ids = fields.One2many(
        'account.manager.assignment', 'partner_id', string='Manager History')
    escalation_ids = fields.One2many(
        'account.escalation', 'partner_id', string='Escalations')
    open_escalation_count = fields.Integer(compute='_compute_open_escalation_count')
    is_account = fields.Boolean(
        compute='_compute_is_account', search='_search_is_account', string='Is an Account',
        help="A customer account: a commercial partner (a company, or a person "
             "without a parent) that has an account manager, or a customer that "
             "is neither a user's own partner nor a company's.")
    account_in_my_team = fields.Boolean(
        compute='_compute_account_in_my_team', search='_search_account_in_my_team',
        string="In My Team",
        help="Held by the current user or by a manager below them.")
    account_tier_gap = fields.Boolean(
        compute='_compute_account_tier_gap', search='_search_account_tier_gap',
        string='Tier Below Required',
        help="The account requires a tier and has no manager reaching it.")

    def _compute_open_escalation_count(self):
        accounts = self.mapped('commercial_partner_id')
        data = self.env['account.escalation'].read_group(
            [('partner_id', 'in', accounts.ids),
             ('state', 'in', ('open', 'acknowledged'))],
            ['partner_id'], ['partner_id'])
        counts = {d['partner_id'][0]: d['partner_id_count'] for d in data}
        for partner in self:
            partner.open_escalation_count = counts.get(partner.commercial_partner_id.id, 0)

    def _compute_is_account(self):
        saved = self.filtered(lambda p: isinstance(p.id, int))
        accounts = self.search([('id', 'in', saved.ids), ('is_account', '=', True)])
        for partner in self:
            partner.is_account = partner in accounts

    def _search_is_account(self, operator, value):
        company_partners = self.env['res.company'].sudo().search([]).mapped('partner_id')
        domain = expression.AND([ACCOUNT_DOMAIN, [
            '|', ('account_manager_id', '!=', False),
            '&', '&', ('customer', '=', True), ('user_ids', '=', False),
            ('id', 'not in', company_partners.ids)]])
        return domain if (operator == '=') == bool(value) else ['!'] + domain

    def _compute_account_in_my_team(self):
        my_team = self.search([('id', 'in', self.ids), ('account_in_my_team', '=', True)])
        for partner in self:
            partner.account_in_my_team = partner in my_team

    def _search_account_in_my_team(self, operator, value):
        managers = self.env['account.manager'].sudo().search(
            [('user_id', '=', self.env.uid)])
        positive = (operator == '=') == bool(value)
        if not managers:
            return [('id', '=', 0)] if positive else []
        domain = [('account_manager_id', 'child_of', managers.ids)]
        return domain if positive else ['!'] + domain

    def _compute_account_tier_gap(self):
        for partner in self:
            required = partner.required_tier_id
            partner.account_tier_gap = bool(required) and (
                partner.account_manager_tier_id.level or 0) < required.level

    def _search_account_tier_gap(self, operator, value):
        # Per required tier (a handful): the manager's tier is lower, or none.
        tiers = self.env['account.manager.tier'].sudo().with_context(
            active_test=False).search([])
        gaps = [expression.AND([
            [('required_tier_id', '=', tier.id)],
            expression.OR([[('account_manager_tier_id', '=', False)],
                           [('account_manager_tier_id.level', '<', tier.level)]]),
        ]) for tier in tiers]
        domain = expression.OR(gaps) if gaps else [('id', '=', 0)]
        if (operator == '=') == bool(value):
            return domain
        return ['!'] + expression.normalize_domain(domain)

    @api.constrains('account_manager_id', 'required_tier_id')
    def _check_required_tier(self):
        """An account's manager must reach the tier it requires; name every
        offender so the user can fix the whole batch at once. Read as
        superuser: the manager's tier is a fact, whoever looks."""
        wrong = self.sudo().filtered(
            lambda p: p._is_account() and p.account_manager_id and p.required_tier_id
            and p.account_manager_id.tier_id.level < p.required_tier_id.level)
        if wrong:
            raise ValidationError(_(
                "These accounts require a higher manager tier than their "
                "manager has:\n%s") % '\n'.join(
                _("- %s requires %s; %s is %s") % (
                    p.display_name, p.required_tier_id.name,
                    p.account_manager_id.name, p.account_manager_id.tier_id.name)
                for p in wrong[:20]) + (
                _("\n… and %d more") % (len(wrong) - 20) if len(wrong) > 20 else ''))

    @api.constrains('account_parent_id')
    def _check_account_parent(self):
        if not self._check_recursion(parent='account_parent_id'):
            raise ValidationError(_(
                "A group account cannot belong to itself or to one of its own "
                "subsidiaries: %s") % ', '.join(self.mapped('display_name')))
        wrong = self.filtered(
            lambda p: p.account_parent_id and not p.account_parent_id._is_account())
        if wrong:
            raise ValidationError(_(
                "A group account must be a company or an individual, not a "
                "contact person: %s") % ', '.join(
                '%s → %s' % (p.display_name, p.account_parent_id.display_name)
                for p in wrong))

    @api.model
    def _commercial_fields(self):
        return super(ResPartner, self)._commercial_fields() + ACCOUNT_COMMERCIAL_FIELDS

    @api.model
    def _get_account_ids(self, partner_ids):
        """The accounts (commercial partners) of ``partner_ids`` (a contact
        stands for its account), in id order: one query rather than an ORM
        read of every selected partner (a selection can be 100,000 rows)."""
        return self.env['account.manager.bulk']._account_ids(partner_ids)

    def _is_account(self):
        self.ensure_one()
        return self.is_company or not self.parent_id

    @api.model
    def create(self, vals):
        self._check_manager_in_reach(vals.get('account_manager_id'))
        partner = super(ResPartner, self).create(self._with_salesperson(vals))
        if partner.account_manager_id and partner._is_account():
            partner._record_manager_change()
        return partner

    @api.multi
    def write(self, vals):
        changed = self.browse()
        if 'account_manager_id' in vals:
            new_manager_id = vals['account_manager_id'] or False
            changed = self.filtered(
                lambda p: p._is_account() and p.account_manager_id.id != new_manager_id)
            changed._check_manager_in_reach(new_manager_id)
            vals = self._with_salesperson(vals)
        elif 'user_id' in vals and \
                self.env.context.get(SALESPERSON_AS_IS_KEY) is not SALESPERSON_AS_IS:
            plain, moves = self._plan_salesperson_write(vals)
            if moves:
                if plain:
                    super(ResPartner, plain).write(vals)
                for partners, manager_vals in moves:
                    partners.write(manager_vals)
                return True
        res = super(ResPartner, self).write(vals)
        if set(ACCOUNT_COMMERCIAL_FIELDS) & set(vals):
            self._check_contacts_follow_account()
        if changed:
            changed._record_manager_change()
        return res

    # ------------------------------------------------------------------
    # The salesperson is the account manager's user
    # ------------------------------------------------------------------

    @api.model
    def _with_salesperson(self, vals):
        """``vals`` giving a manager also give its user as the salesperson
        (``user_id``): Sales, CRM and Invoicing take the partner's
        salesperson for new documents. Removing the manager leaves the
        salesperson as it was."""
        manager_id = vals.get('account_manager_id')
        if not manager_id:
            return vals
        manager = self.env['account.manager'].sudo().browse(manager_id)
        return dict(vals, user_id=manager.user_id.id)

    @api.multi
    def _plan_salesperson_write(self, vals):
        """A change of salesperson on a managed account is a change of its
        account manager (with its history and every check of one) when the
        new salesperson is an account manager; otherwise it is refused,
        saying how to do it. Partners without a manager take it as is.

        Returns (the partners to write as asked, [(partners, the values with
        their new manager instead of the salesperson)])."""
        user_id = vals['user_id'] or False
        if isinstance(user_id, models.BaseModel):
            user_id = user_id.id
        holder = {partner.id: partner.commercial_partner_id.account_manager_id
                  for partner in self.sudo()}
        differs = self.filtered(
            lambda p: holder[p.id] and holder[p.id].user_id.id != user_id)
        if not differs:
            return self, []
        if not user_id:
            raise UserError(_(
                "The salesperson of a managed account is its account manager: "
                "remove or change the account manager instead (Account "
                "Management tab):\n%s") % partner_shortlist(differs))
        contacts = differs.filtered(lambda p: not p._is_account())
        if contacts:
            raise UserError(_(
                "The salesperson of a managed account's contacts is its account "
                "manager. Change the account manager of the account instead "
                "(Account Management tab):\n%s") % partner_shortlist(contacts))
        Manager = self.env['account.manager'].sudo()
        managers = Manager.search([('user_id', '=', user_id)])
        by_company = {manager.company_id.id: manager for manager in managers}
        rest = dict(vals)
        del rest['user_id']
        groups = {}
        for partner in differs:
            manager = by_company.get(partner.sudo().company_id.id) or (
                managers[0] if len(managers) == 1 else Manager)
            if not manager:
                user = self.env['res.users'].sudo().browse(user_id)
                raise UserError(_(
                    "%s is not an account manager of %s's company: the "
                    "salesperson of a managed account is its account manager. "
                    "Change the account manager (Account Management tab), or "
                    "make %s an account manager first.") % (
                    user.name, partner.display_name, user.name))
            groups.setdefault(manager, self.browse())
            groups[manager] |= partner
        return self - differs, [(partners, dict(rest, account_manager_id=manager.id))
                                for manager, partners in groups.items()]

    @api.model_cr
    def init(self):
        res = super(ResPartner, self).init()
        # The read rule lets restricted users read the partners they created.
        self.env.cr.execute("""
            CREATE INDEX IF NOT EXISTS res_partner_create_uid_index
            ON res_partner (create_uid)
        """)
        return res

    @api.multi
    def unlink(self):
        """History is never lost: an account with manager history or
        escalations is archived, not deleted, except by an account
        administrator (a deliberate correction, an erasure request)."""
        self.check_access_rights('unlink')
        self.check_access_rule('unlink')
        if self.ids and not (self.env.uid == SUPERUSER_ID or self.env.user.has_group(
                'account_manager.group_account_admin')):
            kept = self.env['account.manager.assignment'].sudo().search(
                [('partner_id', 'in', self.ids)]).mapped('partner_id') \
                | self.env['account.escalation'].sudo().with_context(active_test=False).search(
                    [('partner_id', 'in', self.ids)]).mapped('partner_id')
            kept = self.browse(kept.ids)
            if kept:
                raise UserError(_(
                    "These accounts have a manager history or escalations, "
                    "which are kept: archive them instead of deleting them "
                    "(Action › Archive).\n%s") % partner_shortlist(kept))
        return super(ResPartner, self).unlink()

    def _check_manager_in_reach(self, manager_id):
        """A restricted user may give accounts only to a manager within
        their reach (``res.users._account_manager_check_give``). Territory
        assignment, which places a new account by its address, is not the
        user's choice and is left alone."""
        if isinstance(manager_id, models.BaseModel):
            manager_id = manager_id.id
        if AssignmentChange.from_env(self.env).skip_reach_check:
            return
        self.env.user._account_manager_check_give(manager_id, self)

    @api.multi
    def _write_account_manager(self, manager, origin='manual', reason=None, date=None,
                               reassignment=None, user=None, skip_reach_check=False,
                               extra_vals=None):
        """Give these accounts ``manager`` (a record or False) with the
        history's origin, reason, effective date and reassignment said
        explicitly: the way the addon's own paths (territory assignment,
        adoption, import) change a manager. ``user`` is whom the history
        names when the write runs as superuser on their behalf."""
        change = AssignmentChange(
            origin=origin, reason=reason, date=date,
            reassignment_id=reassignment.id if reassignment else None,
            user_id=user.id if user else None, skip_reach_check=skip_reach_check)
        vals = dict(extra_vals or {}, account_manager_id=manager.id if manager else False)
        return self.with_context(**{CHANGE_KEY: change}).write(vals)

    @api.model
    def load(self, fields, data):
        """The web client's import: manager changes it makes are recorded
        with origin ``import``."""
        change = AssignmentChange(origin='import', reason=_('Imported'))
        return super(ResPartner, self.with_context(**{CHANGE_KEY: change})).load(fields, data)

    def _check_contacts_follow_account(self):
        """Contacts mirror their account: a direct change on a contact would
        silently diverge, so it is refused."""
        diverging = self.filtered(
            lambda p: not p._is_account() and any(
                p[f] != p.commercial_partner_id[f] for f in ACCOUNT_COMMERCIAL_FIELDS))
        if diverging:
            raise UserError(_(
                "The account manager, territory and required tier of a contact "
                "are those of its account. Change them on the account "
                "instead:\n%s") % '\n'.join(
                '- %s (account: %s)' % (p.display_name, p.commercial_partner_id.display_name)
                for p in diverging[:20]))

    def _record_manager_change(self):
        """Record the change of manager of the accounts in ``self`` in their
        history (``account.manager.assignment._record_changes``), as the
        ``AssignmentChange`` the addon's own code passed says (see
        ``_write_account_manager``); anything else is a manual change, now,
        by the current user."""
        if not self:
            return
        change = AssignmentChange.from_env(self.env)
        change = change.replace(
            date=change.date or fields.Datetime.now(),
            # Only code running as superuser on a user's behalf names
            # somebody else as the author of the change.
            user_id=change.user_id if self.env.uid == SUPERUSER_ID else self.env.uid)
        Assignment = self.env['account.manager.assignment'].sudo()
        Assignment._check_change_date(self.ids, change.date)
        Assignment._record_changes(
            [(partner.id, partner.account_manager_id.id, change) for partner in self])
        incoming = {}
        for partner in self.filtered('account_manager_id'):
            incoming.setdefault(partner.account_manager_id.id, self.browse())
            incoming[partner.account_manager_id.id] |= partner
        self.env['account.manager'].browse(list(incoming))._check_strict_capacity(incoming)

    @api.multi
    def action_view_escalations(self):
        self._ensure_one_record()
        action = self.env.ref('account_manager.account_escalation_action').read()[0]
        action['domain'] = [('partner_id', '=', self.commercial_partner_id.id)]
        action['context'] = {'default_partner_id': self.commercial_partner_id.id}
        return action

    @api.multi
    def action_view_assignments(self):
        self._ensure_one_record()
        action = self.env.ref('account_manager.account_manager_assignment_action').read()[0]
        action['domain'] = [('partner_id', '=', self.commercial_partner_id.id)]
        return action

