from odoo import api, fields, models

from .territory_keys import TERRITORY_TYPE_RANK, TERRITORY_TYPES  # noqa: F401 (re-exported)


class AccountManagerTier(models.Model):
    _name = 'account.manager.tier'
    _description = 'Account Manager Tier'
    _order = 'level, id'

    name = fields.Char(required=True, translate=True)
    code = fields.Char(required=True)
    level = fields.Integer(
        required=True,
        help="Seniority: a manager reports to a manager of a strictly "
             "higher level, and an account that requires this tier needs "
             "a manager at this level or above.")
    default_capacity = fields.Integer(
        help="Accounts a manager of this tier usually holds; 0 means "
             "unlimited. New managers start with this capacity.")
    strict_capacity = fields.Boolean(
        help="Refuse, rather than only warn, assignments that take a "
             "manager of this tier over capacity.")
    territory_type = fields.Selection(
        TERRITORY_TYPES,
        help="The kind of territory a manager of this tier usually covers.")
    active = fields.Boolean(default=True)
    manager_ids = fields.One2many('account.manager', 'tier_id', string='Managers')
    manager_count = fields.Integer(compute='_compute_manager_count')

    _sql_constraints = [
        ('code_unique', 'unique(code)', 'Tier codes must be unique.'),
        ('level_unique', 'unique(level)', 'Two tiers cannot have the same level.'),
        ('default_capacity_positive', 'CHECK(default_capacity >= 0)',
         'The default capacity of a tier cannot be negative (0 means unlimited).'),
    ]

    def _compute_manager_count(self):
        data = self.env['account.manager'].read_group(
            [('tier_id', 'in', self.ids)], ['tier_id'], ['tier_id'])
        counts = {d['tier_id'][0]: d['tier_id_count'] for d in data}
        for tier in self:
            tier.manager_count = counts.get(tier.id, 0)

    @api.constrains('level')
    def _check_level(self):
        """A tier's new level must keep every hierarchy and every account
        requirement that relies on it valid."""
        managers = self.env['account.manager'].search([('tier_id', 'in', self.ids)])
        managers._check_parent_tier()
        partners = self.env['res.partner'].search([
            '|', ('account_manager_tier_id', 'in', self.ids),
            ('required_tier_id', 'in', self.ids)])
        partners._check_required_tier()
