import json
from collections import defaultdict

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError

from ..models.account_manager_reassignment import DEFAULT_ASYNC_THRESHOLD
from ..models.input_check import InputCheck
from ..models.res_partner import ACCOUNT_DOMAIN


class AccountTerritoryRealignWizard(InputCheck, models.TransientModel):
    """Re-run territory matching over many accounts after the territories or
    their rules changed: preview first, then apply through the reassignment
    machinery so that a realignment leaves the same trail as a handover."""
    _name = 'account.territory.realign.wizard'
    _description = 'Realign Territories'

    scope = fields.Selection([
        ('selected', 'Selected accounts'),
        ('all', 'All accounts'),
    ], required=True, default=lambda self: self._default_scope())
    # Account ids as JSON rather than many2many: a selection or a result can
    # hold 100,000 accounts, which the ORM would convert record by record.
    selected_account_ids = fields.Text(
        default=lambda self: self._default_selected_account_ids())
    selected_count = fields.Integer(
        compute='_compute_selected_count', string='Selected Accounts')
    reason = fields.Text(
        required=True, default=lambda self: _('Territory realignment'),
        help="Recorded on every reassignment and history line.")
    move_activities = fields.Boolean(
        default=True,
        help="Open activities of the previous managers on the moved accounts "
             "and their contacts go to the new managers.")
    swap_followers = fields.Boolean(
        default=True,
        help="The previous managers stop following the moved accounts; the "
             "new managers follow them.")
    notify = fields.Boolean(
        string='Notify Managers', default=True,
        help="Send the previous and the new managers a message about each "
             "handover.")
    state = fields.Selection([
        ('draft', 'Choose'),
        ('preview', 'Preview'),
        ('done', 'Done'),
    ], default='draft', required=True)
    account_count = fields.Integer(string='Accounts Considered', readonly=True)
    manager_move_count = fields.Integer(string='Change Manager', readonly=True)
    territory_move_count = fields.Integer(string='Change Territory', readonly=True)
    unchanged_count = fields.Integer(string='Already Aligned', readonly=True)
    locked_count = fields.Integer(string='Locked (Skipped)', readonly=True)
    unmatched_count = fields.Integer(string='No Territory Matches', readonly=True)
    no_manager_count = fields.Integer(string='Territory Gives No Manager', readonly=True)
    line_ids = fields.One2many(
        'account.territory.realign.wizard.line', 'wizard_id', readonly=True)
    manager_line_ids = fields.One2many(
        'account.territory.realign.wizard.line', 'wizard_id',
        domain=[('kind', '=', 'manager')], string='Manager Moves', readonly=True)
    territory_line_ids = fields.One2many(
        'account.territory.realign.wizard.line', 'wizard_id',
        domain=[('kind', '=', 'territory')], string='Territory Moves', readonly=True)
    no_manager_line_ids = fields.One2many(
        'account.territory.realign.wizard.line', 'wizard_id',
        domain=[('kind', '=', 'no_manager')], string='Territories Giving No Manager',
        readonly=True)
    locked_account_ids = fields.Text(readonly=True)
    unmatched_account_ids = fields.Text(readonly=True)
    reassignment_ids = fields.Many2many(
        'account.manager.reassignment', 'account_territory_realign_reassignment_rel',
        'wizard_id', 'reassignment_id', string='Reassignments', readonly=True)

    @api.model
    def _default_scope(self):
        if self.env.context.get('active_model') == 'res.partner' \
                and self.env.context.get('active_ids'):
            return 'selected'
        return 'all'

    @api.model
    def _default_selected_account_ids(self):
        if self.env.context.get('active_model') != 'res.partner':
            return False
        active_ids = self._context_active_ids()
        # Contacts stand for their account: realignment moves accounts.
        if not active_ids:
            return False
        return json.dumps(self.env['res.partner']._get_account_ids(active_ids))

    @api.depends('selected_account_ids')
    def _compute_selected_count(self):
        for wizard in self:
            wizard.selected_count = len(json.loads(wizard.selected_account_ids or '[]'))

    @api.multi
    def action_preview(self):
        """The dry run: compute everything, write nothing but the wizard."""
        self._ensure_one_record()
        self._check_realign_rights()
        plan = self._get_accounts()._plan_territory_assignment()
        self._write_preview(plan)
        self.state = 'preview'
        return self._reopen()

    @api.multi
    def action_back(self):
        self._ensure_one_record()
        self.state = 'draft'
        return self._reopen()

    @api.multi
    def action_apply(self):
        """Recompute (accounts may have changed since the preview) and apply."""
        self._ensure_one_record()
        self._check_realign_rights()
        plan = self._get_accounts()._plan_territory_assignment()
        self._write_preview(plan)
        reassignments = self._apply_plan(plan)
        self.write({'state': 'done', 'reassignment_ids': [(6, 0, reassignments.ids)]})
        return self._reopen()

    @api.multi
    def action_view_selected(self):
        self._check_public_call()
        return self._action_view_accounts(self.selected_account_ids, _('Selected Accounts'))

    @api.multi
    def action_view_locked(self):
        self._check_public_call()
        return self._action_view_accounts(self.locked_account_ids, _('Locked Accounts'))

    @api.multi
    def action_view_unmatched(self):
        self._check_public_call()
        return self._action_view_accounts(
            self.unmatched_account_ids, _('Accounts No Territory Matches'))

    def _action_view_accounts(self, ids_json, name):
        self.ensure_one()
        action = self.env.ref('account_manager.res_partner_account_action').read()[0]
        action.update(name=name, domain=[('id', 'in', json.loads(ids_json or '[]'))],
                      context={}, target='current')
        return action

    @api.multi
    def action_view_reassignments(self):
        self._ensure_one_record()
        action = self.env.ref('account_manager.account_manager_reassignment_action').read()[0]
        action['domain'] = [('id', 'in', self.reassignment_ids.ids)]
        return action

    def _check_realign_rights(self):
        if not self.env.user.has_group('account_manager.group_account_admin'):
            raise AccessError(_(
                "Only account management administrators can realign territories."))

    def _get_accounts(self):
        Partner = self.env['res.partner']
        if self.scope == 'all':
            return Partner.search(ACCOUNT_DOMAIN)
        accounts = Partner.browse(json.loads(self.selected_account_ids or '[]'))
        if not accounts:
            raise UserError(_(
                "Select the accounts to realign, or choose to realign all accounts."))
        return accounts

    def _write_preview(self, plan):
        manager_moves, territory_moves = self.env['res.partner']._territory_plan_summary(plan)
        lines = self._prepare_manager_lines(manager_moves)
        lines += [{'kind': 'territory', 'from_territory_id': old or None,
                   'to_territory_id': new, 'account_count': count}
                  for (old, new), count in sorted(territory_moves.items(),
                                                  key=lambda item: -item[1])]
        lines += [{'kind': 'no_manager', 'to_territory_id': territory_id,
                   'account_count': len(partner_ids),
                   'note': self._no_manager_note(territory_id)}
                  for territory_id, partner_ids in sorted(plan['no_manager'].items())]
        self._replace_lines(lines)
        self.write({
            'account_count': len(plan['accounts']),
            'manager_move_count': sum(manager_moves.values()),
            'territory_move_count': sum(territory_moves.values()),
            'unchanged_count': (len(plan['accounts']) - len(plan['targets'])
                                - len(plan['locked']) - len(plan['unmatched'])),
            'locked_count': len(plan['locked']),
            'unmatched_count': len(plan['unmatched']),
            'no_manager_count': sum(len(ids) for ids in plan['no_manager'].values()),
            'locked_account_ids': json.dumps(sorted(plan['locked'])),
            'unmatched_account_ids': json.dumps(sorted(plan['unmatched'])),
        })

    def _replace_lines(self, lines):
        """Preview lines with one INSERT: a realignment of every account can
        produce a line per pair of territories, hundreds of them, and these
        transient rows have nothing for the ORM to compute or check."""
        self.ensure_one()
        Bulk = self.env['account.manager.bulk']
        Line = 'account.territory.realign.wizard.line'
        Bulk._delete_rows(Line, 'wizard_id', self.id)
        columns = ['kind', 'from_manager_id', 'to_manager_id', 'from_territory_id',
                   'to_territory_id', 'account_count', 'note']
        per_row = {column: [line.get(column) or None for line in lines] for column in columns}
        now = fields.Datetime.now()
        per_row.update(wizard_id=self.id, create_uid=self.env.uid, create_date=now,
                       write_uid=self.env.uid, write_date=now)
        Bulk._insert_rows(Line, per_row, len(lines))
        self.invalidate_cache(fnames=[name for name, field in self._fields.items()
                                      if field.type == 'one2many'], ids=self.ids)

    def _prepare_manager_lines(self, manager_moves):
        """One line per (from, to) pair, with the capacity each receiving
        manager would reach once every move is done."""
        Manager = self.env['account.manager']
        balance = defaultdict(int)
        for (old, new), count in manager_moves.items():
            balance[new] += count
            if old:
                balance[old] -= count
        held = self._count_accounts(list(balance))
        lines = []
        for (old, new), count in sorted(manager_moves.items(), key=lambda item: -item[1]):
            manager = Manager.browse(new)
            after = held.get(new, 0) + balance[new]
            note = False
            if manager.capacity and after > manager.capacity:
                note = _("%s would hold %d accounts for a capacity of %d%s") % (
                    manager.name, after, manager.capacity,
                    _(" (refused: strict capacity)") if manager.tier_id.strict_capacity else '')
            lines.append({'kind': 'manager', 'from_manager_id': old, 'to_manager_id': new,
                          'account_count': count, 'note': note})
        return lines

    def _count_accounts(self, manager_ids):
        """Accounts each manager holds now, in one query."""
        data = self.env['res.partner'].sudo().read_group(
            [('account_manager_id', 'in', manager_ids)] + ACCOUNT_DOMAIN,
            ['account_manager_id'], ['account_manager_id'])
        return {d['account_manager_id'][0]: d['account_manager_id_count'] for d in data}

    def _no_manager_note(self, territory_id):
        territory = self.env['account.territory'].browse(territory_id)
        if not territory.manager_id.active:
            return _("No active responsible manager: these accounts keep their "
                     "manager. Give the territory a manager and realign again.")
        return _("Nobody from %s up reaches the tier these accounts require: "
                 "they keep their manager.") % territory.manager_id.name

    def _apply_plan(self, plan):
        """Territories move with one UPDATE (accounts and their contacts);
        managers move through the reassignment machinery, as the reassign
        wizard moves them, in one reassignment."""
        Partner = self.env['res.partner']
        targets = plan['targets']
        if not targets:
            return self.env['account.manager.reassignment']
        Bulk = self.env['account.manager.bulk']
        current = Bulk._read_partners(list(targets), ['territory_id', 'account_manager_id'])
        territory_moves = [(pid, tid) for pid, (tid, _mid) in targets.items()
                           if tid != current[pid][0]]
        if territory_moves:
            Bulk._move_territories(territory_moves)
        by_manager = defaultdict(list)
        for pid, (_tid, mid) in targets.items():
            if mid and mid != current[pid][1]:
                by_manager[mid].append(pid)
        Reassignment = self.env['account.manager.reassignment']
        Manager = self.env['account.manager']
        options = dict(reason=self.reason.strip(), origin='territory',
                       move_activities=self.move_activities,
                       swap_followers=self.swap_followers, notify=self.notify)
        # One reassignment for the whole realignment, with a handover line
        # per (previous, new) manager: one audit record and one digest,
        # whatever the number of managers. Done now, or as background jobs
        # when it is large, as the reassign wizard decides.
        moves = [(Partner.browse(sorted(by_manager[manager_id])), Manager.browse(manager_id))
                 for manager_id in sorted(by_manager)]
        if sum(len(ids) for ids in by_manager.values()) > self._get_async_threshold():
            return Reassignment._queue_many(moves, **options)
        return Reassignment._execute_many(moves, **options)

    @api.model
    def _get_async_threshold(self):
        return int(self.env['ir.config_parameter'].sudo().get_param(
            'account_manager.reassign_async_threshold', DEFAULT_ASYNC_THRESHOLD))

    def _reopen(self):
        return {
            'type': 'ir.actions.act_window',
            'res_model': self._name,
            'res_id': self.id,
            'view_mode': 'form',
            'target': 'new',
            'context': self.env.context,
        }


class AccountTerritoryRealignWizardLine(InputCheck, models.TransientModel):
    _name = 'account.territory.realign.wizard.line'
    _description = 'Realignment Preview Line'
    _order = 'kind, account_count desc, id'

    wizard_id = fields.Many2one(
        'account.territory.realign.wizard', required=True, ondelete='cascade')
    kind = fields.Selection([
        ('manager', 'Manager Move'),
        ('territory', 'Territory Move'),
        ('no_manager', 'No Manager'),
    ], required=True)
    from_manager_id = fields.Many2one('account.manager', string='From Manager')
    to_manager_id = fields.Many2one('account.manager', string='To Manager')
    from_territory_id = fields.Many2one('account.territory', string='From Territory')
    to_territory_id = fields.Many2one('account.territory', string='To Territory')
    account_count = fields.Integer(string='Accounts')
    note = fields.Char()
