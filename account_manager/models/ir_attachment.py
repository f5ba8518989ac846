from odoo import models

from .access_guard import ReadGroupThroughSearch


class IrAttachment(ReadGroupThroughSearch, models.Model):
    """Attachments follow their document in Odoo 11's ``search`` but not in
    ``read_group``: see ``ReadGroupThroughSearch``."""
    _inherit = 'ir.attachment'
