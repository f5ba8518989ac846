"""The models whose ``create()`` and ``write()`` check their input first
(see ``input_check.py``).  Loaded after every other model file of the addon,
so that the check runs before the addon's own overrides.  Also where the
records a model points to must belong to its company."""
from odoo import api, models

from .access_guard import AutoJoinGuard
from .input_check import InputCheck


class AccountManagerTier(InputCheck, models.Model):
    _inherit = 'account.manager.tier'


class AccountManager(InputCheck, models.Model):
    _inherit = 'account.manager'  # pylint: disable=consider-merging-classes-inherited

    @api.constrains('company_id', 'parent_id', 'backup_manager_id')
    def _check_company(self):
        self._check_same_company('parent_id', 'backup_manager_id')
        self.mapped('child_ids')._check_same_company('parent_id')


class AccountTerritory(InputCheck, models.Model):
    _inherit = 'account.territory'

    @api.constrains('company_id', 'parent_id', 'manager_id')
    def _check_company(self):
        self._check_same_company('parent_id', 'manager_id')


class AccountTerritoryRule(InputCheck, models.Model):
    _inherit = 'account.territory.rule'


class AccountManagerAssignment(AutoJoinGuard, InputCheck, models.Model):
    _inherit = 'account.manager.assignment'


class AccountManagerReassignment(InputCheck, models.Model):
    _inherit = 'account.manager.reassignment'


class AccountEscalation(AutoJoinGuard, InputCheck, models.Model):
    _inherit = 'account.escalation'

    @api.constrains('company_id', 'manager_id', 'partner_id')
    def _check_company(self):
        self._check_same_company('manager_id', 'partner_id')


class ResPartner(InputCheck, models.Model):
    _inherit = 'res.partner'
    # Only the addon's fields: the rest of the partner is Odoo's business.
    _input_check_module = 'account_manager'

    @api.constrains('company_id', 'account_manager_id', 'territory_id')
    def _check_company(self):
        self._check_same_company('account_manager_id', 'territory_id')


class ResCompany(InputCheck, models.Model):
    _inherit = 'res.company'
    _input_check_module = 'account_manager'
