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
        follower = super(MailFollowers, self).create(vals)
        follower._check_document_access()
        return follower

    @api.multi
    def write(self, vals):
        res = super(MailFollowers, self).write(vals)
        if {'res_model', 'res_id', 'partner_id', 'channel_id'} & set(vals):
            self._check_document_access()
        return res

    @api.multi
    def _check_document_access(self):
        if self.env.uid == SUPERUSER_ID:
            return
        me = self.env.user.partner_id
        for follower in self.sudo():
            if not (follower.res_model and follower.res_id):
                continue
            operation = 'read' if follower.partner_id == me and not follower.channel_id \
                else 'write'
            document = self.env[follower.res_model].browse(follower.res_id)
            try:
                document.check_access_rights(operation)
                document.check_access_rule(operation)
            except AccessError:
                raise AccessError(_(
                    "You cannot make %s follow this %s (id %d): following a "
                    "document needs the right to %s it.") % (
                    follower.partner_id.name or follower.channel_id.name,
                    document._description, follower.res_id,
                    _('read') if operation == 'read' else _('edit'))) from None
