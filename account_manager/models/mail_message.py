from odoo import models

from .access_guard import ReadGroupThroughSearch


class MailMessage(ReadGroupThroughSearch, models.Model):
    """Messages have their own access logic in ``_search`` (author,
    recipients, readable documents), which ``read_group`` bypasses in Odoo
    11: see ``ReadGroupThroughSearch``."""
    _inherit = 'mail.message'
