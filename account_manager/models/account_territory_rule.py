from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from .territory_keys import zip_key


class AccountTerritoryRule(models.Model):
    """One way for an account to fall into a territory.

    A rule matches an account when every criterion it sets matches (an
    empty criterion matches everything). A territory with rules matches an
    account inside its own geography that matches at least one of its rules;
    see ``res.partner._territory_match_query`` for the whole picture."""
    _name = 'account.territory.rule'
    _description = 'Territory Assignment Rule'
    _order = 'priority desc, id'

    territory_id = fields.Many2one(
        'account.territory', required=True, index=True, ondelete='cascade')
    priority = fields.Integer(
        default=10,
        help="Between two matching territories of the same type, the one "
             "whose rule has the higher priority wins.")
    territory_type = fields.Selection(
        related='territory_id.territory_type', readonly=True, store=True)
    manager_id = fields.Many2one(
        'account.manager', related='territory_id.manager_id', readonly=True,
        string='Responsible Manager')
    country_ids = fields.Many2many(
        'res.country', 'account_territory_rule_country_rel', 'rule_id',
        'country_id', string='Countries',
        help="The account's country is one of these.")
    state_ids = fields.Many2many(
        'res.country.state', 'account_territory_rule_state_rel', 'rule_id',
        'state_id', string='States',
        help="The account's state is one of these.")
    zip_from = fields.Char(
        string='Zip From',
        help="Zip codes compare as text, without spaces and case-insensitive; "
             "both bounds are included and work as prefixes (75 – 77 covers "
             "75000 to 77999).")
    zip_to = fields.Char(string='Zip To')
    industry_ids = fields.Many2many(
        'res.partner.industry', 'account_territory_rule_industry_rel',
        'rule_id', 'industry_id', string='Industries',
        help="The account's industry is one of these.")
    category_ids = fields.Many2many(
        'res.partner.category', 'account_territory_rule_category_rel',
        'rule_id', 'category_id', string='Tags',
        help="The account carries at least one of these tags.")
    company_id = fields.Many2one(
        'res.company', related='territory_id.company_id', readonly=True,
        store=True, index=True)

    @api.multi
    def name_get(self):
        return [(rule.id, '%s: %s' % (rule.territory_id.complete_name, rule._describe()))
                for rule in self]

    def _describe(self):
        """The rule's criteria in one line, for names and messages."""
        self.ensure_one()
        parts = []
        if self.country_ids:
            parts.append(', '.join(self.country_ids.mapped('name')))
        if self.state_ids:
            parts.append(', '.join(self.state_ids.mapped('name')))
        if self.zip_from or self.zip_to:
            parts.append(_('zip %s – %s') % (self.zip_from or '…', self.zip_to or '…'))
        if self.industry_ids:
            parts.append(', '.join(self.industry_ids.mapped('name')))
        if self.category_ids:
            parts.append(_('tags %s') % ', '.join(self.category_ids.mapped('name')))
        return ' · '.join(parts) or _('every account')

    @api.constrains('zip_from', 'zip_to', 'country_ids', 'state_ids', 'territory_id')
    def _check_criteria(self):
        """A rule that can match nothing is a configuration mistake that
        would only show up as accounts silently landing elsewhere: refuse it
        and say why."""
        errors = []
        for rule in self:
            errors += rule._criteria_errors()
        if errors:
            raise ValidationError('\n'.join(errors))

    def _criteria_errors(self):
        self.ensure_one()
        errors = []
        label = self.display_name
        territory = self.territory_id
        if zip_key(self.zip_from) and zip_key(self.zip_to) \
                and zip_key(self.zip_from) > zip_key(self.zip_to):
            errors.append(_(
                "Rule %s: the zip range is inverted (%s is after %s). "
                "Swap the bounds.") % (label, self.zip_from, self.zip_to))
        if self.country_ids:
            stray = self.state_ids.filtered(lambda s: s.country_id not in self.country_ids)
            if stray:
                errors.append(_(
                    "Rule %s: the states %s are not in the rule's countries (%s), "
                    "so the rule could never match. Add their country or remove "
                    "them.") % (label, ', '.join(stray.mapped('name')),
                                ', '.join(self.country_ids.mapped('name'))))
        # Rules narrow their territory: they must overlap its geography.
        if territory.country_ids:
            outside = self.country_ids - territory.country_ids
            if outside:
                errors.append(_(
                    "Rule %s: %s is outside the territory's countries (%s); "
                    "the rule could never match.") % (
                    label, ', '.join(outside.mapped('name')),
                    ', '.join(territory.country_ids.mapped('name'))))
            outside = self.state_ids.filtered(
                lambda s: s.country_id not in territory.country_ids)
            if outside:
                errors.append(_(
                    "Rule %s: the states %s are outside the territory's "
                    "countries (%s); the rule could never match.") % (
                    label, ', '.join(outside.mapped('name')),
                    ', '.join(territory.country_ids.mapped('name'))))
        if territory.state_ids:
            outside = self.state_ids - territory.state_ids
            if outside:
                errors.append(_(
                    "Rule %s: the states %s are outside the territory's states "
                    "(%s); the rule could never match.") % (
                    label, ', '.join(outside.mapped('name')),
                    ', '.join(territory.state_ids.mapped('name'))))
        if not _zip_ranges_overlap(territory.zip_from, territory.zip_to,
                                   self.zip_from, self.zip_to):
            errors.append(_(
                "Rule %s: the zip range %s – %s lies outside the territory's "
                "range %s – %s; the rule could never match.") % (
                label, self.zip_from or '…', self.zip_to or '…',
                territory.zip_from or '…', territory.zip_to or '…'))
        return errors


def _zip_ranges_overlap(from1, to1, from2, to2):
    """Whether two inclusive prefix ranges share at least one zip code.
    Open bounds (empty) extend to infinity."""
    lows = [zip_key(v) for v in (from1, from2) if zip_key(v)]
    highs = [zip_key(v) for v in (to1, to2) if zip_key(v)]
    if not lows or not highs:
        return True
    low, high = max(lows), min(highs)
    # A prefix bound 'high' covers every code starting with it.
    return low[:len(high)] <= high
