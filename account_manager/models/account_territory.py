from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from .res_partner import ACCOUNT_DOMAIN
from .account_manager_tier import TERRITORY_TYPE_RANK, TERRITORY_TYPES


class AccountTerritory(models.Model):
    _name = 'account.territory'
    _description = 'Sales Territory'
    _inherit = ['mail.thread']
    _order = 'parent_left'
    _rec_name = 'complete_name'
    _parent_store = True
    _parent_order = 'sequence, name'

    name = fields.Char(required=True, translate=True, track_visibility='onchange')
    code = fields.Char(track_visibility='onchange')
    sequence = fields.Integer(default=10)
    territory_type = fields.Selection(
        TERRITORY_TYPES, string='Type', required=True, default='country',
        track_visibility='onchange')
    parent_id = fields.Many2one(
        'account.territory', string='Parent Territory', index=True,
        ondelete='restrict', track_visibility='onchange')
    child_ids = fields.One2many('account.territory', 'parent_id', string='Sub-territories')
    parent_left = fields.Integer(index=True)
    parent_right = fields.Integer(index=True)
    complete_name = fields.Char(
        compute='_compute_complete_name', store=True, index=True)
    country_ids = fields.Many2many(
        'res.country', 'account_territory_country_rel', 'territory_id',
        'country_id', string='Countries')
    state_ids = fields.Many2many(
        'res.country.state', 'account_territory_state_rel', 'territory_id',
        'state_id', string='States')
    zip_from = fields.Char(string='Zip From')
    zip_to = fields.Char(string='Zip To')
    manager_id = fields.Many2one(
        'account.manager', string='Responsible Manager', index=True,
        ondelete='restrict', track_visibility='onchange')
    account_ids = fields.One2many(
        'res.partner', 'territory_id', string='Accounts',
        domain=ACCOUNT_DOMAIN)
    account_count = fields.Integer(compute='_compute_account_count')
    rule_ids = fields.One2many(
        'account.territory.rule', 'territory_id', string='Assignment Rules',
        help="Accounts inside this territory's geography that match at least "
             "one rule fall into it. Without rules, the geography alone decides.")
    assignment_warning = fields.Char(
        compute='_compute_assignment_warning',
        help="Why accounts matched to this territory would not get a manager from it.")
    active = fields.Boolean(default=True, track_visibility='onchange')
    company_id = fields.Many2one(
        'res.company', index=True,
        default=lambda self: self.env['res.company']._company_default_get('account.territory'))

    _sql_constraints = [
        ('code_company_unique', 'unique(code, company_id)',
         'Territory codes must be unique per company.'),
    ]

    @api.depends('name', 'parent_id.complete_name')
    def _compute_complete_name(self):
        for territory in self:
            if territory.parent_id:
                territory.complete_name = '%s / %s' % (
                    territory.parent_id.complete_name, territory.name)
            else:
                territory.complete_name = territory.name

    def _compute_account_count(self):
        Partner = self.env['res.partner']
        for territory in self:
            territory.account_count = Partner.search_count(
                [('territory_id', 'child_of', territory.id)] + ACCOUNT_DOMAIN
            ) if territory.id else 0

    @api.depends('manager_id', 'manager_id.active', 'rule_ids', 'country_ids',
                 'state_ids', 'zip_from', 'zip_to')
    def _compute_assignment_warning(self):
        for territory in self:
            warning = False
            if territory._is_assignable() and not territory.manager_id.active:
                warning = _(
                    "This territory has no active responsible manager: accounts "
                    "it matches get the territory but keep their manager.")
            territory.assignment_warning = warning

    @api.constrains('parent_id', 'territory_type')
    def _check_parent(self):
        if not self._check_recursion():
            raise ValidationError(_(
                "A territory cannot be inside itself or inside one of its "
                "sub-territories: %s") % ', '.join(self.mapped('complete_name')))
        errors = []
        for territory in self:
            rank = TERRITORY_TYPE_RANK[territory.territory_type]
            parent = territory.parent_id
            if parent and TERRITORY_TYPE_RANK[parent.territory_type] <= rank:
                errors.append(_(
                    "%s (%s) cannot be inside %s (%s): a sub-territory must be "
                    "of a narrower type (global > region > country > area).") % (
                    territory.name, territory._type_label(), parent.complete_name,
                    parent._type_label()))
            for child in territory.child_ids:
                if TERRITORY_TYPE_RANK[child.territory_type] >= rank:
                    errors.append(_(
                        "%s (%s) contains %s (%s): a sub-territory must be of a "
                        "narrower type (global > region > country > area).") % (
                        territory.complete_name, territory._type_label(),
                        child.name, child._type_label()))
        if errors:
            raise ValidationError('\n'.join(errors))

    @api.constrains('zip_from', 'zip_to')
    def _check_zip_range(self):
        wrong = self.filtered(
            lambda t: t.zip_from and t.zip_to and t.zip_from > t.zip_to)
        if wrong:
            raise ValidationError(_(
                "The zip range is inverted (from is after to) on: %s") % ', '.join(
                '%s (%s – %s)' % (t.complete_name, t.zip_from, t.zip_to) for t in wrong))

    @api.constrains('country_ids', 'state_ids', 'zip_from', 'zip_to')
    def _check_geography(self):
        """The geography is itself a matching criterion: states outside the
        countries would make the territory match nothing, and narrowing it
        must keep its rules reachable."""
        errors = []
        for territory in self:
            countries = territory.country_ids
            stray = territory.state_ids.filtered(
                lambda s, countries=countries: countries and s.country_id not in countries)
            if stray:
                errors.append(_(
                    "%s: the states %s are not in the territory's countries (%s), "
                    "so no account could ever match them. Add their country or "
                    "remove them.") % (
                    territory.complete_name, ', '.join(stray.mapped('name')),
                    ', '.join(territory.country_ids.mapped('name'))))
            for rule in territory.rule_ids:
                errors += rule._criteria_errors()
        if errors:
            raise ValidationError('\n'.join(errors))

    def _type_label(self):
        return dict(TERRITORY_TYPES)[self.territory_type]

    @api.model
    def create(self, vals):
        territory = super(AccountTerritory, self).create(vals)
        self.env['ir.rule'].clear_caches()
        return territory

    @api.multi
    def write(self, vals):
        res = super(AccountTerritory, self).write(vals)
        if {'parent_id', 'manager_id', 'active', 'company_id'} & set(vals):
            self.env['ir.rule'].clear_caches()
        return res

    @api.multi
    def action_view_rules(self):
        self._ensure_one_record()
        return {
            'type': 'ir.actions.act_window',
            'name': _('Assignment Rules'),
            'res_model': 'account.territory.rule',
            'view_mode': 'tree,form',
            'domain': [('territory_id', '=', self.id)],
            'context': {'default_territory_id': self.id},
        }

    @api.multi
    def action_view_accounts(self):
        self._ensure_one_record()
        action = self.env.ref('account_manager.res_partner_account_action').read()[0]
        action['domain'] = [('territory_id', 'child_of', self.id)] + ACCOUNT_DOMAIN
        action['context'] = {'default_territory_id': self.id, 'default_is_company': True}
        return action

    def _is_assignable(self):
        """Whether automatic assignment can put accounts in this territory:
        it needs rules or a geography (an empty territory matches nothing)."""
        self.ensure_one()
        return bool(self.rule_ids or self.country_ids or self.state_ids
                    or self.zip_from or self.zip_to)

    def _get_assignment_manager(self, required_tier=None):
        """The manager an account matched to this territory should have.

        The territory's responsible manager, unless the account requires a
        higher tier: then the nearest manager up that manager's reporting
        line who reaches it (the people who oversee the territory's manager
        know the territory), and failing that the nearest manager of an
        enclosing territory who does. Empty when the territory has no active
        manager (nothing is guessed: callers report it) or nobody reaches
        the tier."""
        self.ensure_one()
        Manager = self.env['account.manager']
        manager = self.manager_id
        if not manager.active:
            return Manager
        level = required_tier.level if required_tier else 0
        candidate = manager
        while candidate and (not candidate.active or candidate.tier_id.level < level):
            candidate = candidate.parent_id
        if candidate:
            return candidate
        for territory in self._get_ancestors():
            candidate = territory.manager_id
            if candidate.active and candidate.tier_id.level >= level:
                return candidate
        return Manager

    def _get_ancestors(self):
        """Enclosing territories, nearest first. A walk up ``parent_id``
        (four levels at most) rather than a ``parent_left`` range, which is
        not maintained while the registry loads."""
        self.ensure_one()
        ancestors = self.browse()
        parent = self.parent_id
        while parent and parent not in ancestors:
            ancestors |= parent
            parent = parent.parent_id
        return ancestors.filtered('active')
