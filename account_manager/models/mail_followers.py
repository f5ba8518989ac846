from odoo import SUPERUSER_ID, _, api, models
from odoo.exceptions import AccessError

from .access_guard import DocumentRuleMixin


class MailFollowers(DocumentRuleMixin, models.Model):
    """Following a document is reading its messages (and receiving them by
    e-mail): Odoo 11 lets any internal user create a follower row for
    themselves on any document. Here a row is only written by someone who
    may read the document (themselves as follower) or write it (anybody
    else as follower), as ``message_subscribe`` asks; and a restricted user
    lists only the followers of documents in their reach."""
    _inherit = 'mail.followers'

    @api.model
    def _document_rule_exceptions(self):
        return [('"mail_followers"."partner_id" = %s', [self.env.user.partner_id.id])]

    @api.model
    def create(self, vals):
        self._check_document_access([vals])
        return super(MailFollowers, self).create(vals)

    @api.multi
    def write(self, vals):
        if {'res_model', 'res_id', 'partner_id', 'channel_id'} & set(vals):
            self._check_document_access([dict({
                'res_model': follower.res_model, 'res_id': follower.res_id,
                'partner_id': follower.partner_id.id, 'channel_id': follower.channel_id.id,
            }, **vals) for follower in self.sudo()])
        return super(MailFollowers, self).write(vals)

    @api.model
    def _check_document_access(self, rows):
        """Refuse follower rows (as dicts of values) on documents the user
        may not read (themselves as follower) or write (anybody else)."""
        if self.env.uid == SUPERUSER_ID:
            return
        me = self.env.user.partner_id.id
        for row in rows:
            if not (row.get('res_model') and row.get('res_id')):
                continue
            if row['res_model'] not in self.env:
                continue
            operation = 'read' if row.get('partner_id') == me and not row.get('channel_id') \
                else 'write'
            document = self.env[row['res_model']].browse(row['res_id'])
            try:
                document.check_access_rights(operation)
                document.check_access_rule(operation)
            except AccessError:
                follower = self.env['res.partner'].sudo().browse(row.get('partner_id')).name \
                    or self.env['mail.channel'].sudo().browse(row.get('channel_id')).name
                raise AccessError(_(
                    "You cannot make %s follow this %s (id %s): following a "
                    "document needs the right to %s it.") % (
                    follower, document._description, row['res_id'],
                    _('read') if operation == 'read' else _('edit'))) from None
