import json
import logging
import threading
from datetime import datetime

from odoo import _, api, fields, models, tools
from odoo.exceptions import AccessError, UserError, ValidationError

from .account_manager_assignment import ORIGINS, AssignmentChange
from .res_partner import ACCOUNT_DOMAIN

_logger = logging.getLogger(__name__)

# Accounts moved per round of set-based statements (system parameter
# ``account_manager.reassign_batch_size``): big enough that the fixed cost of
# a round vanishes, small enough that one round's arrays stay a few hundred KB.
DEFAULT_BATCH_SIZE = 5000
# Above this many accounts the wizard queues the reassignment for the
# scheduled action (system parameter ``account_manager.reassign_async_threshold``).
DEFAULT_ASYNC_THRESHOLD = 2000


class AccountManagerReassignment(models.Model):
    """One bulk handover: the audit trail of who moved what, when and why,
    and the machinery that moves accounts in bulk (``_execute``)."""
    _name = 'account.manager.reassignment'
    _description = 'Account Reassignment'
    _inherit = ['mail.thread']
    _order = 'id desc'

    name = fields.Char(required=True, readonly=True, default='/', copy=False)
    from_manager_id = fields.Many2one(
        'account.manager', string='From Manager', index=True, readonly=True,
        ondelete='set null',
        help="The previous manager, when all accounts moved had the same one.")
    to_manager_id = fields.Many2one(
        'account.manager', string='To Manager', index=True, readonly=True,
        ondelete='restrict')
    reason = fields.Text(readonly=True)
    origin = fields.Selection(
        ORIGINS, required=True, default='reassign', readonly=True,
        help="What moved the accounts: the reassign wizard, a territory "
             "realignment, …")
    account_count = fields.Integer(
        string='Accounts', readonly=True,
        help="Accounts moved (each has a history line of this reassignment).")
    queued_count = fields.Integer(
        string='Accounts to Move', readonly=True,
        help="Accounts this reassignment was asked to move.")
    contact_count = fields.Integer(string='Contacts', readonly=True)
    activity_count = fields.Integer(
        string='Activities Moved', readonly=True,
        help="Open activities of the previous managers handed to the new one.")
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
    date = fields.Datetime(
        string='Effective Date', readonly=True, default=fields.Datetime.now,
        index=True,
        help="When the new manager took over: the history lines start then.")
    date_done = fields.Datetime(string='Completed On', readonly=True)
    move_activities = fields.Boolean(readonly=True)
    swap_followers = fields.Boolean(readonly=True)
    notify = fields.Boolean(string='Notify Managers', readonly=True)
    queued_account_ids = fields.Text(
        readonly=True, prefetch=False,
        help="Technical: ids of the accounts a queued reassignment moves, as "
             "JSON. A text column rather than a many2many keeps the partner "
             "table free of joins.")
    done_count = fields.Integer(
        string='Processed', readonly=True,
        help="Accounts of a background reassignment processed so far.")
    progress = fields.Float(compute='_compute_progress', string='Progress (%)')
    error_message = fields.Text(readonly=True)
    assignment_ids = fields.One2many(
        'account.manager.assignment', 'reassignment_id', string='History Lines',
        readonly=True)
    company_id = fields.Many2one(
        'res.company', index=True, readonly=True,
        default=lambda self: self.env['res.company']._company_default_get(
            'account.manager.reassignment'))

    @api.depends('state', 'done_count', 'queued_count')
    def _compute_progress(self):
        for reassignment in self:
            if reassignment.state == 'done':
                reassignment.progress = 100.0
            elif reassignment.queued_count:
                reassignment.progress = min(
                    100.0, 100.0 * reassignment.done_count / reassignment.queued_count)
            else:
                reassignment.progress = 0.0

    @api.model
    def create(self, vals):
        if vals.get('name', '/') == '/':
            vals['name'] = self.env['ir.sequence'].next_by_code(
                'account.manager.reassignment') or '/'
        return super(AccountManagerReassignment, self).create(vals)

    @api.multi
    def action_view_accounts(self):
        self._ensure_one_record()
        action = self.env.ref('account_manager.res_partner_account_action').read()[0]
        if self.state == 'done':
            action['domain'] = [('assignment_ids.reassignment_id', '=', self.id)]
        else:
            action['domain'] = [('id', 'in', self._get_queued_account_ids())]
        action['context'] = {}
        return action

    @api.multi
    def action_run_now(self):
        """Process a queued (or failed) background reassignment at once, in
        this request and its transaction, instead of waiting for the
        scheduled action."""
        self._check_public_call()
        user = self.env.user
        is_admin = user.has_group('account_manager.group_account_admin')
        for reassignment in self:
            if not is_admin and reassignment.user_id != user:
                raise AccessError(_(
                    "Only %s, who started %s, or an account administrator can "
                    "run it.") % (reassignment.user_id.name, reassignment.name))
            if reassignment.state not in ('queued', 'failed'):
                raise UserError(_(
                    "%s is %s: only queued or failed reassignments can be run.") % (
                    reassignment.name,
                    dict(self._fields['state']._description_selection(self.env))[
                        reassignment.state]))
        for reassignment in self.sudo():
            if not reassignment._lock(('queued', 'failed')):
                raise UserError(_(
                    "%s is being processed right now; try again in a "
                    "moment.") % reassignment.name)
            reassignment._run_queued(commit=False)
        return True

    # ------------------------------------------------------------------
    # The machinery
    # ------------------------------------------------------------------

    @api.model
    def _execute(self, partners, to_manager, reason, origin='reassign', date=None,
                 move_activities=False, swap_followers=False, notify=False,
                 from_manager=None):
        """Move ``partners`` (accounts) to ``to_manager`` now, in the current
        transaction, and return the reassignment that records it.

        Set-based: a fixed number of statements per batch of accounts,
        whatever their number. Accounts already held by ``to_manager`` are
        left alone. The domain's own rules (required tier, strict capacity,
        an active target, a history that does not overlap) are checked here
        for every caller; who may move what is the caller's business (the
        wizard checks it; trusted code calls this with ``sudo()``).
        Returns an empty recordset when every account already has
        ``to_manager``: there is nothing to record."""
        return self._execute_many(
            [(partners, to_manager)], reason, origin=origin, date=date,
            move_activities=move_activities, swap_followers=swap_followers,
            notify=notify, from_manager=from_manager)

    @api.model
    def _execute_many(self, moves, reason, origin='reassign', date=None,
                      move_activities=False, swap_followers=False, notify=False,
                      from_manager=None):
        """Several handovers at once: ``moves`` is a list of (partners,
        to_manager), the partners of different moves being different
        accounts. Leaves exactly what calling ``_execute`` for each move in
        turn leaves (one reassignment per move, with its history lines,
        messages and notification; the same checks, capacity included as
        each manager would stand when its turn came), but the accounts of
        all moves go through one set-based pass: a fixed number of
        statements per batch of accounts, whatever the number of moves.
        Returns the reassignments (moves with nothing to do have none)."""
        date = _to_string(date)
        plans = []
        for partners, to_manager in moves:
            account_ids = self._get_account_ids_to_move(partners.ids, to_manager)
            if account_ids:
                plans.append((account_ids, to_manager))
        if not plans:
            return self.browse()
        holder = self._get_holders([aid for account_ids, _manager in plans for aid in account_ids])
        # What the moves before each one (in order) have taken from or given
        # to its manager: the capacity check of a move made in turn sees it.
        held_change = {}
        Manager = self.env['account.manager']
        checked = []
        for account_ids, to_manager in plans:
            self._check_move(account_ids, to_manager, date,
                             held_change.get(to_manager.id, 0))
            for account_id in account_ids:
                previous = holder.get(account_id)
                if previous:
                    held_change[previous] = held_change.get(previous, 0) - 1
            held_change[to_manager.id] = held_change.get(to_manager.id, 0) + len(account_ids)
            previous = {holder.get(account_id) for account_id in account_ids}
            common = Manager.browse(previous.pop()) \
                if len(previous) == 1 and None not in previous else None
            checked.append((account_ids, to_manager, from_manager or common))
        reassignment_ids = []
        rows = []
        for account_ids, to_manager, from_manager in checked:
            vals = self._prepare_reassignment_vals(
                account_ids, to_manager, reason, origin, date, move_activities,
                swap_followers, notify, from_manager, state='running')
            reassignment_id = self.sudo().create(vals).id
            reassignment_ids.append(reassignment_id)
            rows += [(account_id, reassignment_id) for account_id in account_ids]
        self.sudo().browse(reassignment_ids)._process_many(rows)
        for reassignment_id in reassignment_ids:
            # Each on its own, as _execute would: browsed together, reading
            # one field of one would read every field of all of them (their
            # history lines included) after each cache invalidation.
            self.sudo().browse(reassignment_id)._finish()
        return self.browse(reassignment_ids)

    @api.model
    def _queue(self, partners, to_manager, reason, origin='reassign', date=None,
               move_activities=False, swap_followers=False, notify=False,
               from_manager=None):
        """Record a reassignment for the scheduled action to carry out; same
        arguments and checks as ``_execute``."""
        date = _to_string(date)
        account_ids = self._get_account_ids_to_move(partners.ids, to_manager)
        self._check_move(account_ids, to_manager, date)
        vals = self._prepare_reassignment_vals(
            account_ids, to_manager, reason, origin, date, move_activities,
            swap_followers, notify, from_manager, state='queued')
        vals['queued_account_ids'] = json.dumps(account_ids)
        return self.browse(self.sudo().create(vals).id)

    @api.model
    def _cron_process_queued(self, batch_size=None):
        """Scheduled action: carry out queued reassignments, oldest first.

        Outside tests it commits after every batch, so that the progress is
        visible and a crash resumes where it stopped rather than holding
        locks on tens of thousands of partners for minutes."""
        commit = not getattr(threading.currentThread(), 'testing', False)
        reassignments = self.sudo().search(
            [('state', 'in', ('queued', 'running'))], order='id')
        for reassignment in reassignments:
            if reassignment._lock(('queued', 'running')):
                reassignment._run_queued(commit=commit, batch_size=batch_size)
        return True

    @api.model
    def _get_account_ids_to_move(self, partner_ids, to_manager):
        """The accounts (commercial partners) of ``partner_ids`` not held by
        ``to_manager`` yet, sorted."""
        return self.env['account.manager.bulk']._account_ids(
            partner_ids, not_held_by=to_manager.id or None)

    @api.model
    def _get_holders(self, account_ids):
        """{account id: its manager's id or None}."""
        return {account_id: values[0] for account_id, values in self.env[
            'account.manager.bulk']._read_partners(account_ids, ['account_manager_id']).items()}

    @api.model
    def _get_tier_violation_ids(self, account_ids, to_manager):
        """Accounts that require a higher tier than ``to_manager`` has."""
        if not account_ids:
            return []
        return self.env['res.partner'].sudo().with_context(active_test=False).search([
            ('id', 'in', list(account_ids)),
            ('required_tier_id.level', '>', to_manager.sudo().tier_id.level),
        ], order='display_name, id').ids

    @api.model
    def _get_capacity_status(self, to_manager, incoming, held_change=0):
        """(accounts held now, after the move, capacity, strict?) of
        ``to_manager`` receiving ``incoming`` more accounts. ``held_change``
        corrects the count for moves decided but not written yet."""
        manager = to_manager.sudo()
        # Counted here rather than read from account_count, whose compute
        # also walks the team of every manager in the prefetch set.
        current = self.env['res.partner'].sudo().search_count(
            [('account_manager_id', '=', manager.id)] + ACCOUNT_DOMAIN) + held_change
        strict = manager._is_capacity_strict()
        return current, current + incoming, manager.capacity, strict

    @api.model
    def _check_move(self, account_ids, to_manager, date, held_change=0):
        """Refuse, naming the accounts, what the domain never allows. Runs
        before anything is written."""
        Partner = self.env['res.partner'].sudo()
        manager = to_manager.sudo()
        if not manager:
            raise UserError(_("Choose the manager who takes over the accounts."))
        if not manager.active:
            raise UserError(_(
                "%s is archived and cannot take over accounts. Choose an "
                "active manager.") % manager.name)
        if date > fields.Datetime.now():
            raise UserError(_(
                "The effective date %s is in the future. A reassignment takes "
                "effect when it runs: choose a date up to now.") % date)
        wrong = Partner.browse(self._get_tier_violation_ids(account_ids, manager))
        if wrong:
            raise UserError(_(
                "%s (tier: %s) is below the tier these accounts require:\n%s\n"
                "Choose a manager of a higher tier, or leave these accounts "
                "out.") % (manager.name, manager.tier_id.name, '\n'.join(
                    '- %s (%s)' % (p.display_name, p.required_tier_id.name)
                    for p in wrong[:20]) + (
                    _('\n… and %d more') % (len(wrong) - 20) if len(wrong) > 20 else '')))
        current, after, capacity, strict = self._get_capacity_status(
            manager, len(account_ids), held_change)
        if strict and capacity and after > capacity:
            raise UserError(_(
                "%s can hold %d accounts and holds %d: taking over %d more "
                "would exceed the capacity, which is strict for their tier or "
                "company. Move fewer accounts or choose another manager.") % (
                manager.name, capacity, current, len(account_ids)))
        self.env['account.manager.assignment']._check_change_date(account_ids, date)

    @api.model
    def _prepare_reassignment_vals(self, account_ids, to_manager, reason, origin,
                                   date, move_activities, swap_followers, notify,
                                   from_manager, state):
        if not from_manager and account_ids:
            previous = list(set(self._get_holders(account_ids).values()))
            if len(previous) == 1 and previous[0]:
                from_manager = self.env['account.manager'].browse(previous[0])
        return {
            'from_manager_id': from_manager.id if from_manager else False,
            'to_manager_id': to_manager.id,
            'reason': reason,
            'origin': origin,
            'date': date,
            'queued_count': len(account_ids),
            'move_activities': move_activities,
            'swap_followers': swap_followers,
            'notify': notify,
            'state': state,
            'user_id': self.env.uid,
            'company_id': to_manager.sudo().company_id.id,
        }

    def _get_queued_account_ids(self):
        self.ensure_one()
        return json.loads(self.queued_account_ids or '[]')

    def _get_batch_size(self):
        return int(self.env['ir.config_parameter'].sudo().get_param(
            'account_manager.reassign_batch_size', DEFAULT_BATCH_SIZE)) or DEFAULT_BATCH_SIZE

    def _lock(self, states):
        """Take the row lock that keeps the scheduled action and "Run now"
        from processing the same reassignment at once; True if it was free
        and is still in one of ``states``."""
        self.ensure_one()
        state = self.env['account.manager.bulk']._lock_reassignment(self.id)
        if state is None:
            return False
        self.invalidate_cache(ids=self.ids)
        return state in states

    def _run_queued(self, commit, batch_size=None):
        """Carry out a queued reassignment. With ``commit``, each batch is
        committed and a crash or failure resumes from ``done_count``;
        without, it all happens in the caller's transaction and a failure
        leaves nothing half done."""
        self.ensure_one()
        cr = self.env.cr
        try:
            if commit:
                self._run_batches(commit, batch_size)
            else:
                with cr.savepoint():
                    self._run_batches(commit, batch_size)
        except Exception as error:
            if commit:
                cr.rollback()
            if isinstance(error, (UserError, AccessError, ValidationError)):
                # Refused by a rule of the domain or of rights: the reason is
                # on the reassignment; nothing for an administrator's log.
                _logger.warning("Reassignment %s refused: %s", self.name, error)
            else:
                _logger.exception("Reassignment %s failed", self.name)
            self.env.cache.invalidate()
            self.write({'state': 'failed', 'error_message': tools.ustr(error)})
            if commit:
                cr.commit()  # pylint: disable=invalid-commit
        return True

    def _run_batches(self, commit, batch_size):
        cr = self.env.cr
        account_ids = self._get_queued_account_ids()
        # A run that stopped half way (crash, or failure after committed
        # batches) resumes after the last batch it committed.
        start = self.done_count
        self.write({'state': 'running', 'error_message': False})
        remaining = self._get_account_ids_to_move(account_ids[start:], self.to_manager_id)
        # Whoever started it must still be allowed to: their team or reach
        # may have changed since it was queued.
        self.user_id._account_manager_check_reassign(
            self.env['res.partner'].browse(remaining), self.to_manager_id)
        self._check_move(remaining, self.to_manager_id, self.date)
        if commit:
            cr.commit()  # pylint: disable=invalid-commit
        batch_size = batch_size or self._get_batch_size()
        for index in range(start, len(account_ids), batch_size):
            batch = account_ids[index:index + batch_size]
            moving = self._get_account_ids_to_move(batch, self.to_manager_id)
            self._process_many([(account_id, self.id) for account_id in moving],
                               batch_size=batch_size)
            self.with_context(tracking_disable=True).write({'done_count': index + len(batch)})
            if commit:
                cr.commit()  # pylint: disable=invalid-commit
        self._finish()
        if commit:
            cr.commit()  # pylint: disable=invalid-commit

    def _process_many(self, rows, batch_size=None):
        """Move accounts to the managers of the reassignments in ``self``,
        batch by batch, adding to each one's counts: ``rows`` is a list of
        (account id, reassignment id), each account moving to its
        reassignment's manager. The batches span reassignments: one
        reassignment or a thousand cost the same number of statements."""
        batch_size = batch_size or self._get_batch_size()
        totals = {reassignment.id: {'account_count': 0, 'contact_count': 0,
                                    'activity_count': 0} for reassignment in self}
        shared = self._prepare_many()
        for index in range(0, len(rows), batch_size):
            counts = self._process_batch_many(rows[index:index + batch_size], shared)
            for reassignment_id, values in counts.items():
                for key, value in values.items():
                    totals[reassignment_id][key] += value
        # The statements above went around the ORM: drop what it remembers.
        # (Not the registry's caches: no record rule or cached lookup depends
        # on who holds an account, and clearing them would make every later
        # call of this transaction, and every worker, recompute them all.)
        self.env.cache.invalidate()
        # Counts are not tracked: skip the tracking machinery (it would read
        # and compare the state, and look for followers to add, for nothing).
        for reassignment_id in self.ids:
            reassignment = self.browse(reassignment_id)  # on its own: see _execute_many
            reassignment.with_context(tracking_disable=True).write({
                key: reassignment[key] + value
                for key, value in totals[reassignment_id].items()})

    def _prepare_many(self):
        """What each reassignment of ``self`` puts on its accounts, computed
        once for all the batches: target columns, how the history records
        the change, the
        body of the note and the new manager's name."""
        shared = {'target': {}, 'change': {}, 'index': {},
                  'bodies': [], 'new_ids': [], 'new_names': []}
        # Read only the fields asked for, for all of them at once (not every
        # field, history lines included, of every reassignment).
        for position, reassignment in enumerate(self.with_context(prefetch_fields=False)):
            manager = reassignment.to_manager_id.sudo()
            shared['target'][reassignment.id] = (
                manager.id, manager.user_id.id, manager.user_id.partner_id.id,
                manager.tier_id.id)
            shared['change'][reassignment.id] = reassignment._get_assignment_change()
            shared['index'][reassignment.id] = position + 1
            shared['bodies'].append(reassignment._get_account_message_body())
            shared['new_ids'].append(manager.id)
            shared['new_names'].append(manager.name_get()[0][1])
        return shared

    def _process_batch_many(self, rows, shared):
        """``_process_batch`` over accounts going to different managers: the
        same statements, fed with one array per column (account, manager,
        reassignment…) instead of constants. Returns the counts per
        reassignment."""
        account_ids = [row[0] for row in rows]
        counts = {reassignment_id: {'account_count': 0, 'contact_count': 0,
                                    'activity_count': 0}
                  for reassignment_id in {row[1] for row in rows}}
        if not rows:
            return counts
        user = self[0].user_id
        now = fields.Datetime.now()
        target = shared['target']
        rea_of = dict(rows)
        rea_ids = [row[1] for row in rows]
        manager_ids = [target[rid][0] for rid in rea_ids]
        user_ids = [target[rid][1] for rid in rea_ids]
        partner_ids = [target[rid][2] for rid in rea_ids]
        tier_ids = [target[rid][3] for rid in rea_ids]
        for reassignment_id in rea_ids:
            counts[reassignment_id]['account_count'] += 1

        previous = self._get_holders(account_ids)

        # All the reassignments of one call share their options.
        Bulk = self.env['account.manager.mail.bulk']
        if self[0].move_activities:
            for account_id in Bulk._move_account_activities(account_ids, user_ids, user.id):
                counts[rea_of[account_id]]['activity_count'] += 1
        if self[0].swap_followers:
            Bulk._swap_account_followers(account_ids, partner_ids)

        written = self.env['account.manager.bulk']._move_accounts(
            list(zip(account_ids, manager_ids, user_ids, tier_ids, rea_ids)), user.id, now)
        for reassignment_id, count in written.items():
            values = counts[reassignment_id]
            values['contact_count'] += count - values['account_count']

        self.env['account.manager.assignment']._record_changes([
            (account_id, target[reassignment_id][0], shared['change'][reassignment_id])
            for account_id, reassignment_id in rows])
        self._post_account_messages_many(rows, previous, shared)
        return counts

    def _post_account_messages_many(self, rows, previous, shared):
        """One note per account, written like the ORM's own tracking message
        (reason and reassignment in the body, old → new manager as a tracking
        value), through the bulk chatter writer: each account's note names
        its own reassignment and new manager."""
        index = shared['index']
        user = self[0].user_id
        old_ids = sorted({manager_id for manager_id in previous.values() if manager_id})
        names = dict(self.env['account.manager'].sudo().browse(old_ids).name_get())
        label = self.env['res.partner'].sudo(user.id).fields_get(
            ['account_manager_id'])['account_manager_id']['string']
        body_index, tracking = [], []
        for account_id, reassignment_id in rows:
            position = index[reassignment_id] - 1
            old_id = previous.get(account_id)
            body_index.append(position + 1)
            tracking.append([{
                'field': 'account_manager_id', 'field_desc': label,
                'field_type': 'many2one',
                'old_value_integer': old_id or 0, 'old_value_char': names.get(old_id, ''),
                'new_value_integer': shared['new_ids'][position],
                'new_value_char': shared['new_names'][position],
            }])
        self.env['account.manager.mail.bulk']._log_notes(
            'res.partner', [row[0] for row in rows], shared['bodies'], user.partner_id,
            tracking=tracking, body_index=body_index)

    def _get_assignment_change(self):
        """How this reassignment's history lines are recorded."""
        self.ensure_one()
        return AssignmentChange(origin=self.origin, reason=self.reason, date=self.date,
                                reassignment_id=self.id, user_id=self.user_id.id)

    def _get_account_message_body(self):
        link = '<a href="#" data-oe-model="%s" data-oe-id="%d">%s</a>' % (
            self._name, self.id, tools.html_escape(self.name))
        return '<p>%s</p><p>%s</p>' % (
            _('Handed over by %s (%s), effective %s.') % (
                tools.html_escape(self.user_id.name), link,
                tools.html_escape(self._format_date())),
            tools.html_escape(_('Reason: %s') % (self.reason or '')))

    def _finish(self):
        self.ensure_one()
        # The ids of a queued run are no longer needed: its history lines
        # say which accounts moved.
        self.write({'state': 'done', 'date_done': fields.Datetime.now(),
                    'queued_account_ids': False})
        if self.notify:
            self._notify_managers()

    def _notify_managers(self):
        """One message on the reassignment, sent to the previous and the new
        managers: they learn what changed hands, why, and where to look."""
        previous = self._get_previous_managers().sudo()
        managers = previous | self.to_manager_id.sudo()
        body = _(
            '<p>%d account(s) handed over from %s to %s, effective %s.</p>'
            '<p>Reason: %s</p>') % (
            self.account_count,
            tools.html_escape(', '.join(previous.mapped('name')) or _('nobody')),
            tools.html_escape(self.to_manager_id.sudo().name),
            tools.html_escape(self._format_date()),
            tools.html_escape(self.reason or ''))
        self.sudo().message_post(
            body=body, subject=_('Accounts reassigned: %s') % self.name,
            message_type='comment', subtype='mail.mt_comment',
            author_id=self.user_id.partner_id.id,
            partner_ids=managers.mapped('user_id.partner_id').ids)

    def _get_previous_managers(self):
        """Managers whose primary line this reassignment closed: for each line
        it opened, the line the same account had just before."""
        return self.env['account.manager'].browse(
            self.env['account.manager.bulk']._previous_holders(self.id))

    def _format_date(self):
        """The effective date in the acting user's time zone, for messages."""
        stamp = fields.Datetime.context_timestamp(
            self.sudo(self.user_id.id), fields.Datetime.from_string(self.date))
        return stamp.strftime('%Y-%m-%d %H:%M')


def _to_string(date):
    """Effective dates arrive as strings (11.0's ORM) or datetimes (callers'
    code); the history wants the server format. Empty means now."""
    if not date:
        return fields.Datetime.now()
    if isinstance(date, datetime):
        return fields.Datetime.to_string(date)
    return date
