"""11.0.2.0.0: background reassignments run as OCA queue_job jobs.

The addon's own queue kept the ids of the accounts to move as JSON text on
the reassignment and had a cron carry them out. The reassignments it had not
finished (queued, running, or failed part way) get their remaining accounts
queued as jobs; then the column and the cron go."""
import json

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    cr.execute("""
        SELECT 1 FROM information_schema.columns
         WHERE table_name = 'account_manager_reassignment'
           AND column_name = 'queued_account_ids'
    """)
    if cr.fetchone():
        cr.execute("""
            SELECT id, queued_account_ids, done_count
              FROM account_manager_reassignment
             WHERE state IN ('queued', 'running', 'failed')
               AND queued_account_ids IS NOT NULL
             ORDER BY id
        """)
        rows = [(rid, json.loads(ids or '[]'), done) for rid, ids, done in cr.fetchall()]
        env = api.Environment(cr, SUPERUSER_ID, {})
        env['account.manager.reassignment']._migrate_queued(rows)
        cr.execute("ALTER TABLE account_manager_reassignment DROP COLUMN queued_account_ids")
    env = api.Environment(cr, SUPERUSER_ID, {})
    cron = env.ref('account_manager.ir_cron_account_manager_reassignment',
                   raise_if_not_found=False)
    if cron:
        cron.unlink()
