import base64
import io
from datetime import timedelta

import xlsxwriter

from odoo import _, api, fields, models
from ..models.input_check import InputCheck

READ_CHUNK = 1000


class AccountManagerReportExport(InputCheck, models.TransientModel):
    """The analyses as one spreadsheet, for directors who work in Excel.

    Built with XlsxWriter (a dependency of Odoo itself) rather than the
    community report_xlsx addon, so the addon keeps depending on mail and
    contacts only. Rows are read through the ORM as the user, so the file
    holds what the user's record rules let them see, like the analyses.
    """

    _name = 'account.manager.report.export'
    _description = 'Export Account Management Analyses'

    manager_id = fields.Many2one(
        'account.manager', string='Team of',
        help="Only the accounts, managers and escalations of this manager "
             "and everybody below them. Empty: everything you can see.")
    date_from = fields.Date(
        string='Escalations From', help="Escalations raised on or after this day.")
    date_to = fields.Date(
        string='Escalations To', help="Escalations raised on or before this day.")
    data = fields.Binary(string='File', readonly=True, attachment=False)
    filename = fields.Char(readonly=True)

    @api.model
    def default_get(self, fields_list):
        values = super(AccountManagerReportExport, self).default_get(fields_list)
        context = self.env.context
        if context.get('active_model') == 'account.manager' and \
                len(context.get('active_ids') or []) == 1:
            values['manager_id'] = context['active_ids'][0]
        return values

    @api.multi
    def action_export(self):
        self._ensure_one_record()
        self.write({
            'data': base64.b64encode(self._build_workbook()),
            'filename': _('Account management analysis %s.xlsx') % (
                fields.Date.context_today(self)),
        })
        # Downloaded by a client action that also closes the dialog.
        return {
            'type': 'ir.actions.client',
            'tag': 'account_manager_download',
            'params': {'url': '/web/content', 'data': {
                'model': self._name, 'id': self.id, 'field': 'data',
                'filename_field': 'filename', 'download': True}},
        }

    def _build_workbook(self):
        output = io.BytesIO()
        workbook = xlsxwriter.Workbook(output, {'in_memory': True})
        formats = {
            'title': workbook.add_format({'bold': True, 'font_size': 14}),
            'header': workbook.add_format({
                'bold': True, 'bg_color': '#D9E1F2', 'border': 1, 'text_wrap': True}),
            'bold': workbook.add_format({'bold': True}),
            'datetime': workbook.add_format({'num_format': 'yyyy-mm-dd hh:mm'}),
            'date': workbook.add_format({'num_format': 'yyyy-mm-dd'}),
            'number': workbook.add_format({'num_format': '0.0'}),
            'integer': workbook.add_format({'num_format': '#,##0'}),
            'float': workbook.add_format({'num_format': '#,##0.00'}),
        }
        self._write_summary(workbook.add_worksheet(_('Summary')), formats)
        for title, model, domain, field_names in self._get_sheets():
            self._write_table(
                workbook.add_worksheet(title), formats, model, domain, field_names)
        workbook.close()
        return output.getvalue()

    def _get_sheets(self):
        """(sheet title, report model, domain, columns): the extension point
        for another addon to add a sheet or a column."""
        return [
            (_('Portfolio'), 'account.manager.portfolio.report',
             self._portfolio_domain(),
             ['partner_id', 'account_parent_id', 'manager_id', 'tier_id',
              'parent_manager_id', 'national_manager_id', 'global_manager_id',
              'territory_id', 'territory_type', 'country_id', 'required_tier_id',
              'tier_ok', 'open_escalation_count', 'company_id']),
            (_('Workload'), 'account.manager.workload.report',
             self._workload_domain(),
             ['manager_id', 'tier_id', 'parent_id', 'national_manager_id',
              'account_count', 'capacity', 'free_capacity', 'load',
              'overloaded', 'idle', 'absent', 'company_id']),
            (_('Escalations'), 'account.escalation.report',
             self._escalation_domain(),
             ['escalation_id', 'partner_id', 'account_manager_id', 'manager_id',
              'tier_id', 'territory_id', 'severity', 'state', 'date', 'deadline',
              'date_resolved', 'is_overdue', 'resolution_hours', 'hop_count',
              'company_id']),
        ]

    def _portfolio_domain(self):
        if self.manager_id:
            return [('manager_id', 'child_of', self.manager_id.id)]
        return []

    def _workload_domain(self):
        if self.manager_id:
            return [('manager_id', 'child_of', self.manager_id.id)]
        return []

    def _escalation_domain(self):
        domain = []
        if self.manager_id:
            domain.append(('account_manager_id', 'child_of', self.manager_id.id))
        if self.date_from:
            domain.append(('date', '>=', self.date_from))
        if self.date_to:
            domain.append(('date', '<', fields.Date.to_string(
                fields.Date.from_string(self.date_to) + timedelta(days=1))))
        return domain

    def _write_summary(self, sheet, formats):
        Portfolio = self.env['account.manager.portfolio.report']
        Workload = self.env['account.manager.workload.report']
        Escalation = self.env['account.escalation.report']
        portfolio = self._portfolio_domain()
        workload = self._workload_domain()
        escalations = self._escalation_domain()
        sheet.set_column(0, 0, 38)
        sheet.set_column(1, 6, 14)
        sheet.write(0, 0, _('Account management analysis'), formats['title'])
        sheet.write(1, 0, _('Scope'))
        sheet.write(1, 1, _('Team of %s') % self.manager_id.name
                    if self.manager_id else _('Everything visible to %s') % self.env.user.name)
        sheet.write(2, 0, _('Generated on'))
        sheet.write(2, 1, fields.Datetime.to_string(
            fields.Datetime.context_timestamp(self, fields.Datetime.from_string(
                fields.Datetime.now()))))
        figures = [
            (_('Accounts'), Portfolio.search_count(portfolio)),
            (_('Accounts without manager'),
             Portfolio.search_count(portfolio + [('has_manager', '=', False)])),
            (_('Accounts without territory'),
             Portfolio.search_count(portfolio + [('has_territory', '=', False)])),
            (_('Accounts below their required tier'),
             Portfolio.search_count(portfolio + [('required_tier_id', '!=', False),
                                                 ('tier_ok', '=', False)])),
            (_('Managers'), Workload.search_count(workload)),
            (_('Managers over capacity'),
             Workload.search_count(workload + [('overloaded', '=', True)])),
            (_('Managers without accounts'),
             Workload.search_count(workload + [('idle', '=', True)])),
        ]
        row = 4
        for label, value in figures:
            sheet.write(row, 0, label)
            sheet.write_number(row, 1, value)
            row += 1

        row += 1
        sheet.write(row, 0, _('Escalations'), formats['bold'])
        headers = [_('Escalations'), _('Open'), _('Overdue'), _('Resolved'),
                   _('Average resolution hours'), _('Median resolution hours')]
        sheet.write_row(row, 1, headers, formats['header'])
        severities = Escalation.fields_get(['severity'])['severity']['selection']
        lines = [(_('All severities'), escalations)] + [
            (label, escalations + [('severity', '=', key)]) for key, label in severities]
        for label, domain in lines:
            row += 1
            stats = Escalation._resolution_stats(domain)
            sheet.write(row, 0, label)
            for col, key in enumerate(
                    ['count', 'open', 'overdue', 'resolved', 'avg', 'median'], 1):
                if stats[key] is not None:
                    sheet.write_number(row, col, stats[key], formats['number']
                                       if key in ('avg', 'median') else None)

    def _write_table(self, sheet, formats, model_name, domain, field_names):
        Model = self.env[model_name]
        model_fields = Model.fields_get(field_names)
        sheet.write_row(0, 0, [model_fields[f]['string'] for f in field_names],
                        formats['header'])
        sheet.freeze_panes(1, 0)
        for col, name in enumerate(field_names):
            sheet.set_column(col, col, 12 if model_fields[name]['type'] in (
                'integer', 'float', 'boolean') else 24)
        ids = Model.search(domain).ids
        row = 0
        for start in range(0, len(ids), READ_CHUNK):
            records = Model.browse(ids[start:start + READ_CHUNK]).read(
                field_names, load='_classic_write')
            names = self._display_names(records, model_fields)
            for record in records:
                row += 1
                blank = self._blank_columns(model_name, record)
                for col, name in enumerate(field_names):
                    value = False if name in blank else record[name]
                    if name in names and value:
                        value = (value, names[name].get(value, '')) \
                            if value in names[name] else False
                    self._write_cell(sheet, row, col, value,
                                     model_fields[name], formats)
        sheet.autofilter(0, 0, max(row, 1), len(field_names) - 1)

    @api.model
    def _blank_columns(self, model_name, record):
        """Columns that mean nothing for this row and stay empty rather than
        showing 0: the resolution hours of an escalation not resolved."""
        if model_name == 'account.escalation.report' and record.get('state') != 'resolved':
            return {'resolution_hours'}
        return set()

    def _display_names(self, records, model_fields):
        """{many2one field: {id: display name}} for a chunk of rows, one
        read of display_name per related model. Reading the rows with their
        names instead would load every column of each related account into
        the cache: minutes for a hundred thousand accounts."""
        names = {}
        for name, field in model_fields.items():
            if field['type'] != 'many2one':
                continue
            ids = list({record[name] for record in records if record[name]})
            # Only the records the user may read are named (a row in reach
            # may point at a group account out of reach): the others are
            # left blank.
            Related = self.env[field['relation']].with_context(active_test=False)
            readable = Related.search([('id', 'in', ids)]).ids
            names[name] = {r['id']: r['display_name']
                           for r in Related.browse(readable).read(['display_name'])}
        return names

    def _write_cell(self, sheet, row, col, value, field, formats):
        ftype = field['type']
        if ftype == 'boolean':
            sheet.write(row, col, _('Yes') if value else _('No'))
        elif value is False or value is None:
            return
        elif ftype == 'many2one':
            sheet.write_string(row, col, value[1])
        elif ftype == 'selection':
            sheet.write_string(row, col, dict(field['selection']).get(value, value))
        elif ftype == 'datetime':
            sheet.write_datetime(row, col, fields.Datetime.context_timestamp(
                self, fields.Datetime.from_string(value)).replace(tzinfo=None),
                formats['datetime'])
        elif ftype == 'date':
            sheet.write_datetime(row, col, fields.Datetime.from_string(value),
                                 formats['date'])
        elif ftype == 'integer':
            sheet.write_number(row, col, value, formats['integer'])
        elif ftype in ('float', 'monetary'):
            sheet.write_number(row, col, value, formats['float'])
        else:
            sheet.write(row, col, value)
