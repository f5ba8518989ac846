"""The one place that writes Odoo's ``mail_*`` tables with SQL.

A reassignment of 100,000 accounts or a night's auto-escalation writes a
note, a follower change or an activity per record; through the ORM that is
20 to 40 queries a record (measured: hours). The reassignment and the
escalation model call these methods instead, and nothing else of the addon
inserts into ``mail_*`` tables. Each statement writes exactly the rows the
ORM would (``mail.thread.message_post`` with a tracking value,
``message_subscribe`` with the default subtypes, ``mail.activity.create``),
with Odoo's own ``message_id`` scheme; what does not need batch speed goes
through the ORM, so that other addons' overrides of ``mail`` run there.
It also sends the web client's bus notifications of a batch in one INSERT
(``bus.bus.sendmany`` inserts a row per notification and, at random, cleans
old rows up with an ORM unlink in the middle of the batch)."""
import random
import socket
import time

import odoo
from odoo import api, fields, models
from odoo.tools import formataddr

from odoo.addons.bus.models.bus import json_dump


class AccountManagerMailBulk(models.AbstractModel):
    _name = 'account.manager.mail.bulk'
    _description = 'Account Management: Bulk Chatter Writer'

    @api.model
    def _invalidate(self, model):
        """Forget what the cache holds of ``model`` only (``invalidate_cache()``
        without field names would empty the whole cache, and every later
        batch would read its managers and accounts again)."""
        Model = self.env[model]
        Model.invalidate_cache(fnames=list(Model._fields))

    # ------------------------------------------------------------------
    # Followers
    # ------------------------------------------------------------------

    @api.model
    def _add_followers(self, model, pairs):
        """Subscribe (record id, partner id) pairs not yet following, with
        the default subtypes, as ``message_subscribe`` would."""
        pairs = sorted(set(pairs))
        if not pairs:
            return
        cr = self.env.cr
        cr.execute("""
            INSERT INTO mail_followers (res_model, res_id, partner_id)
            SELECT %s, m.res_id, m.partner_id
              FROM unnest(%s::int[], %s::int[]) AS m(res_id, partner_id)
             WHERE NOT EXISTS (
                   SELECT 1 FROM mail_followers f
                    WHERE f.res_model = %s AND f.res_id = m.res_id
                      AND f.partner_id = m.partner_id)
            RETURNING id
        """, (model, [p[0] for p in pairs], [p[1] for p in pairs], model))
        follower_ids = [row[0] for row in cr.fetchall()]
        subtypes = self.env['mail.message.subtype'].sudo().default_subtypes(model)[0]
        if follower_ids and subtypes:
            cr.execute("""
                INSERT INTO mail_followers_mail_message_subtype_rel
                       (mail_followers_id, mail_message_subtype_id)
                SELECT f.id, s.id FROM unnest(%s) AS f(id), unnest(%s) AS s(id)
            """, (follower_ids, subtypes.ids))
        self._invalidate('mail.followers')

    @api.model
    def _swap_account_followers(self, account_ids, new_partner_ids):
        """Accounts change hands: the user of each account's current manager
        stops following it (unless they are its new follower), the new
        partner of ``new_partner_ids`` (one per account) follows it. Runs
        before the accounts' manager columns are updated."""
        self.env.cr.execute("""
            DELETE FROM mail_followers f
             USING res_partner p, res_users u,
                   unnest(%s::int[], %s::int[]) AS m(account_id, partner_id)
             WHERE f.res_model = 'res.partner' AND f.res_id = p.id
               AND p.id = m.account_id
               AND u.id = p.account_manager_user_id
               AND f.partner_id = u.partner_id AND f.partner_id != m.partner_id
        """, (list(account_ids), list(new_partner_ids)))
        self._add_followers('res.partner', zip(account_ids, new_partner_ids))

    # ------------------------------------------------------------------
    # Activities
    # ------------------------------------------------------------------

    @api.model
    def _count_account_activities(self, account_ids):
        """Open activities of each account's current manager on the accounts
        of ``account_ids`` and their contacts: what
        ``_move_account_activities`` would move."""
        if not account_ids:
            return 0
        self.env.cr.execute("""
            SELECT count(*) FROM mail_activity a
              JOIN res_partner p ON p.id = a.res_id
             WHERE a.res_model = 'res.partner'
               AND p.commercial_partner_id = ANY(%s)
               AND a.user_id = p.account_manager_user_id
        """, (list(account_ids),))
        return self.env.cr.fetchone()[0]

    @api.model
    def _move_account_activities(self, account_ids, user_ids, acting_user_id):
        """Open activities of each account's current manager on the account
        and its contacts go to the user of ``user_ids`` (one per account).
        Returns the account id of every activity moved."""
        self.env.cr.execute("""
            UPDATE mail_activity a
               SET user_id = m.user_id, write_uid = %s, write_date = %s
              FROM res_partner p, unnest(%s::int[], %s::int[]) AS m(account_id, user_id)
             WHERE a.res_model = 'res.partner' AND a.res_id = p.id
               AND p.commercial_partner_id = m.account_id
               AND a.user_id = p.account_manager_user_id
               AND a.user_id != m.user_id
         RETURNING m.account_id
        """, (acting_user_id, fields.Datetime.now(), list(account_ids), list(user_ids)))
        moved = [row[0] for row in self.env.cr.fetchall()]
        self._invalidate('mail.activity')
        return moved

    @api.model
    def _replace_activities(self, model, activity_type, res_ids, rows):
        """The records of ``res_ids`` lose their activities of
        ``activity_type``; each record of ``rows`` (dicts: res_id, res_name,
        summary, date_deadline, user_id, partner_id) gets one for
        ``user_id`` instead, and that user follows the record."""
        cr = self.env.cr
        if not res_ids:
            return
        cr.execute("""
            DELETE FROM mail_activity
             WHERE res_model = %s AND res_id = ANY(%s) AND activity_type_id = %s
        """, (model, list(res_ids), activity_type.id))
        if not rows:
            self._invalidate('mail.activity')
            return
        res_ids = [row['res_id'] for row in rows]
        model_id = self.env['ir.model']._get(model).id
        now = fields.Datetime.now()
        cr.execute("""
            INSERT INTO mail_activity (
                res_id, res_model_id, res_model, res_name, activity_type_id,
                summary, date_deadline, user_id,
                create_uid, create_date, write_uid, write_date)
            SELECT u.res_id, %s, %s, u.res_name, %s, u.summary, u.date_deadline,
                   u.user_id, %s, %s, %s, %s
              FROM unnest(%s::int[], %s::varchar[], %s::varchar[], %s::date[], %s::int[])
                   AS u(res_id, res_name, summary, date_deadline, user_id)
        """, (model_id, model, activity_type.id, self.env.uid, now, self.env.uid, now,
              res_ids, [row['res_name'] for row in rows], [row['summary'] for row in rows],
              [row['date_deadline'] for row in rows], [row['user_id'] for row in rows]))
        self._invalidate('mail.activity')
        self._add_followers(model, [(row['res_id'], row['partner_id']) for row in rows])

    # ------------------------------------------------------------------
    # Notes
    # ------------------------------------------------------------------

    @api.model
    def _log_notes(self, model, res_ids, bodies, author, record_names=None,
                   tracking=None, body_index=None):
        """One internal note (``mail.mt_note``, no notification) per record
        of ``res_ids``, as ``message_post`` logs it, in two statements
        whatever their number.

        ``bodies``: one HTML body per record, or, with ``body_index`` (one
        1-based position per record), the distinct bodies: a reassignment
        of 100,000 accounts sends its one body once, not 100,000 times.
        ``record_names``: one per record, or None to take the record's
        stored ``display_name``. ``tracking``: None, or one list per record
        of tracking values (dicts with the columns of
        ``mail_tracking_value``: field, field_desc, field_type,
        old_/new_value_integer, _char, _datetime).
        Returns {res_id: message id}; one note per record and call."""
        if not res_ids:
            return {}
        assert len(set(res_ids)) == len(res_ids), "one note per record and call"
        cr = self.env.cr
        now = fields.Datetime.now()
        email_from = formataddr((author.name, author.email)) if author.email else None
        subtype_id = self.env.ref('mail.mt_note').id
        if body_index is None:
            body_index = list(range(1, len(res_ids) + 1))
        # Odoo's message_id scheme (tools.generate_tracking_message_id):
        # <time.random-openerp-res_id@host>, one stamp for the statement.
        stamp = '%.15f.%s' % (time.time(), random.randint(0, 1 << 30))
        if record_names is None:
            name_join = 'LEFT JOIN "%s" r ON r.id = u.res_id' % self.env[model]._table
            name_expr, name_column, name_param, names = 'r.display_name', '', '', []
        else:
            name_join, name_expr = '', 'u.record_name'
            name_column, name_param, names = ', record_name', ', %s::varchar[]', [
                list(record_names)]
        cr.execute("""
            INSERT INTO mail_message (
                model, res_id, record_name, body, author_id, email_from, reply_to,
                subtype_id, message_type, message_id, no_auto_thread, date,
                create_uid, create_date, write_uid, write_date)
            SELECT %%s, u.res_id, %s, b.body, %%s, %%s, %%s, %%s, 'notification',
                   '<' || %%s || '-openerp-' || u.res_id || '@' || %%s || '>',
                   false, %%s, %%s, %%s, %%s, %%s
              FROM unnest(%%s::int[], %%s::int[]%s) AS u(res_id, idx%s)
              JOIN unnest(%%s::text[]) WITH ORDINALITY AS b(body, idx) ON b.idx = u.idx
              %s
            RETURNING id, res_id
        """ % (name_expr, name_param, name_column, name_join),
            [model, author.id, email_from, email_from, subtype_id, stamp,
             socket.gethostname(), now, self.env.uid, now, self.env.uid, now,
             list(res_ids), list(body_index)] + names + [list(bodies)])
        by_res_id = {res_id: message_id for message_id, res_id in cr.fetchall()}
        if tracking:
            self._insert_tracking_values([
                dict(value, mail_message_id=by_res_id[res_id])
                for res_id, values in zip(res_ids, tracking) for value in values or ()])
        self._invalidate('mail.message')
        return by_res_id

    _TRACKING_COLUMNS = [
        ('mail_message_id', 'int'), ('field', 'varchar'), ('field_desc', 'varchar'),
        ('field_type', 'varchar'), ('old_value_integer', 'int'),
        ('new_value_integer', 'int'), ('old_value_char', 'varchar'),
        ('new_value_char', 'varchar'), ('old_value_datetime', 'timestamp'),
        ('new_value_datetime', 'timestamp'),
    ]

    @api.model
    def _insert_tracking_values(self, values):
        if not values:
            return
        now = fields.Datetime.now()
        columns = self._TRACKING_COLUMNS
        self.env.cr.execute("""
            INSERT INTO mail_tracking_value (%s, create_uid, create_date, write_uid, write_date)
            SELECT %s, %%s, %%s, %%s, %%s FROM unnest(%s) AS u(%s)
        """ % (', '.join(name for name, _type in columns),
               ', '.join('u.%s' % name for name, _type in columns),
               ', '.join('%%s::%s[]' % type_ for _name, type_ in columns),
               ', '.join(name for name, _type in columns)),
            [self.env.uid, now, self.env.uid, now]
            + [[value.get(name) for value in values] for name, _type in columns])

    @api.model
    def _send_bus(self, notifications):
        """``bus.bus.sendmany`` for ``notifications`` ([(channel, message)]):
        the same rows and, once the transaction is committed, the same
        NOTIFY to the long-polling workers, in one INSERT."""
        if not notifications:
            return
        now = fields.Datetime.now()
        self.env.cr.execute("""
            INSERT INTO bus_bus (channel, message, create_uid, create_date, write_uid, write_date)
            SELECT u.channel, u.message, %s, %s, %s, %s
              FROM unnest(%s::varchar[], %s::varchar[]) AS u(channel, message)
        """, [self.env.uid, now, self.env.uid, now,
              [json_dump(channel) for channel, _message in notifications],
              [json_dump(message) for _channel, message in notifications]])
        channels = sorted({tuple(channel) for channel, _message in notifications})

        def notify():
            with odoo.sql_db.db_connect('postgres').cursor() as cr:
                cr.execute("notify imbus, %s", (json_dump(channels),))
        self.env.cr.after('commit', notify)
