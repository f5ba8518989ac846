import logging
from collections import OrderedDict
from datetime import datetime, timedelta

import pytz

from odoo import SUPERUSER_ID, _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import html_escape

from odoo.addons.queue_job.job import job

from .account_manager_reassignment import JOB_CHANNEL

_logger = logging.getLogger(__name__)

SEVERITIES = [
    ('low', 'Low'),
    ('normal', 'Normal'),
    ('high', 'High'),
    ('critical', 'Critical'),
]

# Kanban colour index per severity (Odoo 11 palette: 1 red, 2 orange,
# 4 light blue, 0 none).
SEVERITY_COLORS = {'low': 0, 'normal': 4, 'high': 2, 'critical': 1}

OPEN_STATES = ('open', 'acknowledged')

# Escalations listed by name in one notification; the rest are counted.
NOTIFY_LIST_LIMIT = 20
# Targets notified per background job of the scheduled action.
NOTIFY_JOB_TARGETS = 50
# What a notification job needs of a hop (plain values: jobs store JSON).
NOTIFY_HOP_KEYS = ('id', 'name', 'partner', 'subject', 'severity', 'to_partner')


def _to_datetime(value):
    if not value:
        return datetime.utcnow()
    if isinstance(value, datetime):
        return value
    return fields.Datetime.from_string(value)


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
    manager_user_id = fields.Many2one(
        'res.users', related='manager_id.user_id', readonly=True,
        string='Holder User')
    state = fields.Selection([
        ('open', 'Open'),
        ('acknowledged', 'Acknowledged'),
        ('resolved', 'Resolved'),
        ('cancelled', 'Cancelled'),
    ], default='open', required=True, index=True, track_visibility='onchange',
        group_expand='_expand_states')
    deadline = fields.Datetime(index=True, track_visibility='onchange')
    date_escalated = fields.Datetime(
        string='Received On', readonly=True, copy=False,
        help="When the current holder received the escalation: the SLA "
             "deadline runs from here.")
    hop_count = fields.Integer(string='Hops', readonly=True)
    top_reached = fields.Boolean(
        string='Nobody Above', readonly=True, copy=False,
        help="The scheduled action found nobody available above the holder "
             "and stopped escalating it automatically.")
    date_acknowledged = fields.Datetime(readonly=True)
    date_resolved = fields.Datetime(readonly=True)
    resolution = fields.Text()
    resolution_hours = fields.Float(readonly=True, group_operator='avg')
    company_id = fields.Many2one(
        'res.company', index=True,
        default=lambda self: self.env['res.company']._company_default_get(
            'account.escalation'))
    is_overdue = fields.Boolean(
        compute='_compute_is_overdue', search='_search_is_overdue',
        string='Overdue',
        help="Open, not acknowledged, and past its deadline.")
    severity_color = fields.Integer(compute='_compute_severity_color')
    in_my_team = fields.Boolean(
        compute='_compute_in_my_team', search='_search_in_my_team',
        string="Held by My Team",
        help="Held by the current user or by a manager below them.")

    can_handle = fields.Boolean(
        compute='_compute_user_rights',
        help="Technical: the current user may acknowledge, resolve and "
             "escalate further (the buttons are hidden otherwise).")
    can_withdraw = fields.Boolean(
        compute='_compute_user_rights',
        help="Technical: the current user may cancel and reopen.")

    def _compute_user_rights(self):
        saved = self.filtered(lambda e: isinstance(e.id, int))
        rights = self.env.user._account_manager_escalation_rights(saved)
        for escalation in self:
            allowed = rights.get(escalation.id, ())
            escalation.can_handle = 'handle' in allowed
            escalation.can_withdraw = 'withdraw' in allowed

    def _expand_states(self, states, domain, order):
        """Kanban columns in the life-cycle's order; Open and Acknowledged
        even when empty, closed states when they have cards."""
        return [key for key, _label in self._fields['state'].selection
                if key in OPEN_STATES or key in states]

    def _compute_is_overdue(self):
        now = fields.Datetime.now()
        for escalation in self:
            escalation.is_overdue = (
                escalation.state == 'open' and bool(escalation.deadline)
                and escalation.deadline < now)

    def _search_is_overdue(self, operator, value):
        domain = ['&', ('state', '=', 'open'),
                  ('deadline', '<', fields.Datetime.now())]
        if (operator == '=') == bool(value):
            return domain
        return ['!'] + domain

    @api.depends('severity')
    def _compute_severity_color(self):
        for escalation in self:
            escalation.severity_color = SEVERITY_COLORS.get(escalation.severity, 0)

    def _compute_in_my_team(self):
        mine = self.search([('id', 'in', self.ids), ('in_my_team', '=', True)])
        for escalation in self:
            escalation.in_my_team = escalation in mine

    def _search_in_my_team(self, operator, value):
        managers = self.env['account.manager'].sudo().search(
            [('user_id', '=', self.env.uid)])
        positive = (operator == '=') == bool(value)
        if not managers:
            return [('id', '=', 0)] if positive else []
        domain = [('manager_id', 'child_of', managers.ids)]
        return domain if positive else ['!'] + domain

    @api.model
    def create(self, vals):
        if not self._is_escalation_admin():
            # Escalations start open, with the Escalate wizard as the way to
            # hand them to someone.
            protected = [
                f for f in self._fields_changed_by_actions()
                if vals.get(f) and f not in (
                    'partner_id', 'company_id', 'origin_manager_id', 'raised_by_id')
                and not (f == 'state' and vals[f] == 'open')]
            if protected:
                raise AccessError(_(
                    "Raise escalations with Escalate… on the account: their "
                    "holder, state and dates are not set by hand (%s).") % ', '.join(
                    self._fields[f].string for f in sorted(protected)))
            # Who raised it and who held the account then are facts, not
            # the client's say.
            vals['raised_by_id'] = self.env.uid
            if vals.get('partner_id'):
                vals['origin_manager_id'] = self.env['res.partner'].sudo().browse(
                    vals['partner_id']).commercial_partner_id.account_manager_id.id
        if vals.get('name', '/') == '/':
            vals['name'] = self.env['ir.sequence'].next_by_code(
                'account.escalation') or '/'
        return super(AccountEscalation, self).create(vals)

    @api.multi
    def write(self, vals):
        if not self._is_escalation_admin():
            protected = set(vals) & set(self._fields_changed_by_actions())
            if protected:
                raise AccessError(_(
                    "The account, holder, state and dates of an escalation "
                    "change through its buttons and the Escalate wizard, not "
                    "by editing them (%s: %s).") % (
                    ', '.join(self.mapped('name')),
                    ', '.join(self._fields[f].string for f in sorted(protected))))
            closed = self.filtered(lambda e: e.state not in OPEN_STATES)
            if closed:
                raise AccessError(_(
                    "Resolved and cancelled escalations are kept as they were "
                    "closed: %s. Reopen one to change it.") % ', '.join(
                    closed.mapped('name')))
        res = super(AccountEscalation, self).write(vals)
        if 'severity' in vals and 'deadline' not in vals:
            # A change of severity changes the response time the holder has,
            # counted from when they received the escalation.
            self.filtered(
                lambda e: e.state in OPEN_STATES and e.date_escalated
            )._reschedule_deadline()
        return res

    @api.model
    def _demo_date_raised(self, ids):
        """Demo data only: an escalation loaded from a data file is created
        at load time; it was raised when its first holder received it."""
        self.env['account.manager.bulk']._backdate_creation(self._name, ids, 'date_escalated')

    @api.model
    def _fields_changed_by_actions(self):
        return ['partner_id', 'company_id', 'state', 'manager_id', 'deadline',
                'date_escalated', 'hop_count', 'top_reached',
                'date_acknowledged', 'date_resolved', 'resolution_hours',
                'origin_manager_id', 'raised_by_id']

    @api.model
    def _is_escalation_admin(self):
        return self.env.uid == SUPERUSER_ID or self.env.user.has_group(
            'account_manager.group_account_admin')

    # ------------------------------------------------------------------
    # Buttons
    # ------------------------------------------------------------------

    @api.multi
    def action_acknowledge(self):
        """The holder takes the concern on: it stops the clock (the
        scheduled action leaves acknowledged escalations alone)."""
        self._check_public_call()
        if not self:
            return True
        self._check_state(('open',), _("acknowledged"))
        self._check_holder_rights(_("acknowledge"))
        self._transition({
            'state': 'acknowledged',
            'date_acknowledged': fields.Datetime.now(),
        }, _("Acknowledged"))
        self._mark_activities_done(_("Acknowledged"))
        return True

    @api.multi
    def action_resolve(self):
        self._check_public_call()
        if not self:
            return True
        self._check_can_resolve()
        missing = self.filtered(lambda e: not (e.resolution or '').strip())
        if missing:
            raise UserError(_(
                "Write down how the concern was resolved (Resolution tab, "
                "or the Resolve button's dialog) before resolving: %s") % ', '.join(
                '%s (%s)' % (e.name, e.partner_id.display_name) for e in missing))
        now = _to_datetime(fields.Datetime.now())
        self._mark_activities_done(_("Resolved"))
        for escalation in self:
            created = _to_datetime(escalation.create_date)
            escalation._transition({
                'state': 'resolved',
                'date_resolved': fields.Datetime.to_string(now),
                'resolution_hours': max(
                    (now - created).total_seconds() / 3600.0, 0.0),
            }, _("Resolved: %s") % html_escape(escalation.resolution),
                subtype='account_manager.mt_account_escalation_resolved')
        return True

    @api.multi
    def _check_can_resolve(self):
        self._check_state(OPEN_STATES, _("resolved"))
        self._check_holder_rights(_("resolve"))

    @api.multi
    def action_resolve_wizard(self):
        """The Resolve button: asks how the concern was resolved."""
        self._ensure_one_record()
        self._check_can_resolve()
        action = self.env.ref(
            'account_manager.account_escalation_resolve_wizard_action').read()[0]
        action['context'] = {'active_model': self._name, 'active_id': self.id,
                             'active_ids': self.ids}
        return action

    @api.multi
    def action_cancel(self):
        self._check_public_call()
        if not self:
            return True
        self._check_state(OPEN_STATES, _("cancelled"))
        self._check_holder_rights(_("cancel"), allow_raiser=True)
        self._escalation_activities().unlink()
        self._transition({'state': 'cancelled'}, _("Cancelled"))
        return True

    @api.multi
    def action_reopen(self):
        """Back to the current holder, with a fresh deadline."""
        self._check_public_call()
        if not self:
            return True
        self._check_state(('resolved', 'cancelled'), _("reopened"))
        self._check_holder_rights(_("reopen"), allow_raiser=True)
        now = _to_datetime(fields.Datetime.now())
        for escalation in self:
            escalation._transition({
                'state': 'open',
                'date_escalated': fields.Datetime.to_string(now),
                'deadline': escalation._get_deadline(now),
                'date_acknowledged': False,
                'date_resolved': False,
                'resolution_hours': 0.0,
                'top_reached': False,
            }, _("Reopened"))
        reopened = self.sudo()
        reopened._replace_escalation_activities([{
            'id': e.id, 'name': e.name, 'subject': e.subject,
            'to_user': e.manager_id.user_id, 'to_partner': e.manager_id.user_id.partner_id.id,
            'deadline': e.deadline,
        } for e in reopened if e.manager_id])
        reopened.invalidate_cache(ids=reopened.ids)
        return True

    @api.multi
    def action_escalate_further(self):
        """Open the wizard on this escalation ("Escalate further…")."""
        self._ensure_one_record()
        self._check_state(OPEN_STATES, _("escalated further"))
        self._check_holder_rights(_("escalate further"))
        action = self.env.ref(
            'account_manager.account_escalation_wizard_action').read()[0]
        action['context'] = {
            'active_model': self._name,
            'active_id': self.id,
            'active_ids': self.ids,
        }
        return action

    # ------------------------------------------------------------------
    # Scheduled action
    # ------------------------------------------------------------------

    @api.model
    def _cron_auto_escalate(self, now=None, batch_size=100, autocommit=False):
        """Escalate one level up every open, unacknowledged escalation whose
        deadline is before ``now``.

        The ids are read once, then handled in chunks browsed on their own,
        each at a constant number of queries (see ``_escalate``); a loop
        over one big recordset would reload all of it whenever the cache is
        cleared. ``autocommit`` (the cron passes it) keeps the work done so
        far when a later chunk fails. Each target is notified once at the
        end, whatever the number of escalations they received."""
        now = fields.Datetime.to_string(_to_datetime(now))
        ids = self.search(self._auto_escalate_domain(now), order='deadline, id').ids
        _logger.info("Auto-escalating %d overdue escalation(s)", len(ids))
        hops = []
        for start in range(0, len(ids), batch_size):
            batch = self.browse(ids[start:start + batch_size])
            hops += batch._auto_escalate(now)
            if autocommit:
                self.env.cr.commit()  # pylint: disable=invalid-commit
            self.env.cache.invalidate()
        self._enqueue_notifications(hops, _("deadline passed"), self.env.user.partner_id)
        if autocommit:
            self.env.cr.commit()  # pylint: disable=invalid-commit
        return True

    @api.model
    def _enqueue_notifications(self, hops, reason, author):
        """The scheduled action's notifications, as queue_job jobs of up to
        ``NOTIFY_JOB_TARGETS`` targets each: one message per target, sent by
        the job runner's workers instead of the cron's one transaction."""
        by_target = OrderedDict()
        for hop in hops:
            by_target.setdefault(hop['to_partner'], []).append(
                {key: hop[key] for key in NOTIFY_HOP_KEYS})
        targets = list(by_target)
        for start in range(0, len(targets), NOTIFY_JOB_TARGETS):
            chunk = targets[start:start + NOTIFY_JOB_TARGETS]
            self.with_delay(
                channel=JOB_CHANNEL,
                description=_("Escalation notifications: %d manager(s)") % len(chunk),
            )._job_notify_targets(
                [hop for target in chunk for hop in by_target[target]], reason, author.id)

    @job(default_channel=JOB_CHANNEL)
    @api.model
    def _job_notify_targets(self, hops, reason, author_id):
        """A queue_job job: notify the targets of ``hops`` (see
        ``_notify_targets``)."""
        self.sudo()._notify_targets(hops, reason, self.env['res.partner'].browse(author_id))
        return _("%d escalation(s) notified") % len(hops)

    @api.model
    def _auto_escalate_domain(self, now):
        return [('state', '=', 'open'), ('deadline', '<', now),
                ('top_reached', '=', False)]

    @api.multi
    def _auto_escalate(self, now):
        # Re-check: the holder may have acknowledged since the ids were read.
        due = self.search([('id', 'in', self.ids)] + self._auto_escalate_domain(now))
        due._prefetch_hierarchy()
        targets = {}
        stuck = self.browse()
        for escalation in due:
            target = escalation._get_escalation_target(escalation.manager_id)
            if target:
                targets[escalation.id] = target
            else:
                stuck |= escalation
        stuck._mark_top_reached()
        return due.filtered(lambda e: e.id in targets)._escalate(
            targets, now=now, reason=_("deadline passed"), notify=False)

    @api.multi
    def _prefetch_hierarchy(self):
        """Read the holders and every manager above them (with their
        backups and tiers) one level of the hierarchy at a time, so that
        finding each escalation's target costs no query of its own: a
        batch's queries then depend on the depth of the hierarchy, not on
        how many different holders the batch has."""
        level = self.mapped('manager_id').sudo()
        seen = self.env['account.manager'].sudo()
        while level:
            seen |= level
            level.mapped('tier_id.level')
            level.mapped('backup_manager_id.tier_id.level')
            level = level.mapped('parent_id') - seen

    @api.multi
    def _mark_top_reached(self):
        """Leave one note, then stop: the scheduled action skips these until
        someone escalates or reopens them."""
        if not self:
            return
        messages = [{
            'model': self._name, 'res_id': escalation.id, 'record_name': escalation.name,
            'body': '<p>%s</p>' % (_(
                "The deadline has passed and nobody is available above %s: "
                "the escalation stays with them and is no longer escalated "
                "automatically.") % html_escape(escalation.manager_id.name or _("(no holder)"))),
        } for escalation in self]
        self.write({'top_reached': True})
        self._log_messages(messages, self.env.user.partner_id)

    # ------------------------------------------------------------------
    # Escalation mechanics
    # ------------------------------------------------------------------

    @api.model
    def _get_escalation_target(self, manager):
        """Who receives an escalation held by (or raised from) ``manager``:
        the nearest manager above who is available, or that manager's backup
        when they are absent or archived. When the backup is unavailable
        too, or does not rank above ``manager`` (an escalation never goes
        down or sideways), the walk continues upwards. Returns an empty
        recordset at the top.

        ``self`` is the escalation being escalated, or an empty recordset
        for a new one: overrides may route on severity, account, etc."""
        Manager = self.env['account.manager']
        if not manager:
            return Manager
        start = manager.sudo()
        candidate = start.parent_id
        seen = set()
        while candidate and candidate.id not in seen:
            seen.add(candidate.id)
            if self._is_available_for_escalation(candidate):
                return Manager.browse(candidate.id)
            backup = candidate.backup_manager_id
            if backup and backup.tier_id.level > start.tier_id.level \
                    and self._is_available_for_escalation(backup):
                return Manager.browse(backup.id)
            candidate = candidate.parent_id
        return Manager

    @api.model
    def _is_available_for_escalation(self, manager):
        """Archived and absent managers receive no escalations."""
        return manager.active and not manager.absent

    @api.model
    def _get_sla_hours(self, severity, company=None):
        company = company or self.env.user.company_id
        return company['account_escalation_sla_%s' % severity] or 0.0

    @api.model
    def _get_sla_deadline(self, start, severity, company=None):
        """The one place the SLA deadline is computed: ``start`` plus the
        response time ``company`` (else the user's) gives ``severity``. The
        wizard's preview, the escalation itself and the scheduled action
        all ask it."""
        hours = self._get_sla_hours(severity, company) if severity else 0.0
        return fields.Datetime.to_string(_to_datetime(start) + timedelta(hours=hours))

    @api.multi
    def _get_deadline(self, start, severity=None):
        self.ensure_one()
        return self._get_sla_deadline(
            start, severity or self.severity, self.company_id or self.env.user.company_id)

    @api.multi
    def _reschedule_deadline(self):
        for escalation in self:
            deadline = escalation._get_deadline(escalation.date_escalated)
            # Past the guard in write(): the deadline follows the severity.
            super(AccountEscalation, escalation).write(  # pylint: disable=super-method-mismatch
                {'deadline': deadline})
            escalation._escalation_activities().sudo().write(
                {'date_deadline': escalation._activity_date(deadline)})
        return True

    @api.multi
    def _escalate(self, targets, now=None, reason=None, author=None, notify=True):
        """Hand each escalation of ``self`` to ``targets[escalation.id]``:
        one hop. Moves the holder and restarts the SLA clock, replaces the
        previous holder's Escalation activity by one for the target, makes
        the target a follower, records the hop on the escalation (with the
        holder and deadline changes) and on the account, and notifies each
        target once.

        Built for many records at a time (the scheduled action): the writes
        are grouped and the activities, followers and chatter entries are
        inserted in one statement each, so a batch costs the same number of
        queries whatever its size. Through the ORM, an activity cost 24
        queries and a logged message 30 (with the notification e-mail
        rendered for each), which made 10,000 hops take hours."""
        if not self:
            return []
        now = _to_datetime(now)
        author = author or self.env.user.partner_id
        Manager = self.env['account.manager']
        severity_labels = dict(self._fields['severity']._description_selection(self.env))

        # Read the related records in one query per model: many2one values
        # only join the prefetch as they are accessed.
        self.mapped('partner_id.display_name')
        self.mapped('manager_id.name')
        self.mapped('origin_manager_id.name')
        target_records = Manager.browse(list({t.id for t in targets.values()}))
        target_records.mapped('user_id.partner_id')
        target_by_id = {target.id: target for target in target_records}
        hops = []
        for escalation in self:
            target = target_by_id[targets[escalation.id].id]
            previous = escalation.manager_id
            hops.append({
                'id': escalation.id,
                'name': escalation.name,
                'subject': escalation.subject,
                'partner_id': escalation.partner_id.id,
                'partner': escalation.partner_id.display_name,
                'from': previous.name or escalation.origin_manager_id.name,
                'from_holder_id': previous.id,
                'from_holder': previous.name or '',
                'to': target.name,
                'to_id': target.id,
                'to_user': target.user_id,
                'to_partner': target.user_id.partner_id.id,
                'severity': severity_labels.get(escalation.severity),
                'old_deadline': escalation.deadline,
                'deadline': escalation._get_deadline(now),
                'hop_count': escalation.hop_count + 1,
            })

        # One statement for the batch, whatever the number of targets and
        # deadlines (an ORM write per (target, deadline) made the cost of a
        # batch depend on how its escalations spread). The ORM's own
        # tracking is off here anyway: the hop is logged below.
        self.env['account.manager.bulk']._hand_escalations(
            [(hop['id'], hop['to_id'], hop['deadline'], hop['hop_count']) for hop in hops],
            fields.Datetime.to_string(now))

        self._replace_escalation_activities(hops)

        field_desc = {name: self._fields[name].get_description(self.env)['string']
                      for name in ('manager_id', 'deadline')}
        messages = []
        escalated_from, escalated_to = _("Escalated from %s to %s"), _("Escalated to %s")
        for hop in hops:
            if hop['from']:
                text = escalated_from % (html_escape(hop['from']), html_escape(hop['to']))
            else:
                text = escalated_to % html_escape(hop['to'])
            details = [hop['severity']] + ([html_escape(reason)] if reason else [])
            messages.append({
                'model': self._name, 'res_id': hop['id'], 'record_name': hop['name'],
                'body': '<p>%s (%s)</p>' % (text, '; '.join(details)),
                'tracking': [{
                    'field': 'manager_id', 'field_desc': field_desc['manager_id'],
                    'field_type': 'many2one',
                    'old_value_integer': hop['from_holder_id'] or 0,
                    'old_value_char': hop['from_holder'],
                    'new_value_integer': hop['to_id'],
                    'new_value_char': hop['to'],
                }, {
                    'field': 'deadline', 'field_desc': field_desc['deadline'],
                    'field_type': 'datetime',
                    'old_value_datetime': hop['old_deadline'] or None,
                    'new_value_datetime': hop['deadline'],
                }],
            })
        by_account = {}
        for hop in hops:
            by_account.setdefault(hop['partner_id'], []).append(hop)
        account_line = _('<a href="#" data-oe-model="account.escalation" data-oe-id="%d">'
                         '%s</a> "%s" (%s) escalated to %s')
        for partner_id, account_hops in by_account.items():
            lines = [
                account_line % (
                    hop['id'], html_escape(hop['name']), html_escape(hop['subject']),
                    hop['severity'], html_escape(hop['to']))
                for hop in account_hops]
            messages.append({
                'model': 'res.partner', 'res_id': partner_id,
                'record_name': account_hops[0]['partner'],
                'body': '<p>%s</p>' % '<br/>'.join(lines),
            })
        self._log_messages(messages, author)
        self.env.cache.invalidate()
        if notify:
            self._notify_targets(hops, reason, author)
        return [{key: hop[key] for key in (
            'id', 'name', 'partner', 'subject', 'severity', 'to_partner')} for hop in hops]

    @api.multi
    def _replace_escalation_activities(self, hops):
        """One activity of the shipped Escalation type per escalation, for
        its new holder's user, due on the deadline's date in that user's
        timezone; the previous ones go (escalating onwards is not handling
        it, so they are removed rather than marked done). The holders follow
        their escalations."""
        activity_type = self.env.ref('account_manager.mail_activity_type_escalation')
        summary = _("%s: %s")
        rows = [{
            'res_id': hop['id'], 'res_name': hop['name'],
            'summary': summary % (hop['name'], hop['subject']),
            'date_deadline': self._activity_date(hop['deadline'], hop['to_user']),
            'user_id': hop['to_user'].id, 'partner_id': hop['to_partner'],
        } for hop in hops]
        self.env['account.manager.mail.bulk']._replace_activities(
            self._name, activity_type, self.ids, rows)
        if not rows:
            return
        # Like mail.activity, tell the web client of activities due today or
        # earlier (its counter shows those); new deadlines are rarely that
        # close. The previous holders' counters catch up when they open
        # their activities.
        today = fields.Date.context_today(self)
        due_now = sorted({row['partner_id'] for row in rows if row['date_deadline'] <= today})
        if due_now:
            self.env['account.manager.mail.bulk']._send_bus([
                ((self.env.cr.dbname, 'res.partner', partner_id),
                 {'type': 'activity_updated', 'activity_created': True})
                for partner_id in due_now])

    @api.model
    def _log_messages(self, messages, author):
        """Log chatter notes (no notification) through the bulk chatter
        writer: ``messages`` are dicts with ``model``, ``res_id``,
        ``record_name``, ``body`` and optionally ``tracking``."""
        Bulk = self.env['account.manager.mail.bulk']
        by_model = {}
        for message in messages:
            by_model.setdefault(message['model'], []).append(message)
        for model, notes in sorted(by_model.items()):
            Bulk._log_notes(
                model, [m['res_id'] for m in notes], [m['body'] for m in notes], author,
                record_names=[m['record_name'] for m in notes],
                tracking=[m.get('tracking') for m in notes])

    @api.model
    def _notify_targets(self, hops, reason, author):
        """One message per target listing what they received, in their
        inbox or by e-mail as they chose: a manager receiving fifty overdue
        escalations at night gets one message, not fifty."""
        by_target = {}
        for hop in hops:
            by_target.setdefault(hop['to_partner'], []).append(hop)
        base_url = self.env['ir.config_parameter'].sudo().get_param('web.base.url')
        for partner_id, target_hops in by_target.items():
            lines = [
                '<li><a href="%s/web#id=%d&amp;model=account.escalation&amp;view_type=form">'
                '%s</a> %s: %s (%s)</li>' % (
                    base_url, hop['id'], html_escape(hop['name']),
                    html_escape(hop['partner']), html_escape(hop['subject']),
                    hop['severity'])
                for hop in target_hops[:NOTIFY_LIST_LIMIT]]
            if len(target_hops) > NOTIFY_LIST_LIMIT:
                lines.append('<li>%s</li>' % _(
                    "… and %d more: see Escalations, My Escalations") % (
                    len(target_hops) - NOTIFY_LIST_LIMIT))
            if len(target_hops) == 1:
                subject = _("Escalation %s: %s") % (
                    target_hops[0]['name'], target_hops[0]['subject'])
                intro = _("An escalation was escalated to you")
            else:
                subject = _("%d escalations for you") % len(target_hops)
                intro = _("%d escalations were escalated to you") % len(target_hops)
            if reason:
                intro = '%s (%s)' % (intro, html_escape(reason))
            self.env['mail.thread'].message_post(
                body=_('<p>%s:</p><ul>%s</ul>') % (intro, ''.join(lines)),
                subject=subject, author_id=author.id, partner_ids=[partner_id],
                subtype='mail.mt_comment', message_type='comment')

    @api.model
    def _activity_date(self, deadline, user=None):
        """The deadline's date as seen by ``user`` (activities are dated)."""
        tz = pytz.timezone((user and user.tz) or 'UTC')
        local = pytz.utc.localize(_to_datetime(deadline)).astimezone(tz)
        return fields.Date.to_string(local.date())

    @api.multi
    def _escalation_activities(self):
        activity_type = self.env.ref('account_manager.mail_activity_type_escalation')
        return self.env['mail.activity'].sudo().search([
            ('res_model', '=', self._name), ('res_id', 'in', self.ids),
            ('activity_type_id', '=', activity_type.id)])

    @api.multi
    def _mark_activities_done(self, feedback):
        """Like mail.activity's action_feedback, but signed by the user who
        acted (the activity may belong to the holder while a manager above
        them acts)."""
        activities = self._escalation_activities()
        subtype_id = self.env.ref('mail.mt_activities').id
        author_id = self.env.user.partner_id.id
        for activity in activities:
            activity.feedback = feedback
            self.browse(activity.res_id).sudo().message_post_with_view(
                'mail.message_activity_done',
                values={'activity': activity},
                subtype_id=subtype_id,
                mail_activity_type_id=activity.activity_type_id.id,
                author_id=author_id,
            )
        activities.unlink()

    # ------------------------------------------------------------------
    # Rights and states
    # ------------------------------------------------------------------

    @api.multi
    def _transition(self, vals, body, subtype=None):
        """Write ``vals`` with superuser rights (the caller checked the
        user's) and post one message per escalation, signed by the user and
        carrying the tracked changes: the history says who did what, not
        that the superuser did."""
        author_id = self.env.user.partner_id.id
        records = self.sudo().with_context(mail_notrack=True)
        tracked = records._get_tracked_fields(list(vals))
        initial = {r.id: {f: r[f] for f in tracked} for r in records}
        records.write(vals)
        for record in records:
            tracking = record._message_track(tracked, initial[record.id])[1]
            record.message_post(
                body=body, subtype=subtype, author_id=author_id,
                tracking_value_ids=tracking)

    @api.multi
    def _check_state(self, allowed, verb):
        states = dict(self._fields['state']._description_selection(self.env))
        wrong = self.filtered(lambda e: e.state not in allowed)
        if wrong:
            raise UserError(_(
                "Only escalations in state %s can be %s:\n%s") % (
                _(" or ").join(states[s] for s in allowed), verb,
                '\n'.join('- %s (%s) is %s' % (
                    e.name, e.partner_id.display_name, states[e.state])
                    for e in wrong)))

    @api.multi
    def _check_holder_rights(self, verb, allow_raiser=False):
        """Escalations are handled by their holder, the holder's backup, any
        manager above the holder, or an account administrator; cancelling
        and reopening also by whoever raised it (the policy:
        ``res.users._account_manager_escalation_rights``)."""
        right = 'withdraw' if allow_raiser else 'handle'
        rights = self.env.user._account_manager_escalation_rights(self)
        wrong = self.filtered(lambda e: right not in rights.get(e.id, ()))
        if wrong:
            raise AccessError(_(
                "You cannot %s these escalations: only their holder, the "
                "holder's backup, the managers above the holder or an "
                "account administrator can%s.\n%s") % (
                verb, _(", and whoever raised it") if allow_raiser else '',
                '\n'.join(_('- %s (%s), held by %s') % (
                    e.name, e.sudo().partner_id.display_name,
                    e.sudo().manager_id.name or _('nobody'))
                    for e in wrong)))

    @api.model
    def _is_at_or_above(self, manager, other):
        """Whether ``manager`` is ``other`` or above them in the hierarchy."""
        if not (manager and other):
            return False
        return bool(self.env['account.manager'].sudo().search_count([
            ('id', '=', other.id), ('id', 'child_of', manager.id)]))

    @api.model
    def _get_acting_manager(self, company=None):
        """The current user's active manager record in ``company``."""
        domain = [('user_id', '=', self.env.uid)]
        if company:
            domain.append(('company_id', '=', company.id))
        return self.env['account.manager'].sudo().search(domain, limit=1)
