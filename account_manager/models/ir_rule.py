from collections.abc import Mapping

from odoo import api, models


class AccountManagerReach(Mapping):
    """The current user's reach, computed on first use.

    Odoo evaluates the rule context for every model and mode it computes
    rules for; most of those rules never read the reach, so its queries
    only run when a rule of this addon asks for it."""

    def __init__(self, user):
        self._user = user
        self._reach = None

    def _get(self):
        if self._reach is None:
            self._reach = self._user._account_manager_reach()
        return self._reach

    def __getitem__(self, key):
        return self._get()[key]

    def __iter__(self):
        return iter(self._get())

    def __len__(self):
        return len(self._get())


class IrRule(models.Model):
    _inherit = 'ir.rule'

    @api.model
    def _eval_context(self):
        """Expose the current user's account-management reach to rule
        domains (see security/account_manager_rules.xml)."""
        context = super(IrRule, self)._eval_context()
        context['account_manager_reach'] = AccountManagerReach(self.env.user)
        return context
