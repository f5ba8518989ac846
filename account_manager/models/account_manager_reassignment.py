import logging
import re
from collections import defaultdict
from datetime import datetime

from odoo import _, api, fields, models, tools
from odoo.exceptions import AccessError, UserError, ValidationError

from odoo.addons.queue_job.exception import FailedJobError, RetryableJobError
from odoo.addons.queue_job.job import Job, job

from .account_manager_assignment import ORIGINS, AssignmentChange
from .res_partner import ACCOUNT_DOMAIN

_logger = logging.getLogger(__name__)

# Accounts moved per round of set-based statements, and per background job
# (system parameter ``account_manager.reassign_batch_size``): big enough that
# the fixed cost of a round vanishes, small enough that one round's arrays
# stay a few hundred KB and a job a few seconds.
DEFAULT_BATCH_SIZE = 5000
# Above this many accounts the wizard queues the reassignment as queue_job
# jobs (system parameter ``account_manager.reassign_async_threshold``).
DEFAULT_ASYNC_THRESHOLD = 2000
# The queue_job channel of the addon's background work.
JOB_CHANNEL = 'root.account_manager'
# Seconds before a batch that found another batch of its reassignment
# running tries again.
BUSY_RETRY_SECONDS = 5


class AccountManagerReassignment(models.Model):
    """One bulk handover: the audit trail of who moved what, when and why,
    and the machinery that moves accounts in bulk (``_execute_many``), now
    or as background jobs (``_queue_many``)."""
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
        ondelete='restrict',
        help="The new manager, when all accounts moved to the same one (a "
             "territory realignment can hand accounts to many: see its "
             "handovers).")
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
    done_count = fields.Integer(
        string='Processed', readonly=True,
        help="Accounts of a background reassignment processed so far.")
    progress = fields.Float(compute='_compute_progress', string='Progress (%)')
    error_message = fields.Text(
        readonly=True, help="Why the last failed batch failed.")
    handover_ids = fields.One2many(
        'account.manager.reassignment.handover', 'reassignment_id',
        string='Handovers', readonly=True,
        help="Accounts per previous and new manager, as planned.")
    handover_count = fields.Integer(compute='_compute_handover_count')
    job_ids = fields.One2many(
        'queue.job', 'account_manager_reassignment_id', string='Jobs',
        readonly=True,
        groups='queue_job.group_queue_job_manager,account_manager.group_account_admin',
        help="The background jobs, one per batch of accounts.")
    job_count = fields.Integer(
        compute='_compute_jobs', string='Batches',
        help="Background jobs of this reassignment, one per batch of accounts.")
    job_done_count = fields.Integer(compute='_compute_jobs', string='Batches Done')
    job_failed_count = fields.Integer(compute='_compute_jobs', string='Batches Failed')
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

    @api.depends('handover_ids')
    def _compute_handover_count(self):
        for reassignment in self:
            reassignment.handover_count = len(reassignment.handover_ids)

    def _compute_jobs(self):
        # The jobs are the job queue's records, which only its managers
        # read: everyone who sees the reassignment sees their counts.
        data = self.env['queue.job'].sudo().read_group(
            [('account_manager_reassignment_id', 'in', self.ids)],
            ['account_manager_reassignment_id', 'state'],
            ['account_manager_reassignment_id', 'state'], lazy=False)
        counts = defaultdict(lambda: defaultdict(int))
        for row in data:
            counts[row['account_manager_reassignment_id'][0]][row['state']] += row['__count']
        for reassignment in self:
            by_state = counts[reassignment.id]
            reassignment.job_count = sum(by_state.values())
            reassignment.job_done_count = by_state['done']
            reassignment.job_failed_count = by_state['failed']

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
    def action_retry(self):
        """Run again the batches of a background reassignment that failed,
        or that a stopped server left unfinished (started or enqueued, with
        no batch of it running now). A batch moves only the accounts it has
        not moved yet, so running one again never duplicates anything."""
        self._check_public_call()
        user = self.env.user
        is_admin = user.has_group('account_manager.group_account_admin')
        for reassignment in self:
            if not is_admin and reassignment.user_id != user:
                raise AccessError(_(
                    "Only %s, who started %s, or an account administrator can "
                    "retry it.") % (reassignment.user_id.name, reassignment.name))
            if reassignment.state not in ('queued', 'running', 'failed'):
                raise UserError(_(
                    "%s is %s: only queued, running or failed reassignments "
                    "can be retried.") % (
                    reassignment.name,
                    dict(self._fields['state']._description_selection(self.env))[
                        reassignment.state]))
        for reassignment in self.sudo():
            # A batch holds this lock while it runs: free, none is running.
            if reassignment._lock(('queued', 'running', 'failed')) is not True:
                raise UserError(_(
                    "A batch of %s is being processed right now; try again in "
                    "a moment.") % reassignment.name)
            jobs = reassignment.job_ids.filtered(
                lambda j: j.state in ('failed', 'started', 'enqueued'))
            if not jobs:
                raise UserError(_(
                    "%s has no failed or interrupted batch: its pending "
                    "batches run as soon as a worker is free.") % reassignment.name)
            jobs.requeue()
        return True

    # ------------------------------------------------------------------
    # The machinery
    # ------------------------------------------------------------------

    @api.model
    def _execute(self, partners, to_manager, reason, **options):
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
        return self._execute_many([(partners, to_manager)], reason, **options)

    @api.model
    def _execute_many(self, moves, reason, origin='reassign', date=None,
                      move_activities=False, swap_followers=False, notify=False,
                      from_manager=None):
        """Several handovers as one reassignment: ``moves`` is a list of
        (partners, to_manager), the partners of different moves being
        different accounts. Every move is checked as if made in turn
        (capacity included), then all accounts go through one set-based
        pass. One reassignment records it all, with a handover line per
        (previous, new) manager pair. Returns it (empty when nothing
        moves)."""
        reassignment, pairs = self._plan(
            moves, reason, origin, date, move_activities, swap_followers, notify,
            from_manager, state='running')
        if not reassignment:
            return self.browse()
        reassignment.sudo()._process_many(pairs)
        reassignment.sudo()._finish()
        return reassignment

    @api.model
    def _queue(self, partners, to_manager, reason, **options):
        """``_execute``, as background jobs."""
        return self._queue_many([(partners, to_manager)], reason, **options)

    @api.model
    def _queue_many(self, moves, reason, origin='reassign', date=None,
                    move_activities=False, swap_followers=False, notify=False,
                    from_manager=None):
        """``_execute_many`` as queue_job jobs, one per batch of accounts, in
        the channel ``root.account_manager``: checked now, carried out by
        the job runner's workers, as the user who asked."""
        reassignment, pairs = self._plan(
            moves, reason, origin, date, move_activities, swap_followers, notify,
            from_manager, state='queued')
        if reassignment:
            reassignment._enqueue_batches(pairs)
        return reassignment

    @api.model
    def _plan(self, moves, reason, origin, date, move_activities, swap_followers,
              notify, from_manager, state):
        """Check every move, then create the reassignment that records them.
        Returns (reassignment, [(account id, new manager id)]), the
        reassignment in the caller's environment (empty when nothing
        moves)."""
        date = _to_string(date)
        plans = []
        for partners, to_manager in moves:
            account_ids = self._get_account_ids_to_move(partners.ids, to_manager)
            if account_ids:
                plans.append((account_ids, to_manager))
        if not plans:
            return self.browse(), []
        holder = self._get_holders([aid for account_ids, _manager in plans for aid in account_ids])
        # What the moves before each one (in order) have taken from or given
        # to its manager: the capacity check of a move made in turn sees it.
        held_change = defaultdict(int)
        handovers = defaultdict(int)
        pairs = []
        for account_ids, to_manager in plans:
            self._check_move(account_ids, to_manager, date, held_change[to_manager.id])
            for account_id in account_ids:
                previous = holder.get(account_id)
                if previous:
                    held_change[previous] -= 1
                handovers[(previous or False, to_manager.id)] += 1
                pairs.append((account_id, to_manager.id))
            held_change[to_manager.id] += len(account_ids)
        previous = {pair[0] for pair in handovers}
        targets = {to_manager for _ids, to_manager in plans}
        if not from_manager and len(previous) == 1 and False not in previous:
            from_manager = self.env['account.manager'].browse(previous.pop())
        single = targets.pop() if len(targets) == 1 else None
        vals = {
            'from_manager_id': from_manager.id if from_manager else False,
            'to_manager_id': single.id if single else False,
            'reason': reason,
            'origin': origin,
            'date': date,
            'queued_count': len(pairs),
            'move_activities': move_activities,
            'swap_followers': swap_followers,
            'notify': notify,
            'state': state,
            'user_id': self.env.uid,
        }
        # The new manager's company; for several, the one of who asked (not
        # the default of the superuser creating it).
        vals['company_id'] = single.sudo().company_id.id if single else \
            self.env.user.company_id.id
        reassignment = self.sudo().create(vals)
        reassignment._insert_handovers(handovers)
        return self.browse(reassignment.id), pairs

    def _insert_handovers(self, handovers):
        """The handover lines, ``handovers`` being {(previous manager id or
        False, new manager id): accounts}, in one INSERT: a reassignment of
        accounts held by hundreds of managers has hundreds of them, and
        these log lines have nothing for the ORM to compute or check."""
        lines = sorted(handovers.items(), key=lambda item: (-item[1], item[0][1], item[0][0] or 0))
        now = fields.Datetime.now()
        self.env['account.manager.bulk']._insert_rows(
            'account.manager.reassignment.handover', {
                'reassignment_id': self.id,
                'from_manager_id': [old or None for (old, _new), _count in lines],
                'to_manager_id': [new for (_old, new), _count in lines],
                'account_count': [count for _pair, count in lines],
                'company_id': self.company_id.id,
                'create_uid': self.env.uid, 'create_date': now,
                'write_uid': self.env.uid, 'write_date': now,
            }, len(lines))
        self.invalidate_cache(fnames=['handover_ids', 'handover_count'], ids=self.ids)

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

    def _get_queued_account_ids(self):
        """The accounts a background reassignment was asked to move: those
        of its batches (the job queue keeps them, one list per job)."""
        self.ensure_one()
        jobs = self.env['queue.job'].sudo().search(
            [('account_manager_reassignment_id', '=', self.id)], order='id')
        return [pair[0] for queued in jobs for pair in (queued.args or [[]])[0]]

    def _get_batch_size(self):
        return int(self.env['ir.config_parameter'].sudo().get_param(
            'account_manager.reassign_batch_size', DEFAULT_BATCH_SIZE)) or DEFAULT_BATCH_SIZE

    def _lock(self, states):
        """Take, without waiting, the row lock that keeps two batches of
        this reassignment (or a batch and a retry) from running at once:
        True if it was free and the reassignment is in one of ``states``,
        None if another transaction holds it, False otherwise."""
        self.ensure_one()
        state = self.env['account.manager.bulk']._lock_reassignment(self.id)
        if state is None:
            return None
        self.invalidate_cache(ids=self.ids)
        return state in states

    # ------------------------------------------------------------------
    # Background jobs (OCA queue_job)
    # ------------------------------------------------------------------

    def _enqueue_batches(self, pairs):
        """One job per batch of ``pairs`` (account id, new manager id), in
        the caller's name: the job runs with their rights."""
        self.ensure_one()
        batch_size = self._get_batch_size()
        total = len(pairs)
        Job_ = self.env['queue.job'].sudo()
        for start in range(0, total, batch_size):
            batch = [list(pair) for pair in pairs[start:start + batch_size]]
            delayed = self.with_delay(
                channel=JOB_CHANNEL,
                description=_("%s: accounts %d-%d of %d") % (
                    self.sudo().name, start + 1, start + len(batch), total),
            )._job_move_batch(batch)
            if isinstance(delayed, Job):
                # Not in queue_job's test mode, which runs the batch at once.
                Job_.search([('uuid', '=', delayed.uuid)]).write({
                    'account_manager_reassignment_id': self.id,
                    'account_manager_batch_size': len(batch)})

    @job(default_channel=JOB_CHANNEL)
    @api.multi
    def _job_move_batch(self, pairs):
        """A queue_job job: move one batch of a background reassignment,
        ``pairs`` being [account id, new manager id]. Runs as the user who
        started the reassignment, whose rights are checked again (they may
        have changed since). Accounts already with their new manager are
        skipped: a batch run twice (retried after a crash) moves nothing
        twice. The last batch to finish completes the reassignment."""
        self.ensure_one()
        reassignment = self.sudo()
        locked = reassignment._lock(('queued', 'running', 'failed'))
        if locked is None:
            raise RetryableJobError(
                _("Another batch of %s is running.") % reassignment.name,
                seconds=BUSY_RETRY_SECONDS, ignore_retry=True)
        if not locked:
            return _("Nothing to do: %s is %s.") % (reassignment.name, reassignment.state)
        if reassignment.state == 'queued':
            # (Failed stays failed while another of its batches is: the
            # job queue's hook turns it back once none is.)
            reassignment.write({'state': 'running', 'error_message': False})
        by_manager = defaultdict(list)
        for account_id, manager_id in pairs:
            by_manager[manager_id].append(account_id)
        Manager = self.env['account.manager']
        moving = []
        try:
            for manager_id in sorted(by_manager):
                manager = Manager.browse(manager_id)
                account_ids = reassignment._get_account_ids_to_move(by_manager[manager_id], manager)
                reassignment.user_id._account_manager_check_reassign(
                    self.env['res.partner'].browse(account_ids), manager)
                reassignment._check_move(account_ids, manager, reassignment.date)
                moving += [(account_id, manager_id) for account_id in account_ids]
        except (UserError, AccessError, ValidationError) as error:
            # Refused by a rule of the domain or of rights: the job fails
            # with the reason, which the reassignment shows.
            raise FailedJobError(tools.ustr(error.name))
        reassignment._process_many(moving)
        reassignment._batch_done(len(pairs))
        return _("%d of %d accounts moved (the others already had their new manager).") % (
            len(moving), len(pairs))

    def _batch_done(self, size):
        """After a batch: the progress, and the end of the reassignment when
        no other batch is left. Counted from the jobs' states, so that a
        batch run twice is not counted twice."""
        uuid = self.env.context.get('job_uuid')
        if not uuid:
            # queue_job's test mode (test_queue_job_no_delay): the batches
            # run at once, one after the other, without job records.
            done_count = self.done_count + size
            self.with_context(tracking_disable=True).write({'done_count': done_count})
            if done_count >= self.queued_count:
                self._finish()
            return
        jobs = self.env['queue.job'].sudo().search([
            ('account_manager_reassignment_id', '=', self.id), ('uuid', '!=', uuid)])
        done = sum(jobs.filtered(lambda j: j.state == 'done').mapped('account_manager_batch_size'))
        # Accounts processed before the job queue (migrated runs) count too.
        earlier = self.queued_count - sum(jobs.mapped('account_manager_batch_size')) - size
        self.with_context(tracking_disable=True).write(
            {'done_count': max(earlier, 0) + done + size})
        if not jobs.filtered(lambda j: j.state != 'done'):
            self._finish()

    def _on_jobs_changed(self):
        """The job queue changed the state of some of our jobs: a failed
        batch fails the reassignment, with its reason; once no batch is
        failed (retried), it is running again."""
        for reassignment in self.sudo():
            failed = reassignment.job_ids.filtered(lambda j: j.state == 'failed')
            if failed and reassignment.state != 'failed':
                reassignment.write({'state': 'failed',
                                    'error_message': _job_failure(failed[0].exc_info)})
            elif not failed and reassignment.state == 'failed':
                reassignment.write({
                    'state': 'running' if reassignment.done_count else 'queued',
                    'error_message': False})

    @api.model
    def _migrate_queued(self, rows):
        """Upgrade from the addon's own queue (before 11.0.2.0.0): ``rows``
        are (reassignment id, account ids, accounts already processed) of
        the reassignments it had not finished; their remaining accounts
        become batches of queue_job jobs, in the name of who started them."""
        for reassignment_id, account_ids, done in rows:
            reassignment = self.sudo().browse(reassignment_id)
            pairs = [(account_id, reassignment.to_manager_id.id)
                     for account_id in account_ids[done or 0:]]
            if not pairs:
                continue
            reassignment.sudo(reassignment.user_id.id)._enqueue_batches(pairs)
            if reassignment.state == 'failed':
                reassignment.write({'state': 'running' if done else 'queued',
                                    'error_message': False})
            _logger.info("Reassignment %s: %d accounts left, queued as jobs",
                         reassignment.name, len(pairs))

    # ------------------------------------------------------------------
    # Moving the accounts
    # ------------------------------------------------------------------

    def _process_many(self, pairs, batch_size=None):
        """Move accounts of this reassignment to their new managers, batch
        by batch, adding to its counts: ``pairs`` is a list of (account id,
        new manager id). One new manager or a thousand cost the same number
        of statements."""
        self.ensure_one()
        batch_size = batch_size or self._get_batch_size()
        totals = {'account_count': 0, 'contact_count': 0, 'activity_count': 0}
        shared = self._prepare_many({pair[1] for pair in pairs})
        for index in range(0, len(pairs), batch_size):
            counts = self._process_batch(pairs[index:index + batch_size], shared)
            for key, value in counts.items():
                totals[key] += value
        # The statements above went around the ORM: drop what it remembers.
        # (Not the registry's caches: no record rule or cached lookup depends
        # on who holds an account, and clearing them would make every later
        # call of this transaction, and every worker, recompute them all.)
        self.env.cache.invalidate()
        # Counts are not tracked: skip the tracking machinery (it would read
        # and compare the state, and look for followers to add, for nothing).
        self.with_context(tracking_disable=True).write({
            key: self[key] + value for key, value in totals.items()})

    def _prepare_many(self, manager_ids):
        """What the reassignment puts on its accounts, computed once for all
        the batches: per new manager its columns and name, and the history
        change and note body they share."""
        shared = {'target': {}, 'names': {}}
        for manager in self.env['account.manager'].sudo().browse(sorted(manager_ids)).with_context(
                prefetch_fields=False):
            shared['target'][manager.id] = (
                manager.id, manager.user_id.id, manager.user_id.partner_id.id,
                manager.tier_id.id)
        shared['names'] = dict(self.env['account.manager'].sudo().browse(
            sorted(manager_ids)).name_get())
        shared['change'] = self._get_assignment_change()
        shared['body'] = self._get_account_message_body()
        return shared

    def _process_batch(self, pairs, shared):
        """One round of set-based statements over ``pairs``, each column
        (account, manager, user…) fed as one array. Returns the counts."""
        counts = {'account_count': len(pairs), 'contact_count': 0, 'activity_count': 0}
        if not pairs:
            return counts
        account_ids = [pair[0] for pair in pairs]
        target = shared['target']
        columns = [target[pair[1]] for pair in pairs]
        manager_ids = [column[0] for column in columns]
        user_ids = [column[1] for column in columns]
        partner_ids = [column[2] for column in columns]
        tier_ids = [column[3] for column in columns]
        user = self.user_id
        now = fields.Datetime.now()

        previous = self._get_holders(account_ids)
        Bulk = self.env['account.manager.mail.bulk']
        if self.move_activities:
            counts['activity_count'] = len(list(
                Bulk._move_account_activities(account_ids, user_ids, user.id)))
        if self.swap_followers:
            Bulk._swap_account_followers(account_ids, partner_ids)

        written = self.env['account.manager.bulk']._move_accounts(
            list(zip(account_ids, manager_ids, user_ids, tier_ids, [self.id] * len(pairs))),
            user.id, now)
        counts['contact_count'] = written.get(self.id, 0) - len(pairs)

        change = shared['change']
        self.env['account.manager.assignment']._record_changes([
            (account_id, manager_id, change) for account_id, manager_id in pairs])
        self._post_account_messages(pairs, previous, shared)
        return counts

    def _post_account_messages(self, pairs, previous, shared):
        """One note per account, written like the ORM's own tracking message
        (reason and reassignment in the body, old → new manager as a tracking
        value), through the bulk chatter writer: the body is sent once."""
        user = self.user_id
        old_ids = sorted({manager_id for manager_id in previous.values() if manager_id})
        names = dict(self.env['account.manager'].sudo().browse(old_ids).name_get())
        new_names = shared['names']
        label = self.env['res.partner'].sudo(user.id).fields_get(
            ['account_manager_id'])['account_manager_id']['string']
        tracking = []
        for account_id, manager_id in pairs:
            old_id = previous.get(account_id)
            tracking.append([{
                'field': 'account_manager_id', 'field_desc': label,
                'field_type': 'many2one',
                'old_value_integer': old_id or 0, 'old_value_char': names.get(old_id, ''),
                'new_value_integer': manager_id, 'new_value_char': new_names[manager_id],
            }])
        self.env['account.manager.mail.bulk']._log_notes(
            'res.partner', [pair[0] for pair in pairs], [shared['body']], user.partner_id,
            tracking=tracking, body_index=[1] * len(pairs))

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
        self.write({'state': 'done', 'date_done': fields.Datetime.now()})
        if self.notify:
            self._notify_managers()

    def _notify_managers(self):
        """One message on the reassignment, sent to every manager who gave
        or received accounts: they learn what changed hands, why, and where
        to look. A realignment with hundreds of handovers sends one digest
        (a line per handover), not a message per handover."""
        handovers = self.handover_ids.sudo()
        previous = self._get_previous_managers().sudo()
        managers = previous | handovers.mapped('to_manager_id')
        intro = _('<p>%d account(s) handed over from %s to %s, effective %s.</p>') % (
            self.account_count,
            tools.html_escape(', '.join(previous.mapped('name')) or _('nobody')),
            tools.html_escape(', '.join(handovers.mapped('to_manager_id.name'))),
            tools.html_escape(self._format_date()))
        if len(handovers) > 1:
            intro = _('<p>%d account(s) handed over in %d handovers, effective %s:</p>'
                      '<table class="table table-condensed"><thead><tr><th>From</th>'
                      '<th>To</th><th>Accounts</th></tr></thead><tbody>%s</tbody>'
                      '</table>') % (
                self.account_count, len(handovers), tools.html_escape(self._format_date()),
                ''.join('<tr><td>%s</td><td>%s</td><td>%d</td></tr>' % (
                    tools.html_escape(line.from_manager_id.name or _('nobody')),
                    tools.html_escape(line.to_manager_id.name), line.account_count)
                    for line in handovers))
        body = intro + _('<p>Reason: %s</p>') % tools.html_escape(self.reason or '')
        recipients = managers.mapped('user_id.partner_id')
        # (In the environment the recipients were read in: another context
        # would read each recipient's user again, one query each.)
        self.sudo().message_post(
            body=body, subject=_('Accounts reassigned: %s') % self.name,
            message_type='comment', subtype='mail.mt_comment',
            author_id=self.user_id.partner_id.id,
            partner_ids=recipients.ids)

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


_FAILED_JOB = re.compile(r'^[\w.]*FailedJobError: ', re.M)


def _job_failure(exc_info):
    """What a failed job's traceback says went wrong: the reason given by
    the batch (a refusal), or the exception's last line (a crash)."""
    text = (exc_info or '').strip()
    found = list(_FAILED_JOB.finditer(text))
    if found:
        return text[found[-1].end():].strip()
    return text.splitlines()[-1] if text else _("The batch failed.")


class AccountManagerReassignmentHandover(models.Model):
    """How many accounts one reassignment took from one manager and gave to
    another: a territory realignment is one reassignment with a line per
    (previous, new) manager pair. Written once, when the reassignment is
    created; nobody edits it."""
    _name = 'account.manager.reassignment.handover'
    _description = 'Reassignment Handover'
    _order = 'reassignment_id desc, account_count desc, id'

    reassignment_id = fields.Many2one(
        'account.manager.reassignment', required=True, index=True, readonly=True,
        ondelete='cascade')
    from_manager_id = fields.Many2one(
        'account.manager', string='From Manager', index=True, readonly=True,
        ondelete='set null', help="Empty: the accounts had no manager.")
    to_manager_id = fields.Many2one(
        'account.manager', string='To Manager', required=True, index=True,
        readonly=True, ondelete='restrict')
    account_count = fields.Integer(string='Accounts', readonly=True)
    company_id = fields.Many2one(related='reassignment_id.company_id', store=True,
                                 readonly=True, index=True)

    @api.multi
    def name_get(self):
        # Named after the reassignment and its managers, which are read
        # only once the handover itself may be (name_get reads no stored
        # field of its own that would check it).
        self.check_access_rule('read')
        return [(handover.id, '%s: %s → %s' % (
            handover.reassignment_id.sudo().name,
            handover.from_manager_id.sudo().name or _('nobody'),
            handover.to_manager_id.sudo().name)) for handover in self]
