from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError

from ..models.account_manager_reassignment import DEFAULT_ASYNC_THRESHOLD
from ..models.input_check import InputCheck
from ..models.res_partner import ACCOUNT_DOMAIN

SOURCES = [
    ('selection', 'Selected Accounts'),
    ('manager', 'Accounts of a Manager'),
    ('territory', 'Accounts of a Territory'),
]


class AccountManagerReassignWizard(InputCheck, models.TransientModel):
    """Hand a set of accounts over to another manager, after a preview.

    The accounts are the selection (Action menu of partners), all accounts of
    a manager (from the manager form) or of a territory and its
    sub-territories (from the territory form); on the last two, the manager
    and the territory also narrow each other down."""
    _name = 'account.manager.reassign.wizard'
    _description = 'Reassign Accounts'

    source = fields.Selection(SOURCES, default='selection', readonly=True)
    partner_ids = fields.Many2many(
        'res.partner', 'account_manager_reassign_wizard_partner_rel',
        'wizard_id', 'partner_id', string='Accounts', domain=ACCOUNT_DOMAIN)
    from_manager_id = fields.Many2one(
        'account.manager', string='From Manager',
        help="Move the accounts this manager holds (in the territory, if one "
             "is given).")
    territory_id = fields.Many2one(
        'account.territory', string='Territory',
        help="Move the accounts of this territory and its sub-territories "
             "(those of the manager, if one is given).")
    to_manager_id = fields.Many2one(
        'account.manager', string='New Manager',
        domain="[('id', 'in', allowed_manager_ids)]")
    allowed_manager_ids = fields.Many2many(
        'account.manager', compute='_compute_allowed_manager_ids',
        help="Technical: the active managers the user may hand accounts to.")
    reason = fields.Text(
        required=True,
        help="Why the accounts change hands: kept in each account's history, "
             "its chatter and the reassignment log.")
    date_effective = fields.Datetime(
        string='Effective Date', required=True, default=fields.Datetime.now,
        help="When the new manager takes over; the history lines start then. "
             "Up to now: a reassignment cannot be scheduled.")
    move_activities = fields.Boolean(
        default=True,
        help="Open activities of the previous managers on these accounts and "
             "their contacts go to the new manager.")
    swap_followers = fields.Boolean(
        default=True,
        help="The previous managers stop following the accounts; the new "
             "manager follows them.")
    notify = fields.Boolean(
        string='Notify Managers', default=True,
        help="Send the previous and the new managers a message about the "
             "handover.")

    # Preview
    account_count = fields.Integer(compute='_compute_preview', string='Accounts to Move')
    contact_count = fields.Integer(compute='_compute_preview', string='Contacts')
    activity_count = fields.Integer(
        compute='_compute_preview', string='Open Activities',
        help="Open activities of the previous managers on these accounts: "
             "they move to the new manager if asked.")
    skipped_ids = fields.Many2many(
        'res.partner', compute='_compute_preview', string='Already Theirs')
    skipped_count = fields.Integer(compute='_compute_preview', string='Skipped')
    tier_violation_ids = fields.Many2many(
        'res.partner', compute='_compute_preview', string='Tier Too Low For')
    tier_violation_count = fields.Integer(compute='_compute_preview')
    hidden_count = fields.Integer(
        compute='_compute_preview', string='Outside Your Access',
        help="Accounts of this manager or territory that you cannot see: "
             "the reassignment will be refused.")
    target_account_count = fields.Integer(
        compute='_compute_preview', string='Accounts Held Now')
    target_account_count_after = fields.Integer(
        compute='_compute_preview', string='Accounts Held After')
    target_capacity = fields.Integer(compute='_compute_preview', string='Capacity')
    target_load_before = fields.Float(compute='_compute_preview', string='Load Now (%)')
    target_load_after = fields.Float(compute='_compute_preview', string='Load After (%)')
    over_capacity = fields.Boolean(compute='_compute_preview')
    strict_capacity = fields.Boolean(compute='_compute_preview')
    run_in_background = fields.Boolean(
        compute='_compute_preview',
        help="Many accounts: the move is checked now and carried out by "
             "background jobs, in batches, with its progress on the reassignment.")

    def _compute_allowed_manager_ids(self):
        allowed = self._get_allowed_managers()
        for wizard in self:
            wizard.allowed_manager_ids = allowed

    @api.model
    def _get_allowed_managers(self):
        team = self.env.user._account_manager_reassign_team()
        Manager = self.env['account.manager']
        return Manager.browse(team.filtered('active').ids) if team is not None \
            else Manager.search([('active', '=', True)])

    @api.depends('partner_ids', 'from_manager_id', 'territory_id', 'to_manager_id')
    def _compute_preview(self):
        Reassignment = self.env['account.manager.reassignment']
        Partner = self.env['res.partner']
        threshold = self._get_async_threshold()
        # The preview's figures are for those who may reassign, about
        # accounts and a manager in their reach: for anybody else they stay
        # empty (the wizard's button refuses them with the reason).
        may_reassign = self.env.user._account_manager_may_reassign()
        allowed = self._get_allowed_managers()
        for wizard in self:
            accounts = wizard._get_accounts() if may_reassign else Partner
            to_manager = wizard.to_manager_id
            ids = accounts.ids
            visible = set(self._get_visible_ids(ids))
            if len(visible) < len(ids):
                # Some accounts are out of reach: say how many, nothing more.
                wizard._reset_preview()
                wizard.hidden_count = len(ids) - len(visible)
                continue
            if to_manager not in allowed:
                to_manager = self.env['account.manager']
            moving = Reassignment._get_account_ids_to_move(ids, to_manager) \
                if to_manager else ids
            skipped = accounts - Partner.browse(moving)
            contact_count = self.env['account.manager.bulk']._count_contacts(moving)
            activity_count = self.env['account.manager.mail.bulk']._count_account_activities(
                moving)
            wizard.account_count = len(moving)
            wizard.contact_count = contact_count
            wizard.activity_count = activity_count
            wizard.skipped_ids = Partner.browse([pid for pid in skipped.ids if pid in visible])
            wizard.skipped_count = len(skipped)
            wizard.hidden_count = len(ids) - len(visible)
            wizard.run_in_background = len(moving) > threshold
            wizard._reset_preview(target_only=True)
            if not to_manager:
                continue
            violations = Reassignment._get_tier_violation_ids(moving, to_manager)
            wizard.tier_violation_ids = Partner.browse(
                [pid for pid in violations if pid in visible])
            wizard.tier_violation_count = len(violations)
            current, after, capacity, strict = Reassignment._get_capacity_status(
                to_manager, len(moving))
            wizard.target_account_count = current
            wizard.target_account_count_after = after
            wizard.target_capacity = capacity
            wizard.target_load_before = 100.0 * current / capacity if capacity else 0.0
            wizard.target_load_after = 100.0 * after / capacity if capacity else 0.0
            wizard.over_capacity = bool(capacity) and after > capacity
            wizard.strict_capacity = strict

    def _reset_preview(self, target_only=False):
        values = {
            'tier_violation_ids': self.env['res.partner'], 'tier_violation_count': 0,
            'target_account_count': 0, 'target_account_count_after': 0,
            'target_capacity': 0, 'target_load_before': 0.0,
            'target_load_after': 0.0, 'over_capacity': False,
            'strict_capacity': False}
        if not target_only:
            values.update({
                'account_count': 0, 'contact_count': 0, 'activity_count': 0,
                'skipped_ids': self.env['res.partner'], 'skipped_count': 0,
                'hidden_count': 0, 'run_in_background': False})
        self.update(values)

    @api.model
    def default_get(self, fields_list):
        res = super(AccountManagerReassignWizard, self).default_get(fields_list)
        ctx = self.env.context
        model, active_ids = ctx.get('active_model'), self._context_active_ids()
        if model in ('res.partner', 'account.manager', 'account.territory') \
                and not self.env.user._account_manager_may_reassign():
            raise AccessError(_(
                "Only team leads and account administrators can reassign "
                "accounts. Ask your team lead to hand these accounts over."))
        if model == 'res.partner':
            self._check_in_reach('res.partner', active_ids)
            res['source'] = 'selection'
            res['partner_ids'] = [(6, 0, self.env['res.partner']._get_account_ids(active_ids))]
        elif model in ('account.manager', 'account.territory'):
            if len(active_ids) != 1:
                raise UserError(_(
                    "Reassign the accounts of one manager or territory at a time."))
            self._check_in_reach(model, active_ids)
            if model == 'account.manager':
                res.update(source='manager', from_manager_id=active_ids[0])
            else:
                res.update(source='territory', territory_id=active_ids[0])
        if 'allowed_manager_ids' in fields_list:
            # The form's domain on to_manager_id reads this field. A compute
            # without dependencies is never run by the form's first onchange
            # (it keeps the empty value the client sends): give it as a default.
            res['allowed_manager_ids'] = [(6, 0, self._get_allowed_managers().ids)]
        return res

    @api.multi
    def action_reassign(self):
        """Check everything, then move the accounts now (or queue them when
        they are many) and open the reassignment that records it."""
        self._ensure_one_record()
        Reassignment = self.env['account.manager.reassignment']
        accounts, to_manager = self._check_reassign()
        args = dict(
            partners=accounts, to_manager=to_manager, reason=self.reason.strip(),
            origin='reassign', date=self.date_effective,
            move_activities=self.move_activities, swap_followers=self.swap_followers,
            notify=self.notify, from_manager=self.from_manager_id or None)
        if len(self._get_moving_ids(accounts)) > self._get_async_threshold():
            reassignment = Reassignment._queue(**args)
        else:
            reassignment = Reassignment._execute(**args)
        action = self.env.ref(
            'account_manager.account_manager_reassignment_action').read()[0]
        action.update(res_id=reassignment.id, view_mode='form', views=[(False, 'form')])
        return action

    def _check_reassign(self):
        """Refuse, with what is wrong and which records, anything the user
        may not or the domain does not allow. Returns (accounts, target)."""
        if not (self.reason or '').strip():
            raise UserError(_("Give the reason for the handover: it is kept in "
                              "each account's history."))
        to_manager = self.to_manager_id
        if not to_manager:
            raise UserError(_("Choose the manager who takes over the accounts."))
        if not to_manager.sudo().active:
            raise UserError(_(
                "%s is archived and cannot take over accounts. Choose an "
                "active manager.") % to_manager.sudo().name)
        accounts = self._get_accounts()
        if not accounts:
            raise UserError(self._get_empty_message())
        self.env.user._account_manager_check_reassign(accounts, to_manager)
        company = to_manager.sudo().company_id
        foreign = accounts.sudo().filtered(
            lambda a: a.company_id and a.company_id != company)
        if foreign:
            raise UserError(_(
                "%s works for %s and cannot take over accounts of another "
                "company: %s") % (to_manager.sudo().name, company.name, ', '.join(
                    '%s (%s)' % (a.display_name, a.company_id.name) for a in foreign[:10])))
        moving = self._get_moving_ids(accounts)
        if not moving:
            raise UserError(_(
                "Nothing to move: the %d account(s) are already managed by %s.") % (
                len(accounts), to_manager.sudo().name))
        # Tier, capacity and dates: the machinery's own checks, run before
        # anything is written.
        self.env['account.manager.reassignment']._check_move(
            moving, to_manager, self.date_effective)
        return accounts, to_manager

    def _get_empty_message(self):
        if self.source == 'manager' and self.from_manager_id:
            return _("%s holds no accounts%s: there is nothing to reassign.") % (
                self.from_manager_id.sudo().name,
                _(' in %s') % self.territory_id.sudo().complete_name
                if self.territory_id else '')
        if self.source == 'territory' and self.territory_id:
            return _("%s and its sub-territories hold no accounts%s: there is "
                     "nothing to reassign.") % (
                self.territory_id.sudo().complete_name,
                _(' of %s') % self.from_manager_id.sudo().name
                if self.from_manager_id else '')
        return _("Select the accounts to reassign.")

    def _get_accounts(self):
        """The accounts the wizard is about, read as superuser: whether the
        user may reach them all is checked separately, so that none is
        silently left out."""
        self.ensure_one()
        Partner = self.env['res.partner'].sudo().with_context(active_test=False)
        # Read the selection as superuser: reading a many2many as the user
        # drops the records their rules hide, which must refuse instead.
        # Not while the form is being edited (onchange): the record is new,
        # its values live in the user's environment only, where nothing was
        # read from the database, and a superuser one would see none.
        wizard = self if isinstance(self.id, models.NewId) else self.sudo()
        selected = wizard.partner_ids
        if self.source == 'selection' or selected:
            Accounts = self.env['res.partner']
            return Accounts.browse(Accounts._get_account_ids(selected.ids))
        domain = []
        if self.from_manager_id:
            domain.append(('account_manager_id', '=', self.from_manager_id.id))
        if self.territory_id:
            domain.append(('territory_id', 'child_of', self.territory_id.id))
        if not domain:
            return self.env['res.partner']
        return self.env['res.partner'].browse(
            Partner.search(domain + ACCOUNT_DOMAIN, order='id').ids)

    def _get_moving_ids(self, accounts):
        return self.env['account.manager.reassignment']._get_account_ids_to_move(
            accounts.ids, self.to_manager_id)

    @api.model
    def _get_visible_ids(self, partner_ids):
        """The ids among ``partner_ids`` the user's record rules let them see."""
        if not partner_ids:
            return []
        return self.env['res.partner'].with_context(active_test=False).search(
            [('id', 'in', list(partner_ids))]).ids

    @api.model
    def _check_in_reach(self, model, ids):
        self.env.user._account_manager_check_in_reach(model, ids)

    @api.model
    def _get_async_threshold(self):
        return int(self.env['ir.config_parameter'].sudo().get_param(
            'account_manager.reassign_async_threshold', DEFAULT_ASYNC_THRESHOLD))
