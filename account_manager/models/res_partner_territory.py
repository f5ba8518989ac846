from collections import Counter, defaultdict

from odoo import SUPERUSER_ID, _, api, fields, models
from odoo.tools import html_escape

from .territory_keys import type_rank_sql, zip_key, zip_key_sql

# The addon's own writes of a territory must not re-match it: they say so
# with this sentinel object in the context, which no client can send.
TERRITORY_SKIP_KEY = 'territory_assignment_skip'
TERRITORY_SKIP = object()


def _skips_territory(env):
    return env.context.get(TERRITORY_SKIP_KEY) is TERRITORY_SKIP


# What an account's territory depends on: a change to one of these re-matches it.
TERRITORY_TRIGGER_FIELDS = ('country_id', 'state_id', 'zip', 'industry_id', 'category_id')

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

# The partners automatic assignment considers: customer accounts (commercial
# partners), not suppliers only nor the partners of internal users. NULLs
# count as yes: rows loaded by SQL may leave these columns empty.
_ACCOUNT_FILTER = """(p.is_company OR p.parent_id IS NULL)
    AND p.customer IS NOT FALSE AND p.partner_share IS NOT FALSE"""
_ACCOUNT_COLUMNS = """
    SELECT p.id, p.country_id, p.state_id, p.industry_id, p.company_id,
           """ + zip_key_sql('p.zip') + """ AS zip
    FROM res_partner p
    WHERE """ + _ACCOUNT_FILTER


class ResPartner(models.Model):
    """Territory-based assignment: which territory an account falls into,
    and the manager that territory gives it."""
    _inherit = 'res.partner'  # pylint: disable=consider-merging-classes-inherited

    territory_unmatched = fields.Boolean(
        compute='_compute_territory_unmatched',
        search='_search_territory_unmatched', string='No Territory Match',
        help="An account that no territory's geography or rules match.")

    def _compute_territory_unmatched(self):
        saved = self.filtered(lambda p: isinstance(p.id, int))
        matches = saved._match_territories()
        self.env.cr.execute(
            "SELECT p.id FROM res_partner p WHERE p.id = ANY(%s) AND " + _ACCOUNT_FILTER,
            [saved.ids])
        eligible = {row[0] for row in self.env.cr.fetchall()}
        for partner in self:
            partner.territory_unmatched = (
                partner.id in eligible and not matches.get(partner.id))

    def _search_territory_unmatched(self, operator, value):
        positive = (operator == '=') == bool(value)
        sql, params = self._territory_match_sql()
        if positive:
            sql = 'SELECT p.id FROM res_partner p WHERE %s AND p.id NOT IN (%s)' % (
                _ACCOUNT_FILTER, 'SELECT m.id FROM (%s) m' % sql)
        ids = [row[0] for row in self._execute_match_sql(sql, params)]
        return [('id', 'in', ids)]

    @api.model
    def create(self, vals):
        partner = super(ResPartner, self).create(vals)
        if _skips_territory(self.env) or partner.territory_locked or not partner._is_account():
            return partner
        if not vals.get('territory_id') and not any(
                partner[name] for name in TERRITORY_TRIGGER_FIELDS):
            # Nothing known yet to place the account by (a bare name, or the
            # partner of a user being created): it is matched when it gets
            # an address, industry or tags, or by the next realignment.
            return partner
        if vals.get('territory_id'):
            # The territory was chosen: it still names the manager, if none was.
            if not vals.get('account_manager_id'):
                partner._apply_territory_assignment(rematch=False)
        else:
            partner._apply_territory_assignment(
                keep_manager=bool(vals.get('account_manager_id')))
        partner._tell_creator_where_it_went()
        return partner

    def _tell_creator_where_it_went(self):
        """A restricted user whose new account territory assignment gave to
        a manager outside their reach keeps reading it (the read rule lets
        creators read what they created) but no longer edits it: a note on
        the account says where it went and who edits it now."""
        self.ensure_one()
        user = self.env.user
        manager = self.sudo().account_manager_id
        if not manager or self.env.uid == SUPERUSER_ID:
            return
        reach = user._account_manager_reach()
        if not reach['restricted'] or manager.id in reach['manager_ids']:
            return
        territory = self.sudo().territory_id
        self.sudo().message_post(
            body=_("Registered by %s. Territory assignment placed it in %s with "
                   "%s, who manages it from now on: %s can read it, and the "
                   "manager's team edits it.") % (
                html_escape(user.name), html_escape(territory.complete_name or ''),
                html_escape(manager.name), html_escape(user.name)),
            author_id=user.partner_id.id, message_type='notification',
            subtype='mail.mt_note', partner_ids=[user.partner_id.id])

    @api.multi
    def write(self, vals):
        if _skips_territory(self.env) \
                or not set(TERRITORY_TRIGGER_FIELDS) & set(vals) \
                or 'territory_id' in vals:
            return super(ResPartner, self).write(vals)
        accounts = self.filtered(lambda p: p._is_account() and not p.territory_locked)
        before = {partner.id: partner._territory_match_key() for partner in accounts}
        res = super(ResPartner, self).write(vals)
        moved = accounts.filtered(
            lambda p: not p.territory_locked and p._territory_match_key() != before[p.id])
        if moved:
            moved._apply_territory_assignment(keep_manager='account_manager_id' in vals)
        return res

    def _territory_match_key(self):
        """What the matcher reads of an account, to re-match only real changes."""
        self.ensure_one()
        return (self.country_id.id, self.state_id.id,
                zip_key(self.zip), self.industry_id.id,
                frozenset(self.category_id.ids))

    # ------------------------------------------------------------------
    # Matching
    # ------------------------------------------------------------------

    @api.model
    def _territory_match_sql(self, account_ids=None):
        """The matching query and its parameters: rows (account id, territory
        id) for the accounts among ``account_ids`` (all accounts if None)
        that a territory matches. One query, whatever the number of accounts."""
        accounts = _ACCOUNT_COLUMNS
        params = []
        if account_ids is not None:
            accounts += ' AND p.id = ANY(%s)'
            params.append(list(account_ids))
        # The few rows that apply everywhere are tried against every account:
        # they must be a small materialised set, not a filtered rescan of all
        # criteria per account (PostgreSQL 12+ would otherwise inline them).
        materialized = 'MATERIALIZED' if self.env.cr._cnx.server_version >= 120000 else ''
        sql = _MATCH_SQL.replace('{accounts}', accounts).replace('{materialized}', materialized)
        return sql, params

    def _execute_match_sql(self, sql, params):
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

    @api.multi
    def _match_territories(self):
        """{account id: territory id or False} for the accounts in ``self``
        (contacts are left out: they follow their account)."""
        if not self:
            return {}
        sql, params = self._territory_match_sql(self.ids)
        matches = dict.fromkeys(self.ids, False)
        matches.update(self._execute_match_sql(sql, params))
        return matches

    @api.multi
    def _plan_territory_assignment(self, keep_manager=False, rematch=True):
        """Where territory assignment would put the accounts in ``self``,
        without writing anything (the realignment preview shows it as is).

        Returns a dict:
          ``accounts``: ids considered (accounts only);
          ``locked``: ids skipped because their territory is locked;
          ``unmatched``: ids no territory matches (they stay as they are);
          ``targets``: {account id: (territory id, manager id or False)} for
          every account whose territory or manager changes;
          ``no_manager``: {territory id: [account ids]} matched to a
          territory that cannot give them a manager (none, or nobody
          reaching their required tier): they keep their manager.
        ``rematch=False`` keeps each account's current territory and only
        derives the manager from it."""
        self.env.cr.execute("""
            SELECT p.id, p.territory_id, p.account_manager_id, p.required_tier_id,
                   COALESCE(p.territory_locked, FALSE)
            FROM res_partner p
            WHERE p.id = ANY(%s) AND """ + _ACCOUNT_FILTER, [self.ids])
        rows = self.env.cr.fetchall()
        plan = {'accounts': [r[0] for r in rows], 'locked': [], 'unmatched': [],
                'targets': {}, 'no_manager': defaultdict(list)}
        open_rows = [row for row in rows if not row[4]]
        plan['locked'] = [row[0] for row in rows if row[4]]
        if rematch:
            matches = self.browse([r[0] for r in open_rows])._match_territories()
        else:
            matches = {r[0]: r[1] for r in open_rows}
        # One recordset for every territory and tier involved, so that reading
        # their managers and tiers is batched whatever the number of accounts.
        territories = self.env['account.territory'].browse(
            list({tid for tid in matches.values() if tid}))
        tiers = self.env['account.manager.tier'].browse(list({r[3] for r in open_rows if r[3]}))
        territory_by_id = {territory.id: territory for territory in territories}
        tier_by_id = {tier.id: tier for tier in tiers}
        managers = {}
        for partner_id, territory_id, manager_id, tier_id, _locked in open_rows:
            new_territory_id = matches.get(partner_id)
            if not new_territory_id:
                plan['unmatched'].append(partner_id)
                continue
            new_manager_id = manager_id
            if not keep_manager:
                key = (new_territory_id, tier_id)
                if key not in managers:
                    managers[key] = territory_by_id[new_territory_id]._get_assignment_manager(
                        tier_by_id.get(tier_id)).id
                if managers[key]:
                    new_manager_id = managers[key]
                else:
                    plan['no_manager'][new_territory_id].append(partner_id)
            if (new_territory_id, new_manager_id) != (territory_id, manager_id):
                plan['targets'][partner_id] = (new_territory_id, new_manager_id or False)
        return plan

    def _apply_territory_assignment(self, keep_manager=False, rematch=True):
        """Give the accounts in ``self`` the territory and manager matching
        designates, through the ORM (history lines with origin 'territory',
        contacts follow). For the few accounts a create or write touches;
        the realignment wizard handles large sets."""
        plan = self._plan_territory_assignment(keep_manager=keep_manager, rematch=rematch)
        groups = defaultdict(list)
        for partner_id, target in plan['targets'].items():
            groups[target].append(partner_id)
        Territory = self.env['account.territory']
        # The territory places the account, not the user: written as
        # superuser, so that a manager may register an account that lands
        # with somebody else (whose account they then no longer edit); the
        # history still names the user who made the change.
        acting = self.sudo().with_context(**{TERRITORY_SKIP_KEY: TERRITORY_SKIP})
        Manager = self.env['account.manager']
        for (territory_id, manager_id), partner_ids in groups.items():
            territory = Territory.browse(territory_id)
            partners = acting.browse(partner_ids)
            if not manager_id:
                partners.write({'territory_id': territory_id})
                continue
            partners._write_account_manager(
                Manager.browse(manager_id), origin='territory',
                reason=_('Territory assignment: %s') % territory.complete_name,
                user=self.env.user, skip_reach_check=True,
                extra_vals={'territory_id': territory_id})
        for territory_id, partner_ids in plan['no_manager'].items():
            territory = Territory.browse(territory_id)
            for partner in self.browse(partner_ids):
                partner.message_post(body=_(
                    "Territory %s matches this account but cannot give it a "
                    "manager (it has no active responsible manager, or none "
                    "reaching the required tier): the manager was left "
                    "unchanged.") % territory.complete_name)
        return plan

    @api.model
    def _territory_plan_summary(self, plan):
        """Grouped counts of a plan, for previews and reports: moves between
        managers and between territories, as Counters of (from, to) ids."""
        self.env.cr.execute("""
            SELECT id, territory_id, account_manager_id FROM res_partner
            WHERE id = ANY(%s)
        """, [list(plan['targets'])])
        current = {r[0]: (r[1], r[2]) for r in self.env.cr.fetchall()}
        manager_moves = Counter()
        territory_moves = Counter()
        for partner_id, (territory_id, manager_id) in plan['targets'].items():
            old_territory_id, old_manager_id = current[partner_id]
            if manager_id and manager_id != old_manager_id:
                manager_moves[(old_manager_id or False, manager_id)] += 1
            if territory_id != old_territory_id:
                territory_moves[(old_territory_id or False, territory_id)] += 1
        return manager_moves, territory_moves

    @api.model
    def _move_territories(self, moves):
        """Set territories in bulk: ``moves`` is a list of (account id,
        territory id). One UPDATE covers the accounts and their contacts
        (the territory is a commercial field); the ORM cache is dropped so
        that nobody reads the old values afterwards."""
        account_ids = [m[0] for m in moves]
        territory_ids = [m[1] for m in moves]
        self.env.cr.execute("""
            UPDATE res_partner p
               SET territory_id = m.territory_id,
                   write_uid = %s,
                   write_date = (now() at time zone 'UTC')
              FROM unnest(%s::int[], %s::int[]) AS m(account_id, territory_id)
             WHERE p.commercial_partner_id = m.account_id
               AND p.territory_id IS DISTINCT FROM m.territory_id
        """, [self.env.uid, account_ids, territory_ids])
        self.invalidate_cache(['territory_id', 'write_uid', 'write_date'])
        self.env['account.territory'].invalidate_cache(['account_ids'])
