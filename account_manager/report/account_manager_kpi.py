import datetime
import time

from dateutil.relativedelta import relativedelta
from lxml import etree

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools.safe_eval import safe_eval

from ..models.input_check import InputCheck


class AccountManagerKpi(InputCheck, models.Model):
    """A number on the account management dashboard.

    Each indicator is a saved filter of one analysis: an action (the report
    it opens) and the name of a filter of that action's search view. The
    number is computed from that very filter, as the current user, so it
    always equals the length of the list the tile opens, record rules
    included. Administrators may reorder, rename or archive indicators, and
    add their own from any filter of a report.
    """

    _name = 'account.manager.kpi'
    _description = 'Account Management Indicator'
    _order = 'sequence, id'

    name = fields.Char(required=True, translate=True)
    description = fields.Char(translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    action_id = fields.Many2one(
        'ir.actions.act_window', string='Analysis', required=True,
        ondelete='cascade',
        help="The analysis the indicator counts in and opens.")
    filter_name = fields.Char(
        required=True,
        help="Name of the filter of the analysis' search view that selects "
             "the records counted.")
    measure = fields.Selection([
        ('count', 'Number of records'),
        ('median_resolution_hours', 'Median resolution hours'),
    ], required=True, default='count')
    alert_above = fields.Float(
        default=0.0,
        help="The tile turns red when the value is above this threshold.")
    value = fields.Float(compute='_compute_value', digits=(16, 1))
    value_display = fields.Char(compute='_compute_value', string='Value')
    alert = fields.Boolean(compute='_compute_value')

    def _compute_value(self):
        for kpi in self:
            model, domain = kpi._get_model_domain()
            if kpi.measure == 'median_resolution_hours':
                value = model._resolution_stats(domain)['median']
                display = _('%.1f h') % value if value is not None else '-'
            else:
                value = model.search_count(domain)
                display = '%d' % value
            kpi.value = value or 0.0
            kpi.value_display = display
            kpi.alert = (value or 0.0) > kpi.alert_above

    @api.constrains('action_id', 'filter_name', 'measure')
    def _check_filter(self):
        for kpi in self:
            try:
                model, domain = kpi._get_model_domain()
            except UserError as error:
                raise ValidationError(error.name)
            if kpi.measure == 'median_resolution_hours' and \
                    not hasattr(model, '_resolution_stats'):
                raise ValidationError(_(
                    "The indicator %s measures resolution hours, which only "
                    "the escalation analysis provides.") % kpi.name)

    @api.multi
    def action_open(self):
        """The analysis, in list view, with the indicator's filter on."""
        self._ensure_one_record()
        action = self.action_id.read()[0]
        context = safe_eval(action.get('context') or '{}', self._eval_context())
        context.update({'search_default_%s' % self.filter_name: 1})
        action.update({
            'display_name': self.name,
            'name': self.name,
            'context': context,
            'view_mode': _list_first(action.get('view_mode')),
            'views': sorted(action.get('views') or [],
                            key=lambda v: v[1] != 'tree'),
        })
        return action

    def _get_model_domain(self):
        """The model and domain of the indicator, as its list shows it: the
        action's domain and the filter's, evaluated for the current user."""
        self.ensure_one()
        action = self.action_id
        model = self.env[action.res_model]
        eval_context = self._eval_context()
        domain = safe_eval(action.domain or '[]', eval_context)
        view = model.fields_view_get(
            view_id=action.search_view_id.id or None, view_type='search')
        nodes = etree.fromstring(view['arch']).xpath(
            "//filter[@name=$name]", name=self.filter_name)
        if not nodes or not nodes[0].get('domain'):
            raise UserError(_(
                "The indicator %s refers to the filter %s, which the search "
                "view of %s does not have (or has no domain).") % (
                self.name, self.filter_name, action.name))
        return model, domain + safe_eval(nodes[0].get('domain'), eval_context)

    def _eval_context(self):
        """What a search view's domains may use in the web client."""
        today = fields.Date.context_today(self)
        return {
            'uid': self.env.uid,
            'user': self.env.user,
            'context_today': lambda: fields.Date.from_string(today),
            'datetime': datetime,
            'relativedelta': relativedelta,
            'time': time,
        }


def _list_first(view_mode):
    modes = (view_mode or 'tree').split(',')
    return ','.join(sorted(modes, key=lambda mode: mode != 'tree'))
