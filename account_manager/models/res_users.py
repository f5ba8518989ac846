from odoo import SUPERUSER_ID, _, api, models
from odoo.exceptions import AccessError
from odoo.osv import expression

GROUP_OWN = 'account_manager.group_own_accounts'
GROUP_TEAM = 'account_manager.group_team_accounts'
GROUP_ALL = 'account_manager.group_all_accounts'
GROUP_ADMIN = 'account_manager.group_account_admin'


class ResUsers(models.Model):
    """The addon's rights policy, in one place.

    Three questions have one answer each, asked by the record rules, the
    wizards, the buttons and the partner form alike:

    - what a user reaches (``_account_manager_reach``, which the record
      rules read, and ``_account_manager_is_restricted``);
    - whom a user may hand which accounts to
      (``_account_manager_reassign_team``,
      ``_account_manager_check_reassign``, ``_account_manager_check_give``);
    - which escalations a user may act on
      (``_account_manager_escalation_rights``).

    Every method is asked on the user concerned (``env.user`` for the
    caller, ``reassignment.user_id`` for whoever started a background run):
    group checks and rule-bound searches run in that user's environment."""
    _inherit = 'res.users'

    def _am_env_user(self):
        """This user, in an environment whose uid is theirs (has_group and
        record rules read the environment's uid)."""
        self.ensure_one()
        return self.sudo(self.id)

    @api.multi
    def _account_manager_is_superuser(self):
        return self.id == SUPERUSER_ID

    @api.multi
    def _account_manager_is_restricted(self):
        """Whether this addon's record rules restrict the user at all: Own or
        Team Accounts without All Accounts. Cheap (group checks are cached)."""
        user = self._am_env_user()
        return bool(user.has_group(GROUP_OWN) and not user.has_group(GROUP_ALL))

    @api.multi
    def _account_manager_reach(self):
        """What the record rules of this addon let the user see, as id lists.

        Odoo caches rule domains per user, model and mode, so everything that
        depends on the hierarchy is resolved here once (``child_of`` on the
        parent stores) and the rules compare stored, indexed columns with
        these lists. Whoever changes what is read here clears the rule cache
        (managers and territories do it on write).

        Keys:

        - ``restricted``: the rules apply at all. Users outside the addon's
          groups and users with All Accounts are not restricted.
        - ``manager_ids``: managers whose accounts the user sees: those the
          user is or stands in for (as their backup), and for Team Accounts
          everybody below them.
        - ``team_manager_ids``: those managers and everybody below them,
          whatever the group: the user sees the escalations they hold (the
          hierarchy above a holder follows the escalation).
        - ``territory_ids``: territories whose accounts the user sees (Team
          Accounts: those they or the managers they stand in for are
          responsible for, and their sub-territories).
        - ``partner_ids``: partners the user always sees (their own, their
          companies').
        - ``partner_read_extra``: a domain of further partners the user may
          read, OR-ed into the read rule (empty here; the glue addons add
          the customers of the user's own documents: see
          ``_account_manager_partner_read_extra``).
        """
        self.ensure_one()
        user = self._am_env_user()
        reach = {
            'restricted': False,
            'manager_ids': [],
            'team_manager_ids': [],
            'territory_ids': [],
            'partner_ids': [],
            'partner_read_extra': [],
        }
        if not self._account_manager_is_restricted():
            return reach
        reach['restricted'] = True
        reach['partner_ids'] = (self.sudo().partner_id
                                | self.sudo().company_ids.mapped('partner_id')).ids
        extra = self._account_manager_partner_read_extra()
        reach['partner_read_extra'] = expression.OR(extra) if extra else []
        stand_in = self._account_manager_stand_in()
        if not stand_in:
            return reach
        team = stand_in.search([('id', 'child_of', stand_in.ids)])
        reach['team_manager_ids'] = team.ids
        if user.has_group(GROUP_TEAM):
            Territory = self.env['account.territory'].sudo().with_context(active_test=False)
            responsible = Territory.search([('manager_id', 'in', stand_in.ids)])
            reach['manager_ids'] = team.ids
            reach['territory_ids'] = Territory.search(
                [('id', 'child_of', responsible.ids)]).ids if responsible else []
        else:
            reach['manager_ids'] = stand_in.ids
        return reach

    def _account_manager_partner_read_extra(self):
        """Domains of the partners a restricted user reads beyond their
        reach, each compared at query time (no id list, so nothing to go
        stale in the rule cache). None here: an addon that gives users
        documents of their own (orders, leads, invoices) adds the customers
        of those documents, so that opening one's own document never ends
        in an access error on its customer."""
        return []

    def _account_manager_stand_in(self):
        """The managers the user acts as: their own manager records and the
        managers whose backup they are (a backup stands in for them)."""
        Manager = self.env['account.manager'].sudo().with_context(active_test=False)
        mine = Manager.search([('user_id', '=', self.id), ('active', '=', True)])
        if not mine:
            return mine
        return mine | Manager.search([
            ('backup_manager_id', 'in', mine.ids), ('active', '=', True)])

    # ------------------------------------------------------------------
    # Who may hand which accounts to whom
    # ------------------------------------------------------------------

    @api.multi
    def _account_manager_reassign_team(self):
        """The managers the user may move accounts between with the
        Reassign wizard: None when they are not restricted (All Accounts,
        administrators), else the managers below their own manager records,
        themselves included (empty for Own Accounts and users outside the
        addon's groups: a handover is their team lead's call)."""
        self.ensure_one()
        user = self._am_env_user()
        if self._account_manager_is_superuser() or user.has_group(GROUP_ALL):
            return None
        Manager = self.env['account.manager'].sudo().with_context(active_test=False)
        if not user.has_group(GROUP_TEAM):
            return Manager
        mine = Manager.search([('user_id', '=', self.id)])
        return Manager.search([('id', 'child_of', mine.ids)]) if mine else Manager

    @api.multi
    def _account_manager_may_reassign(self):
        """Whether the user may use the Reassign wizard at all."""
        team = self._account_manager_reassign_team()
        return team is None or bool(team)

    @api.multi
    def _account_manager_check_in_reach(self, model, ids):
        """Every requested record must be visible to the user: a rule that
        silently hides some would make a wizard "succeed" on fewer."""
        ids = list(set(ids))
        if not ids:
            return
        Model = self.env[model].sudo(self.id).with_context(active_test=False)
        hidden = sorted(set(ids) - set(Model.search([('id', 'in', ids)]).ids))
        if hidden:
            raise AccessError(_(
                "%d of the records to reassign are outside your access (%s, "
                "ids %s). Reassign only records you can see, or ask your "
                "manager.") % (
                len(hidden), Model._description,
                ', '.join(str(i) for i in hidden[:20]) + (' …' if len(hidden) > 20 else '')))

    @api.multi
    def _account_manager_check_reassign(self, accounts, to_manager):
        """Refuse (AccessError) a handover of ``accounts`` to ``to_manager``
        that this user may not make:

        - All Accounts (and administrators): anything.
        - Team Accounts (a team lead): accounts in their reach that are held
          by their team (the managers below them, themselves included) or
          by nobody, to an active manager of their team.
        - Own Accounts only, or none of the addon's groups: nothing.

        Asked by the wizard before it queues or runs anything, and again by
        a background run for whoever started it (their rights may have
        changed since)."""
        self.ensure_one()
        team = self._account_manager_reassign_team()
        if team is not None and not team:
            raise AccessError(_(
                "Only team leads and account administrators can reassign "
                "accounts (%s cannot). Ask your team lead to hand these "
                "accounts over.") % self.sudo().name)
        if not self._account_manager_is_superuser():
            self._account_manager_check_in_reach('res.partner', accounts.ids)
        if team is None:
            return
        outside = self.env['res.partner'].sudo().with_context(active_test=False).search([
            ('id', 'in', accounts.ids), ('account_manager_id', '!=', False),
            ('account_manager_id', 'not in', team.ids)], order='display_name')
        if outside:
            raise AccessError(_(
                "You can reassign only the accounts of your team. These are "
                "held by managers outside it:\n%s") % '\n'.join(
                '- %s (%s)' % (p.display_name, p.account_manager_id.name)
                for p in outside[:20]) + (
                _('\n… and %d more') % (len(outside) - 20) if len(outside) > 20 else ''))
        if to_manager not in team:
            raise AccessError(_(
                "You can hand accounts only to a manager of your team; %s is "
                "not in it.") % to_manager.sudo().name)

    @api.multi
    def _account_manager_check_give(self, manager_id, partners):
        """Refuse giving ``partners`` to ``manager_id`` by editing the
        account (form, import, RPC ``write``/``create``) beyond the user's
        reach: Own Accounts may give accounts to themselves or to whom they
        stand in for, Team Accounts to their team. Without this a manager
        could give an account away from its form and lose sight of it."""
        self.ensure_one()
        if not manager_id or self._account_manager_is_superuser():
            return
        reach = self._account_manager_reach()
        if reach['restricted'] and manager_id not in reach['manager_ids']:
            raise AccessError(_(
                "You cannot give accounts to %s, who is outside your team. "
                "Ask your team lead to reassign them:\n%s") % (
                self.env['account.manager'].sudo().browse(manager_id).name,
                '\n'.join('- %s' % name for name in
                          partners.sudo().mapped('display_name')[:20]) or _('- a new account')))

    # ------------------------------------------------------------------
    # Who may act on which escalation
    # ------------------------------------------------------------------

    @api.multi
    def _account_manager_escalation_rights(self, escalations):
        """{escalation id: set of what the user may do with it}, among
        ``handle`` (acknowledge, resolve, escalate further: its holder, the
        holder's backup, any manager above the holder, an account
        administrator) and ``withdraw`` (cancel, reopen: those and whoever
        raised it). The buttons, the Escalate wizard and the views all ask
        this one method."""
        self.ensure_one()
        user = self._am_env_user()
        rights = {}
        if self._account_manager_is_superuser() or user.has_group(GROUP_ADMIN):
            return {escalation.id: {'handle', 'withdraw'} for escalation in escalations}
        Manager = self.env['account.manager'].sudo().with_context(active_test=False)
        mine = Manager.search([('user_id', '=', self.id)])
        records = escalations.sudo()
        holders = records.mapped('manager_id')
        above = Manager.search([
            ('id', 'in', holders.ids), ('id', 'child_of', mine.ids),
        ]) if mine and holders else Manager
        for escalation in records:
            holder = escalation.manager_id
            allowed = set()
            if holder and (holder in above or holder.backup_manager_id.user_id.id == self.id):
                allowed |= {'handle', 'withdraw'}
            if escalation.raised_by_id.id == self.id:
                allowed.add('withdraw')
            rights[escalation.id] = allowed
        return rights
