"""The one place that reads and writes accounts and their history with SQL.

Business methods use the ORM. What a 100,000-account handover or a
realignment of every account needs in a fixed number of statements lives
here, each method doing one set-based thing with explicit arguments:

- reading a few columns of many partners (who holds them, their territory);
- moving accounts and their contacts to new managers or territories (one
  UPDATE per batch, contacts included: the manager and the territory are
  commercial fields);
- closing and opening history lines, for ``account.manager.assignment``,
  which alone decides what they contain;
- the territory matcher (one query for any number of accounts);
- a row lock for a reassignment's background batches;
- handing a batch of escalations to their new holders (one UPDATE).

The chatter, followers and activities have their own writer
(``account.manager.mail.bulk``); the report views their own SQL."""
import psycopg2

from odoo import api, fields, models

from .territory_keys import type_rank_sql, zip_key_sql

# The partners territory assignment considers: customer accounts (commercial
# partners), not suppliers only nor the partners of internal users. NULLs
# count as yes: rows loaded by SQL may leave these columns empty.
ACCOUNT_FILTER_SQL = """(p.is_company OR p.parent_id IS NULL)
    AND p.customer IS NOT FALSE AND p.partner_share IS NOT FALSE"""

# The columns of res_partner these methods read (never a name from a caller).
PARTNER_COLUMNS = ('account_manager_id', 'territory_id', 'required_tier_id',
                   'territory_locked')

# Every territory that can take an account, as one row per way of matching:
# a territory with rules gives one row per rule (its geography AND the rule),
# a territory without rules but with a geography gives one row (the geography
# alone, priority 0). Arrays are empty and bounds NULL where a criterion is
# not set. ``keys`` holds the countries the row is limited to, so that most
# rows join accounts on an equality of country instead of being tried
# against every account.
_CRITERIA_SQL = """
    geo AS (
        SELECT t.id AS territory_id, t.company_id AS territory_company_id,
               """ + type_rank_sql('t.territory_type') + """ AS type_rank,
               ARRAY(SELECT r.country_id FROM account_territory_country_rel r
                     WHERE r.territory_id = t.id) AS countries,
               ARRAY(SELECT r.state_id FROM account_territory_state_rel r
                     WHERE r.territory_id = t.id) AS states,
               NULLIF(""" + zip_key_sql('t.zip_from') + """, '') AS zip_from,
               NULLIF(""" + zip_key_sql('t.zip_to') + """, '') AS zip_to
        FROM account_territory t
        WHERE t.active
    ),
    criteria AS (
        SELECT g.*, 0 AS priority,
               '{}'::int[] AS rule_countries, '{}'::int[] AS rule_states,
               NULL::varchar AS rule_zip_from, NULL::varchar AS rule_zip_to,
               '{}'::int[] AS industries, '{}'::int[] AS tags
        FROM geo g
        WHERE NOT EXISTS (SELECT 1 FROM account_territory_rule r
                          WHERE r.territory_id = g.territory_id)
          AND (cardinality(g.countries) > 0 OR cardinality(g.states) > 0
               OR g.zip_from IS NOT NULL OR g.zip_to IS NOT NULL)
        UNION ALL
        SELECT g.*, r.priority,
               ARRAY(SELECT x.country_id FROM account_territory_rule_country_rel x
                     WHERE x.rule_id = r.id),
               ARRAY(SELECT x.state_id FROM account_territory_rule_state_rel x
                     WHERE x.rule_id = r.id),
               NULLIF(""" + zip_key_sql('r.zip_from') + """, ''),
               NULLIF(""" + zip_key_sql('r.zip_to') + """, ''),
               ARRAY(SELECT x.industry_id FROM account_territory_rule_industry_rel x
                     WHERE x.rule_id = r.id),
               ARRAY(SELECT x.category_id FROM account_territory_rule_category_rel x
                     WHERE x.rule_id = r.id)
        FROM account_territory_rule r
        JOIN geo g ON g.territory_id = r.territory_id
    ),
    keyed AS (
        SELECT c.*,
               CASE WHEN cardinality(c.countries) > 0 AND cardinality(c.rule_countries) > 0
                    THEN ARRAY(SELECT unnest(c.countries) INTERSECT
                               SELECT unnest(c.rule_countries))
                    WHEN cardinality(c.rule_countries) > 0 THEN c.rule_countries
                    WHEN cardinality(c.countries) > 0 THEN c.countries
               END AS keys
        FROM criteria c
    )
"""

# One row (account id, territory id) per account that some territory matches,
# the most specific territory first: area, country, region, global; then the
# higher priority; then the oldest territory. ``{accounts}`` selects the
# accounts to match (id, country_id, state_id, industry_id, company_id, zip).
_MATCH_SQL = """
    WITH """ + _CRITERIA_SQL + """,
    account AS ({accounts}),
    by_country AS (
        SELECT keyed.*, unnest(keyed.keys) AS key_country FROM keyed
        WHERE keyed.keys IS NOT NULL
    ),
    everywhere AS {materialized} (
        SELECT * FROM keyed WHERE keyed.keys IS NULL
    ),
    candidate AS (
        SELECT a.*, k.territory_id, k.territory_company_id, k.type_rank, k.priority,
               k.countries, k.states, k.zip_from, k.zip_to, k.rule_countries,
               k.rule_states, k.rule_zip_from, k.rule_zip_to, k.industries, k.tags
        FROM account a
        JOIN by_country k ON k.key_country = a.country_id
        UNION ALL
        SELECT a.*, k.territory_id, k.territory_company_id, k.type_rank, k.priority,
               k.countries, k.states, k.zip_from, k.zip_to, k.rule_countries,
               k.rule_states, k.rule_zip_from, k.rule_zip_to, k.industries, k.tags
        FROM account a
        CROSS JOIN everywhere k
    )
    SELECT DISTINCT ON (c.id) c.id, c.territory_id
    FROM candidate c
    WHERE (cardinality(c.countries) = 0 OR c.country_id = ANY(c.countries))
      AND (cardinality(c.rule_countries) = 0 OR c.country_id = ANY(c.rule_countries))
      AND (cardinality(c.states) = 0 OR c.state_id = ANY(c.states))
      AND (cardinality(c.rule_states) = 0 OR c.state_id = ANY(c.rule_states))
      AND (c.zip_from IS NULL OR c.zip COLLATE "C" >= c.zip_from)
      AND (c.zip_to IS NULL OR left(c.zip, length(c.zip_to)) COLLATE "C" <= c.zip_to)
      AND (c.rule_zip_from IS NULL OR c.zip COLLATE "C" >= c.rule_zip_from)
      AND (c.rule_zip_to IS NULL
           OR left(c.zip, length(c.rule_zip_to)) COLLATE "C" <= c.rule_zip_to)
      AND (cardinality(c.industries) = 0 OR c.industry_id = ANY(c.industries))
      AND (cardinality(c.tags) = 0 OR EXISTS (
               SELECT 1 FROM res_partner_res_partner_category_rel tag
               WHERE tag.partner_id = c.id AND tag.category_id = ANY(c.tags)))
      AND (c.territory_company_id IS NULL OR c.company_id IS NULL
           OR c.territory_company_id = c.company_id)
    ORDER BY c.id, c.type_rank, c.priority DESC, c.territory_id
"""

_ACCOUNT_COLUMNS_SQL = """
    SELECT p.id, p.country_id, p.state_id, p.industry_id, p.company_id,
           """ + zip_key_sql('p.zip') + """ AS zip
    FROM res_partner p
    WHERE """ + ACCOUNT_FILTER_SQL


class AccountManagerBulk(models.AbstractModel):
    _name = 'account.manager.bulk'
    _description = 'Account Management: Set-based Reads and Writes'

    # ------------------------------------------------------------------
    # Partners: reads
    # ------------------------------------------------------------------

    @api.model
    def _read_partners(self, partner_ids, columns, accounts_only=False):
        """{partner id: (column values…)} for ``partner_ids``, whatever the
        caller may read (the callers decide what to show). ``columns`` are
        names from ``PARTNER_COLUMNS``; ``accounts_only`` keeps the partners
        territory assignment considers."""
        unknown = set(columns) - set(PARTNER_COLUMNS)
        if unknown:
            raise ValueError("Not a column this reader reads: %s" % sorted(unknown))
        if not partner_ids:
            return {}
        self.env.cr.execute(
            'SELECT p.id%s FROM res_partner p WHERE p.id = ANY(%%s)%s' % (
                ''.join(', p."%s"' % column for column in columns),
                ' AND ' + ACCOUNT_FILTER_SQL if accounts_only else ''),
            (list(partner_ids),))
        return {row[0]: row[1:] for row in self.env.cr.fetchall()}

    @api.model
    def _account_ids(self, partner_ids, not_held_by=None):
        """The accounts (commercial partners) of ``partner_ids`` (a contact
        stands for its account), sorted; with ``not_held_by`` (a manager
        id), only those that manager does not hold yet."""
        if not partner_ids:
            return []
        self.env.cr.execute("""
            SELECT DISTINCT a.id
              FROM res_partner p
              JOIN res_partner a ON a.id = p.commercial_partner_id
             WHERE p.id = ANY(%s)
               AND (%s IS NULL OR a.account_manager_id IS DISTINCT FROM %s)
             ORDER BY a.id
        """, (list(partner_ids), not_held_by, not_held_by))
        return [row[0] for row in self.env.cr.fetchall()]

    @api.model
    def _count_contacts(self, account_ids):
        """Contacts (not the accounts themselves) of ``account_ids``."""
        if not account_ids:
            return 0
        self.env.cr.execute("""
            SELECT count(*) FROM res_partner
             WHERE commercial_partner_id = ANY(%s) AND id != commercial_partner_id
        """, (list(account_ids),))
        return self.env.cr.fetchone()[0]

    # ------------------------------------------------------------------
    # Partners: writes
    # ------------------------------------------------------------------

    @api.model
    def _move_accounts(self, moves, user_id, now):
        """Set manager, manager's user (also as the salesperson) and tier on
        accounts and their contacts: ``moves`` is a list of (account id, manager id, user id,
        tier id, tag), ``tag`` being whatever the caller counts by. Returns
        {tag: partners written (accounts and contacts)}."""
        if not moves:
            return {}
        columns = list(zip(*moves))
        self.env.cr.execute("""
            WITH moved AS (
                UPDATE res_partner p
                   SET account_manager_id = m.manager_id,
                       account_manager_user_id = m.user_id,
                       user_id = m.user_id,
                       account_manager_tier_id = m.tier_id,
                       write_uid = %s, write_date = %s
                  FROM unnest(%s::int[], %s::int[], %s::int[], %s::int[], %s::int[])
                       AS m(account_id, manager_id, user_id, tier_id, tag)
                 WHERE p.commercial_partner_id = m.account_id
             RETURNING m.tag)
            SELECT tag, count(*) FROM moved GROUP BY tag
        """, [user_id, now] + [list(column) for column in columns])
        return dict(self.env.cr.fetchall())

    @api.model
    def _sync_salespersons(self, manager_ids):
        """The salesperson of every partner these managers hold is their
        user again (after a manager's user changed; the ORM has already
        recomputed the stored ``account_manager_user_id``)."""
        if not manager_ids:
            return
        self.env.cr.execute("""
            UPDATE res_partner p
               SET user_id = m.user_id
              FROM account_manager m
             WHERE p.account_manager_id = m.id AND m.id = ANY(%s)
               AND p.user_id IS DISTINCT FROM m.user_id
        """, (list(manager_ids),))
        self.env['res.partner'].invalidate_cache(['user_id'])

    @api.model
    def _move_territories(self, moves):
        """Set territories: ``moves`` is a list of (account id, territory
        id). One UPDATE covers the accounts and their contacts; the ORM
        cache of those fields is dropped."""
        if not moves:
            return
        self.env.cr.execute("""
            UPDATE res_partner p
               SET territory_id = m.territory_id,
                   write_uid = %s,
                   write_date = (now() at time zone 'UTC')
              FROM unnest(%s::int[], %s::int[]) AS m(account_id, territory_id)
             WHERE p.commercial_partner_id = m.account_id
               AND p.territory_id IS DISTINCT FROM m.territory_id
        """, [self.env.uid, [m[0] for m in moves], [m[1] for m in moves]])
        self.env['res.partner'].invalidate_cache(['territory_id', 'write_uid', 'write_date'])
        self.env['account.territory'].invalidate_cache(['account_ids'])

    # ------------------------------------------------------------------
    # History (for account.manager.assignment, which decides the contents)
    # ------------------------------------------------------------------

    @api.model
    def _close_history(self, account_ids, date, user_id, now):
        """End the open primary lines of ``account_ids`` at ``date``."""
        self.env.cr.execute("""
            UPDATE account_manager_assignment
               SET date_end = %s, write_uid = %s, write_date = %s
             WHERE partner_id = ANY(%s) AND role = 'primary' AND date_end IS NULL
        """, (date, user_id, now, list(account_ids)))

    @api.model
    def _previous_holders(self, reassignment_id):
        """Managers whose primary line ``reassignment_id`` closed: for each
        line it opened, the line the same account had just before."""
        # A join rather than a subquery per line: on a reassignment of
        # 100,000 accounts the planner can hash the history once instead of
        # probing it 100,000 times.
        self.env.cr.execute("""
            SELECT DISTINCT prev.manager_id FROM (
                   SELECT DISTINCT ON (new.id) old.manager_id
                     FROM account_manager_assignment new
                     JOIN account_manager_assignment old
                       ON old.partner_id = new.partner_id AND old.role = 'primary'
                      AND old.id < new.id
                    WHERE new.reassignment_id = %s
                    ORDER BY new.id, old.id DESC) prev
        """, (reassignment_id,))
        return [row[0] for row in self.env.cr.fetchall() if row[0]]

    @api.model
    def _insert_rows(self, model, per_row, count):
        """Insert ``count`` rows of ``model`` with one INSERT … SELECT FROM
        unnest: ``per_row`` maps a column to its list of values (or to one
        value for every row). Stored fields left out get their defaults, as
        ``create()`` would give them (another addon's fields included); the
        model must have no constraint, compute or override that create()
        would run (the callers' models are plain logs and preview lines)."""
        if not count:
            return
        Model = self.env[model]
        per_row = {name: value if isinstance(value, list) else [value] * count
                   for name, value in per_row.items()}
        missing = [name for name, field in Model._fields.items()
                   if field.store and field.column_type and name not in per_row
                   and name != 'id']
        defaults = Model.default_get(missing) if missing else {}
        columns, select, params, arrays, casts = [], [], [], [], []
        for name in sorted(set(per_row) | set(missing)):
            field = Model._fields[name]
            if field.translate:
                raise ValueError("%s cannot be written by a raw INSERT" % field)
            columns.append('"%s"' % name)
            values = per_row.get(name)
            if values is None:
                select.append('%s')
                params.append(field.convert_to_column(defaults.get(name), Model))
            elif len(set(values)) == 1:
                select.append('%s')
                params.append(values[0])
            else:
                select.append('u.c%d' % len(arrays))
                arrays.append(values)
                casts.append('%%s::%s[]' % field.column_type[1])
        if not arrays:
            # generate_series would do; unnest keeps one statement shape.
            arrays, casts = [list(range(count))], ['%s::int[]']
        self.env.cr.execute(
            'INSERT INTO "%s" (%s) SELECT %s FROM unnest(%s) AS u(%s)' % (
                Model._table, ', '.join(columns), ', '.join(select), ', '.join(casts),
                ', '.join('c%d' % i for i in range(len(arrays)))),
            params + arrays)
        # New rows show in every one2many pointing at them.
        Model.invalidate_cache(fnames=[name for name in per_row if name in Model._fields])

    @api.model
    def _delete_rows(self, model, field_name, value):
        """Delete the rows of ``model`` whose ``field_name`` is ``value``
        (a wizard's preview lines before they are computed again)."""
        Model = self.env[model]
        if field_name not in Model._fields or not Model._fields[field_name].store:
            raise ValueError("%s is not a stored field of %s" % (field_name, model))
        self.env.cr.execute('DELETE FROM "%s" WHERE "%s" = %%s' % (
            Model._table, field_name), (value,))
        Model.invalidate_cache(fnames=list(Model._fields))

    # ------------------------------------------------------------------
    # Territory matching
    # ------------------------------------------------------------------

    @api.model
    def _match_territories(self, account_ids=None):
        """Rows (account id, territory id) of the accounts among
        ``account_ids`` (all accounts if None) that a territory matches. One
        query, whatever the number of accounts."""
        sql, params = self._match_sql(account_ids)
        return self._fetch_without_jit(sql, params)

    @api.model
    def _unmatched_account_ids(self):
        """The accounts no territory matches."""
        sql, params = self._match_sql()
        return [row[0] for row in self._fetch_without_jit(
            'SELECT p.id FROM res_partner p WHERE %s AND p.id NOT IN (%s)' % (
                ACCOUNT_FILTER_SQL, 'SELECT m.id FROM (%s) m' % sql), params)]

    @api.model
    def _match_sql(self, account_ids=None):
        accounts = _ACCOUNT_COLUMNS_SQL
        params = []
        if account_ids is not None:
            accounts += ' AND p.id = ANY(%s)'
            params.append(list(account_ids))
        # The few rows that apply everywhere are tried against every account:
        # they must be a small materialised set, not a filtered rescan of all
        # criteria per account (PostgreSQL 12+ would otherwise inline them).
        materialized = 'MATERIALIZED' if self.env.cr._cnx.server_version >= 120000 else ''
        return _MATCH_SQL.replace('{accounts}', accounts).replace(
            '{materialized}', materialized), params

    def _fetch_without_jit(self, sql, params):
        """Run a matching query without JIT compilation: the planner's row
        estimates for the expanded criteria make PostgreSQL compile it,
        which costs up to seconds for a query that runs in milliseconds."""
        cr = self.env.cr
        jit = cr._cnx.server_version >= 110000
        if jit:
            cr.execute('SET LOCAL jit = off')
        try:
            cr.execute(sql, params)
            return cr.fetchall()
        finally:
            if jit:
                cr.execute('RESET jit')

    # ------------------------------------------------------------------
    # Locks
    # ------------------------------------------------------------------

    @api.model
    def _hand_escalations(self, hops, date_escalated):
        """One hop for each escalation of ``hops`` (escalation id, new
        holder's manager id, new deadline, hop count): it is open again,
        unacknowledged, with the new holder and deadline, in one UPDATE."""
        if not hops:
            return
        ids, manager_ids, deadlines, hop_counts = (list(column) for column in zip(*hops))
        self.env.cr.execute("""
            UPDATE account_escalation e
               SET manager_id = u.manager_id, deadline = u.deadline,
                   hop_count = u.hop_count, date_escalated = %s, state = 'open',
                   date_acknowledged = NULL, top_reached = false,
                   write_uid = %s, write_date = %s
              FROM unnest(%s::int[], %s::int[], %s::timestamp[], %s::int[])
                   AS u(id, manager_id, deadline, hop_count)
             WHERE e.id = u.id
        """, [date_escalated, self.env.uid, fields.Datetime.now(),
              ids, manager_ids, deadlines, hop_counts])
        self.env['account.escalation'].invalidate_cache(
            fnames=['manager_id', 'manager_user_id', 'deadline', 'hop_count',
                    'date_escalated', 'state', 'date_acknowledged', 'top_reached',
                    'write_uid', 'write_date'], ids=ids)

    @api.model
    def _lock_reassignment(self, reassignment_id):
        """Lock a reassignment's row without waiting: its state, or None if
        another transaction holds it."""
        try:
            with self.env.cr.savepoint():
                self.env.cr.execute("""
                    SELECT state FROM account_manager_reassignment
                     WHERE id = %s FOR NO KEY UPDATE NOWAIT
                """, (reassignment_id,), log_exceptions=False)
                return self.env.cr.fetchone()[0]
        except psycopg2.OperationalError:
            return None

    @api.model
    def _backdate_creation(self, model, ids, field_name):
        """Demo data only: records loaded from a data file are created at
        load time; set their creation date back to ``field_name`` where that
        is earlier."""
        Model = self.env[model]
        if Model._fields[field_name].type != 'datetime':
            raise ValueError("%s is not a date of %s" % (field_name, model))
        self.env.cr.execute('UPDATE "%s" SET create_date = "%s" WHERE id = ANY(%%s) '
                            'AND "%s" < create_date' % (Model._table, field_name, field_name),
                            (list(ids),))
        Model.invalidate_cache(['create_date'], list(ids))
