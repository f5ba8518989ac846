from odoo import api, models


class ResUsers(models.Model):
    _inherit = 'res.users'

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
        """
        self.ensure_one()
        user = self.sudo(self.id)
        reach = {
            'restricted': False,
            'manager_ids': [],
            'team_manager_ids': [],
            'territory_ids': [],
            'partner_ids': [],
        }
        if not user.has_group('account_manager.group_own_accounts') \
                or user.has_group('account_manager.group_all_accounts'):
            return reach
        reach['restricted'] = True
        reach['partner_ids'] = (self.sudo().partner_id
                                | self.sudo().company_ids.mapped('partner_id')).ids
        stand_in = self._account_manager_stand_in()
        if not stand_in:
            return reach
        team = stand_in.search([('id', 'child_of', stand_in.ids)])
        reach['team_manager_ids'] = team.ids
        if user.has_group('account_manager.group_team_accounts'):
            Territory = self.env['account.territory'].sudo().with_context(active_test=False)
            responsible = Territory.search([('manager_id', 'in', stand_in.ids)])
            reach['manager_ids'] = team.ids
            reach['territory_ids'] = Territory.search(
                [('id', 'child_of', responsible.ids)]).ids if responsible else []
        else:
            reach['manager_ids'] = stand_in.ids
        return reach

    def _account_manager_stand_in(self):
        """The managers the user acts as: their own manager records and the
        managers whose backup they are (a backup stands in for them)."""
        Manager = self.env['account.manager'].sudo().with_context(active_test=False)
        mine = Manager.search([('user_id', '=', self.id), ('active', '=', True)])
        if not mine:
            return mine
        return mine | Manager.search([
            ('backup_manager_id', 'in', mine.ids), ('active', '=', True)])
