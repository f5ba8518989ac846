from odoo import _, api, models
from odoo.exceptions import AccessError


class AccountManager(models.Model):
    _inherit = 'account.manager'

    @api.model
    def action_adopt_salespersons(self):
        """Adopt an existing sales organisation: every internal user who is
        the salesperson (``user_id``) of accounts without an account manager
        becomes an Account Manager (unless already one) and gets those
        accounts, with history origin ``import``, and the *Own Accounts*
        group when in none of the addon's groups.

        Set-based: one search finds the salespersons, managers are created
        per user, accounts are written per manager. Accounts whose required
        tier is above the new manager's tier are left alone (the tier rule
        would refuse them); run it again after raising the tier. Running it
        twice changes nothing the second time."""
        self._check_record_ids()
        if not self.env.user.has_group('account_manager.group_account_admin'):
            raise AccessError(_(
                "Only an Account Management administrator may create managers "
                "from salespersons."))
        tier = self.env.ref('account_manager.tier_account_manager')
        # Every account, whoever may read it: the administrator adopts the
        # whole sales organisation.
        candidates = self.env['res.partner'].sudo().search([
            ('account_manager_id', '=', False), ('user_id', '!=', False),
            ('user_id.share', '=', False),
            '|', ('is_company', '=', True), ('parent_id', '=', False),
        ], order='id')
        partner_ids_by_user = {}
        for partner in candidates:
            partner_ids_by_user.setdefault(partner.user_id.id, []).append(partner.id)
        if not partner_ids_by_user:
            return self._adopt_result(self.browse())
        users = self.env['res.users'].browse(list(partner_ids_by_user))
        managers = self.with_context(active_test=False).search(
            [('user_id', 'in', users.ids)])
        manager_by_user = {}
        for manager in managers:
            # Prefer the manager in the user's own company, and an active one.
            current = manager_by_user.get(manager.user_id.id)
            if not current or (manager.active, manager.company_id == manager.user_id.company_id) > (
                    current.active, current.company_id == current.user_id.company_id):
                manager_by_user[manager.user_id.id] = manager
        created = self.browse()
        for user in users - managers.mapped('user_id'):
            created |= self.create({
                'user_id': user.id,
                'tier_id': tier.id,
                'company_id': user.company_id.id,
            })
        for manager in created:
            manager_by_user[manager.user_id.id] = manager
        self._grant_manager_group(created.mapped('user_id'))
        Partner = self.env['res.partner'].with_context(tracking_disable=True)
        adopted = Partner.browse()
        for user_id, partner_ids in partner_ids_by_user.items():
            manager = manager_by_user[user_id]
            if not manager.active:
                continue
            level = manager.tier_id.level
            accounts = Partner.browse(partner_ids).filtered(
                lambda p, level=level: p.required_tier_id.level <= level)
            if accounts:
                accounts._write_account_manager(
                    manager, origin='import', reason=_('Adopted from the salesperson'))
                adopted |= accounts
        return self._adopt_result(created, adopted)

    @api.model
    def _grant_manager_group(self, users):
        """Adopted salespersons become Account Managers: those in none of
        the addon's groups get *Own Accounts*, the group of that tier (one
        already in a wider group keeps it)."""
        own = self.env.ref('account_manager.group_own_accounts')
        newcomers = users.filtered(lambda user: own not in user.groups_id)
        if newcomers:
            # The administrator adopts; the group is theirs to give.
            newcomers.sudo().write({'groups_id': [(4, own.id)]})

    @api.model
    def _adopt_result(self, created, adopted=None):
        """The managers list, showing those who received accounts."""
        adopted = adopted or self.env['res.partner']
        managers = created | adopted.mapped('account_manager_id')
        action = self.env.ref('account_manager.account_manager_action').read()[0]
        action['domain'] = [('id', 'in', managers.ids)]
        action['context'] = {'adopted_account_count': len(adopted)}
        return action
