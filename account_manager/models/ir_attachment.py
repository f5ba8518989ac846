from odoo import SUPERUSER_ID, api, models


class IrAttachment(models.Model):
    """Attachments follow their document in Odoo 11's ``search`` but not in
    ``read_group``: a restricted user's grouped counts are taken over the
    attachments their search returns (as for messages), so that neither a
    count nor a file name of a hidden account shows."""
    _inherit = 'ir.attachment'

    @api.model
    def read_group(self, domain, fields, groupby, offset=0, limit=None,
                   orderby=False, lazy=True):
        if self.env.uid != SUPERUSER_ID and self.env.user._account_manager_is_restricted():
            domain = [('id', 'in', self.search(domain or []).ids)]
        return super(IrAttachment, self).read_group(
            domain, fields, groupby, offset=offset, limit=limit, orderby=orderby, lazy=lazy)
