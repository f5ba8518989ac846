from odoo import api, fields, models


class QueueJob(models.Model):
    """The addon's background work runs as OCA queue_job jobs; a job of a
    reassignment knows it, so that the reassignment shows its batches, and
    follows their failures and retries."""
    _inherit = 'queue.job'

    account_manager_reassignment_id = fields.Many2one(
        'account.manager.reassignment', string='Reassignment', index=True,
        readonly=True, ondelete='cascade')
    account_manager_batch_size = fields.Integer(
        string='Accounts in Batch', readonly=True)

    @api.multi
    def write(self, vals):
        res = super(QueueJob, self).write(vals)
        if 'state' in vals:
            reassignments = self.mapped('account_manager_reassignment_id')
            if reassignments:
                reassignments._on_jobs_changed()
        return res
