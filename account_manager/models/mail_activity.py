from odoo import api, models

from .access_guard import DocumentRuleMixin


class MailActivity(DocumentRuleMixin, models.Model):
    """Odoo 11 reads every activity for every internal user: a restricted
    user lists only the activities of documents in their reach, and those
    assigned to them."""
    _inherit = 'mail.activity'

    @api.model
    def _document_rule_exceptions(self):
        return [('"mail_activity"."user_id" = %s', [self.env.uid])]
