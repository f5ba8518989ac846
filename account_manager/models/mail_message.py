from odoo import SUPERUSER_ID, api, models


class MailMessage(models.Model):
    """Messages have their own access logic in ``_search`` (author,
    recipients, readable documents), which ``read_group`` bypasses in Odoo
    11: a restricted user's grouped counts are taken over the messages their
    search returns, so that a count is no oracle on hidden documents."""
    _inherit = 'mail.message'

    @api.model
    def read_group(self, domain, fields, groupby, offset=0, limit=None,
                   orderby=False, lazy=True):
        if self.env.uid != SUPERUSER_ID and self.env.user._account_manager_is_restricted():
            domain = [('id', 'in', self.search(domain or []).ids)]
        return super(MailMessage, self).read_group(
            domain, fields, groupby, offset=offset, limit=limit, orderby=orderby, lazy=lazy)
