from collections import defaultdict

from odoo import api, models

from ..models.res_partner import ACCOUNT_DOMAIN


class ReportAccountManagerPortfolio(models.AbstractModel):
    """Data of the printable account portfolio of a manager, read in a few
    batched searches for all printed managers at once, as the user (a
    manager's page lists only what the reader may see)."""

    _name = 'report.account_manager.report_account_manager_portfolio'
    _description = 'Account Portfolio (PDF)'

    @api.model
    def get_report_values(self, docids, data=None):
        managers = self.env['account.manager'].browse(docids)
        return {
            'doc_ids': managers.ids,
            'doc_model': 'account.manager',
            'docs': managers,
            'portfolio': self._get_portfolio(managers),
        }

    @api.model
    def _get_portfolio(self, managers):
        """{manager id: {'accounts', 'contacts' (by account id),
        'escalations', 'team'}}"""
        Partner = self.env['res.partner']
        accounts = Partner.search(
            [('account_manager_id', 'in', managers.ids)] + ACCOUNT_DOMAIN)
        contacts = Partner.search([
            ('parent_id', 'in', accounts.ids), ('is_company', '=', False)])
        escalations = self.env['account.escalation'].search([
            ('state', 'in', ('open', 'acknowledged')),
            '|', ('partner_id', 'in', accounts.ids),
            ('manager_id', 'in', managers.ids),
        ], order='deadline, id')
        team = self.env['account.manager'].search(
            [('id', 'child_of', managers.ids)], order='parent_left')
        by_manager = _group(accounts, lambda a: a.account_manager_id.id)
        by_account = _group(contacts, lambda c: c.parent_id.id)
        result = {}
        for manager in managers:
            own_accounts = by_manager.get(manager.id, Partner)
            account_ids = set(own_accounts.ids)
            result[manager.id] = {
                'accounts': own_accounts,
                'contacts': {a.id: by_account.get(a.id, Partner) for a in own_accounts},
                'escalations': escalations.filtered(
                    lambda e, account_ids=account_ids, manager=manager:
                    e.partner_id.id in account_ids or e.manager_id == manager),
                'team': team.filtered(
                    lambda m, manager=manager:
                    manager.parent_left < m.parent_left < manager.parent_right),
            }
        return result


def _group(records, key):
    """{key: recordset}, keeping the records' order."""
    ids = defaultdict(list)
    for record in records:
        ids[key(record)].append(record.id)
    return {k: records.browse(v) for k, v in ids.items()}
