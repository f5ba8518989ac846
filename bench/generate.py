#!/usr/bin/env python3
"""Build a benchmark database: account_manager installed without demo data,
then an organisation at scale loaded in bulk.

    python bench/generate.py --db am_bench                # 100,000 accounts
    python bench/generate.py --db am_bench_small --small  # 2,000 accounts

Default sizes: 100,000 accounts (each with one contact person), 1,000
managers in a four-level hierarchy (global > national > key > account),
500 territories in a four-level tree (global > region > country > area)
with countries, states and zip ranges, and 10,000 escalations.

Loading uses COPY, but the result is what the ORM would have written:
stored computed and related fields filled (display_name,
commercial_partner_id, account_manager_user_id, account_manager_tier_id,
complete_name, ...), contacts mirroring their account's commercial fields,
parent_left/parent_right computed by the ORM, one open primary history line
per managed account, users in their groups (implied groups by the ORM).

The first run installs the addon and keeps the result as a template
database (``am_bench_tpl_<hash of the addon's files>``); later runs copy
it, which takes seconds instead of minutes.  ``--no-template`` installs
from scratch every time.
"""
import argparse
import datetime
import hashlib
import io
import logging
import os
import random
import sys
import time
from contextlib import closing

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402  (sets TZ and ODOO_PRELOAD_ADDONS before Odoo loads)
import odoo  # noqa: E402

_logger = logging.getLogger('bench.generate')

SIZES = {
    'accounts': 100000,
    'managers': 1000,
    'territories': 500,
    'escalations': 10000,
}
SMALL = {
    'accounts': 2000,
    'managers': 100,
    'territories': 50,
    'escalations': 400,
}
# Shares of the accounts (of those in a territory country for the first two).
SHARE_LOCKED = 0.02           # territory_locked: a manual choice
SHARE_UNASSIGNED = 0.03       # no manager and no territory yet
SHARE_FOREIGN = 0.08          # in a country no territory covers
SHARE_NO_COUNTRY = 0.01
SHARE_REQUIRED = (('key', 0.12), ('national', 0.03), ('global', 0.005))
SHARE_GROUP_MEMBER = 0.02     # account_parent_id set
SHARE_PREVIOUS_LINE = 0.25    # a closed history line before the open one
SHARE_ACTIVITY = 0.10         # an open activity of the manager on the account
# Escalations: state shares, and the share of open ones past their deadline.
ESCALATION_STATES = (('open', 0.30), ('acknowledged', 0.10),
                     ('resolved', 0.50), ('cancelled', 0.10))
SHARE_OVERDUE = 0.60
SLA_HOURS = {'low': 72, 'normal': 24, 'high': 8, 'critical': 4}
SEVERITIES = (('low', 0.25), ('normal', 0.50), ('high', 0.20), ('critical', 0.05))

TIER_XMLIDS = {
    'global': 'account_manager.tier_global_account_manager',
    'national': 'account_manager.tier_national_account_manager',
    'key': 'account_manager.tier_key_account_manager',
    'account': 'account_manager.tier_account_manager',
}
# Restricted groups of the generated manager users (DESIGN.md, Access).
TIER_GROUP = {
    'global': 'account_manager.group_team_accounts',
    'national': 'account_manager.group_team_accounts',
    'key': 'account_manager.group_team_accounts',
    'account': 'account_manager.group_own_accounts',
}
PASSWORD = 'bench'

FIRST = ('Anna Ben Carla David Emma Felix Greta Hugo Ines Jonas Karin Liam Mia '
         'Noah Olga Paul Rosa Sven Tara Umar Vera Walter Xenia Yusuf Zoe Amir '
         'Bianca Chen Dario Elif Farah Goran Hana Ivo Jana Kofi Lena Marco Nora '
         'Omar Pia Raul Sara Timo Ugo Vanya Wei Yara').split()
LAST = ('Adler Becker Costa Dubois Eriksen Fischer Garcia Hansen Ivanov Jensen '
        'Kowalski Larsen Moreau Novak Olsen Petrov Quinn Rossi Silva Tanaka '
        'Ueda Varga Weber Xu Yilmaz Zimmermann Andersen Bauer Conti Dijkstra '
        'Esposito Fontaine Gruber Horvath Iglesias Janssen Keller Lambert '
        'Marino Nielsen Ortiz Peeters Ricci Schmidt Torres Vogel Wagner').split()
COMPANY_A = ('Alpine Atlas Beacon Blue Cedar Crown Delta Eagle Evergreen Falcon '
             'Granite Harbor Horizon Iron Juniper Keystone Lakeside Maple Meridian '
             'Nordic Northstar Oak Orion Pacific Pioneer Quantum Redwood Silver '
             'Summit Sterling Titan Union Vertex Vista Willow Zenith').split()
COMPANY_B = ('Logistics Foods Metals Systems Pharma Textiles Motors Energy Paper '
             'Glass Chemicals Robotics Optics Plastics Tools Machines Electric '
             'Packaging Furniture Medical Software Timber Cement Marine').split()
COMPANY_C = ('Ltd GmbH SA SARL BV AG Inc Oy AB SpA Srl Group Holding Co').split()
STREETS = ('Main Street', 'Station Road', 'Harbour Way', 'Mill Lane',
           'Church Street', 'Park Avenue', 'Industrial Park', 'Market Square')


# ---------------------------------------------------------------- database

def addon_hash():
    """Content hash of the addon: a template is reused only for the exact
    code it was installed from."""
    digest = hashlib.sha1()
    base = os.path.join(os.environ.get('AM_ADDONS_DIR', common.ROOT), common.ADDON)
    for folder, dirs, files in sorted(os.walk(base)):
        dirs[:] = sorted(d for d in dirs if d != '__pycache__')
        for name in sorted(files):
            if name.endswith(('.pyc', '.pyo')):
                continue
            path = os.path.join(folder, name)
            digest.update(os.path.relpath(path, base).encode())
            with open(path, 'rb') as handle:
                digest.update(handle.read())
    digest.update(odoo.release.version.encode())
    return digest.hexdigest()[:12]


def _admin_cursor():
    return closing(odoo.sql_db.db_connect('postgres').cursor())


def db_exists(name):
    with _admin_cursor() as cr:
        cr.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        return bool(cr.fetchone())


def drop_db(name):
    odoo.modules.registry.Registry.delete(name)
    odoo.sql_db.close_db(name)
    with _admin_cursor() as cr:
        cr.autocommit(True)
        cr.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                   "WHERE datname = %s AND pid != pg_backend_pid()", (name,))
        cr.execute('DROP DATABASE IF EXISTS "%s"' % name)


def copy_db(source, target):
    odoo.modules.registry.Registry.delete(source)
    odoo.sql_db.close_db(source)
    with _admin_cursor() as cr:
        cr.autocommit(True)
        cr.execute('CREATE DATABASE "%s" ENCODING \'unicode\' TEMPLATE "%s"' % (target, source))


def install(dbname):
    """A fresh database with account_manager and no demo data, as
    ``odoo-bin -i account_manager --without-demo=all`` makes it."""
    odoo.service.db._create_empty_database(dbname)
    config = odoo.tools.config
    config['init'] = {common.ADDON: 1}
    config['without_demo'] = 'all'
    config['demo'] = {}
    odoo.modules.registry.Registry.new(dbname, update_module=True)
    odoo.modules.registry.Registry.delete(dbname)
    odoo.sql_db.close_db(dbname)


def fresh_db(dbname, use_template=True):
    t0 = time.time()
    if db_exists(dbname):
        drop_db(dbname)
    if not use_template:
        install(dbname)
        _logger.info('installed %s in %.0f s', dbname, time.time() - t0)
        return
    template = 'am_bench_tpl_%s' % addon_hash()
    if not db_exists(template):
        with _admin_cursor() as cr:
            cr.execute("SELECT datname FROM pg_database WHERE datname LIKE 'am\\_bench\\_tpl\\_%%'")
            stale = [row[0] for row in cr.fetchall()]
        for name in stale:
            drop_db(name)
        install(template)
        _logger.info('installed template %s in %.0f s', template, time.time() - t0)
    copy_db(template, dbname)
    _logger.info('database %s ready (from %s) in %.0f s', dbname, template, time.time() - t0)


# ---------------------------------------------------------------- COPY

def _copy_value(value):
    if value is None:
        return '\\N'
    if value is True:
        return 't'
    if value is False:
        return 'f'
    text = str(value)
    return (text.replace('\\', '\\\\').replace('\t', '\\t')
            .replace('\n', '\\n').replace('\r', '\\r'))


def copy_rows(cr, table, columns, rows):
    """COPY rows into a table; ids are given, so the sequence is moved past them.

    For large loads the table's foreign keys and plain indexes are dropped
    first and put back afterwards: one validating join per foreign key and
    a sorted index build instead of a lookup per key and a B-tree insert per
    row (minutes at 200,000 partners).  Putting a foreign key back checks
    every row, and the indexes behind unique constraints stay, so the data
    is as checked as with row-by-row inserts."""
    foreign_keys, indexes = [], []
    if len(rows) > 1000:
        cr.execute("""SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
                      WHERE conrelid = %s::regclass AND contype = 'f'""", (table,))
        foreign_keys = cr.fetchall()
        for name, _definition in foreign_keys:
            cr.execute('ALTER TABLE "%s" DROP CONSTRAINT "%s"' % (table, name))
        cr.execute("""SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s
                      AND indexname NOT IN (SELECT conname FROM pg_constraint
                                            WHERE conrelid = %s::regclass)""", (table, table))
        indexes = cr.fetchall()
        for name, _definition in indexes:
            cr.execute('DROP INDEX "%s"' % name)
    buf = io.StringIO()
    for row in rows:
        buf.write('\t'.join(_copy_value(v) for v in row))
        buf.write('\n')
    buf.seek(0)
    cr._obj.copy_expert('COPY %s (%s) FROM STDIN' % (
        table, ', '.join('"%s"' % c for c in columns)), buf)
    if 'id' in columns:
        cr.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), "
                   "(SELECT MAX(id) FROM \"%s\"))" % ('%s', table), (table,))
    for _name, definition in indexes:
        cr.execute(definition)
    for name, definition in foreign_keys:
        cr.execute('ALTER TABLE "%s" ADD CONSTRAINT "%s" %s' % (table, name, definition))


def next_id(cr, table):
    cr.execute('SELECT COALESCE(MAX(id), 0) + 1 FROM "%s"' % table)
    return cr.fetchone()[0]


def split_counts(total, shares):
    """Integer counts for shares of a total (at least 1 each), summing to total."""
    counts = [max(1, int(round(total * s))) for s in shares]
    counts.append(total - sum(counts))
    if counts[-1] < 1:
        raise SystemExit('sizes too small: %s for shares %s' % (total, shares))
    return counts


def weighted(rng, pairs):
    roll, acc = rng.random(), 0.0
    for value, share in pairs:
        acc += share
        if roll < acc:
            return value
    return pairs[-1][0]


# ---------------------------------------------------------------- generator

class Generator(object):

    def __init__(self, env, sizes, seed=42):
        self.env = env
        self.cr = env.cr
        self.sizes = sizes
        self.rng = random.Random(seed)
        self.now = datetime.datetime.utcnow().replace(microsecond=0)
        self.timings = []

    def step(self, label, method):
        t0 = time.time()
        method()
        self.timings.append((label, time.time() - t0))
        _logger.info('%-28s %6.1f s', label, time.time() - t0)

    def run(self):
        self.step('tiers and groups', self.load_refs)
        self.step('users', self.make_users)
        self.step('managers', self.make_managers)
        self.step('territories', self.make_territories)
        self.step('territory rules', self.make_territory_rules)
        self.step('accounts and contacts', self.make_accounts)
        self.step('assignment history', self.make_history)
        self.step('followers and activities', self.make_followers)
        self.step('escalations', self.make_escalations)
        self.step('parent_left/right', self.compute_parent_store)
        self.step('caches', self.finish)
        return self.timings

    # -- references
    def load_refs(self):
        env = self.env
        self.tiers = {key: env.ref(xmlid) for key, xmlid in TIER_XMLIDS.items()}
        self.tier_level = {key: tier.level for key, tier in self.tiers.items()}
        self.company = env.ref('base.main_company')
        self.industries = env['res.partner.industry'].search([]).ids or [None]
        cr = self.cr
        cr.execute("""SELECT c.id, c.code, array_remove(array_agg(s.id ORDER BY s.id), NULL)
                      FROM res_country c LEFT JOIN res_country_state s ON s.country_id = c.id
                      GROUP BY c.id, c.code ORDER BY count(s.id) DESC, c.code""")
        self.all_countries = [(cid, code, states or []) for cid, code, states in cr.fetchall()]

    # -- users and managers
    def make_users(self):
        """Users through SQL: the ORM creates about one user per second here
        (password hashing, mail channel, cache clearing); 1,000 would take
        a quarter of an hour.  Same rows as res.users.create, one shared
        password hash; implied groups are added by the ORM."""
        from odoo.addons.auth_crypt.models.res_users import default_crypt_context
        cr, rng = self.cr, self.rng
        n = self.sizes['managers']
        g, nat, key, acc = split_counts(n, (0.004, 0.04, 0.2))
        self.manager_tiers = ['global'] * g + ['national'] * nat + ['key'] * key + ['account'] * acc
        # Two more users who manage nothing: an unrestricted one (All
        # Accounts) and a plain internal user (no account_manager group).
        extra = [('bench_all', 'Bench All Accounts', 'account_manager.group_all_accounts'),
                 ('bench_plain', 'Bench Plain User', 'base.group_user')]
        crypt = default_crypt_context.hash(PASSWORD)
        partner0 = next_id(cr, 'res_partner')
        user0 = next_id(cr, 'res_users')
        partners, users, self.user_ids, self.user_names = [], [], [], []
        rows = [('bench.mgr.%04d' % i, '%s %s' % (rng.choice(FIRST), rng.choice(LAST)),
                 TIER_GROUP[tier]) for i, tier in enumerate(self.manager_tiers)] + extra
        groups = {}
        for i, (login, name, group) in enumerate(rows):
            pid, uid = partner0 + i, user0 + i
            partners.append((pid, name, name, self.company.id, 'en_US', True, False, False,
                             False, 'contact', '%s@bench.example.com' % login, False, 0,
                             False, pid, 0, False, 1, self.now, 1, self.now))
            users.append((uid, True, login, '', crypt, self.company.id, pid, False,
                          'email', 1, self.now, 1, self.now))
            groups.setdefault(group, []).append(uid)
            if i < n:
                self.user_ids.append(uid)
                self.user_names.append(name)
        copy_rows(cr, 'res_partner', (
            'id', 'name', 'display_name', 'company_id', 'lang', 'active', 'customer',
            'supplier', 'employee', 'type', 'email', 'is_company', 'color', 'partner_share',
            'commercial_partner_id', 'message_bounce', 'opt_out',
            'create_uid', 'create_date', 'write_uid', 'write_date'), partners)
        copy_rows(cr, 'res_users', (
            'id', 'active', 'login', 'password', 'password_crypt', 'company_id',
            'partner_id', 'share', 'notification_type',
            'create_uid', 'create_date', 'write_uid', 'write_date'), users)
        copy_rows(cr, 'res_company_users_rel', ('cid', 'user_id'),
                  [(self.company.id, u[0]) for u in users])
        # The group and every group it implies, as res.users.write would add.
        rel = []
        for xmlid, uids in groups.items():
            group = self.env.ref(xmlid)
            for gid in (group | group.trans_implied_ids).ids:
                rel.extend((gid, uid) for uid in uids)
        copy_rows(cr, 'res_groups_users_rel', ('gid', 'uid'), rel)
        self.extra_user_ids = [u[0] for u in users[n:]]

    def make_managers(self):
        cr, rng = self.cr, self.rng
        tiers = self.manager_tiers
        by_tier = {}
        for i, tier in enumerate(tiers):
            by_tier.setdefault(tier, []).append(i)
        self.by_tier = by_tier
        first = next_id(cr, 'account_manager')
        self.manager_ids = [first + i for i in range(len(tiers))]
        parent_tier = {'national': 'global', 'key': 'national', 'account': 'key'}
        self.manager_parent = {}
        for tier, above in parent_tier.items():
            bosses = by_tier[above]
            for j, index in enumerate(by_tier[tier]):
                self.manager_parent[index] = bosses[j % len(bosses)]
        # Capacity scaled to the portfolio sizes of this organisation.
        per_manager = self.sizes['accounts'] / float(len(tiers))
        capacity = {'account': int(per_manager * 2.5), 'key': int(per_manager * 1.2),
                    'national': int(per_manager * 0.6), 'global': int(per_manager * 0.4)}
        rows = []
        for i, tier in enumerate(tiers):
            parent = self.manager_parent.get(i)
            absent = rng.random() < 0.02
            backup = None
            if rng.random() < 0.10 or absent:
                peers = by_tier[tier]
                if len(peers) > 1:
                    backup = self.manager_ids[rng.choice([p for p in peers[:50] if p != i])]
            rows.append((self.manager_ids[i], self.user_ids[i], self.user_names[i],
                         self.tiers[tier].id, self.tier_level[tier],
                         self.manager_ids[parent] if parent is not None else None,
                         max(capacity[tier], 1), absent, backup, True, self.company.id, 0,
                         1, self.now, 1, self.now))
        copy_rows(cr, 'account_manager', (
            'id', 'user_id', 'name', 'tier_id', 'tier_level', 'parent_id', 'capacity',
            'absent', 'backup_manager_id', 'active', 'company_id', 'color',
            'create_uid', 'create_date', 'write_uid', 'write_date'), rows)

    def manager_reaching(self, index, required):
        """Walk up the hierarchy from a manager to the first one whose tier
        reaches ``required`` (a tier key)."""
        need = self.tier_level[required] if required else 0
        while self.tier_level[self.manager_tiers[index]] < need:
            index = self.manager_parent[index]
        return index

    # -- territories
    def make_territories(self):
        """global > region > country > area, each tier of managers holding
        the territories of its type, and each area held by a report of the
        country's key account manager (team reach matches territory reach)."""
        cr, rng = self.cr, self.rng
        total = self.sizes['territories']
        n_global = max(1, int(round(total * 0.004)))
        n_region = max(n_global, int(round(total * 0.024)))
        n_country = min(max(n_region, int(round(total * 0.12))), len(self.all_countries))
        n_area = total - n_global - n_region - n_country
        if n_area < n_country:
            raise SystemExit('too few territories for a four-level tree: %d' % total)
        self.countries = self.all_countries[:n_country]
        self.foreign_countries = [c[0] for c in self.all_countries[n_country:n_country + 40]]
        by_tier = self.by_tier
        reports = {}
        for child, parent in self.manager_parent.items():
            reports.setdefault(parent, []).append(child)
        first = next_id(cr, 'account_territory')
        rows, countries_rel, states_rel = [], [], []
        self.territories = []  # (id, type, parent_index, manager_index)

        def add(name, code, ttype, parent, manager, seq, zips=(None, None)):
            tid = first + len(rows)
            parent_row = rows[parent] if parent is not None else None
            complete = '%s / %s' % (parent_row[3], name) if parent_row else name
            rows.append([tid, name, code, complete, seq, ttype,
                         parent_row[0] if parent_row else None, zips[0], zips[1],
                         self.manager_ids[manager], True, self.company.id,
                         1, self.now, 1, self.now])
            self.territories.append((tid, ttype, parent, manager))
            return len(rows) - 1

        globals_ = [add('World %d' % (g + 1), 'G%02d' % (g + 1), 'global', None,
                        by_tier['global'][g % len(by_tier['global'])], g)
                    for g in range(n_global)]
        regions = []
        for r in range(n_region):
            nat = by_tier['national'][r % len(by_tier['national'])]
            regions.append(add('Region %d' % (r + 1), 'R%03d' % (r + 1), 'region',
                               globals_[r % n_global], nat, r))
        self.country_territory = {}
        self.areas_of = {}
        per_country = [n_area // n_country + (1 if c < n_area % n_country else 0)
                       for c in range(n_country)]
        for c, (country_id, code, states) in enumerate(self.countries):
            region = regions[c % n_region]
            region_manager = self.territories[region][3]
            kams = [k for k in reports.get(region_manager, [])
                    if self.manager_tiers[k] == 'key'] or by_tier['key']
            kam = kams[(c // n_region) % len(kams)]
            country_idx = add('Country %s' % code, 'C-%s' % code, 'country', region, kam, c)
            countries_rel.append((rows[country_idx][0], country_id))
            self.country_territory[country_id] = country_idx
            ams = [a for a in reports.get(kam, []) if self.manager_tiers[a] == 'account'] \
                or by_tier['account']
            # Areas: by state for a third of them where the country has
            # states, by zip range for the others; together they leave
            # about 15% of the country to the country territory itself.
            n = per_country[c]
            n_state_areas = n // 3 if len(states) >= n else 0
            n_zip_areas = n - n_state_areas
            span = 85000 // n_zip_areas
            offset = rng.randrange(0, 15000)
            areas = []
            state_pool = list(states)
            rng.shuffle(state_pool)
            for a in range(n):
                manager = ams[a % len(ams)]
                if a < n_state_areas:
                    idx = add('%s State Area %d' % (code, a + 1), '%s-S%02d' % (code, a + 1),
                              'area', country_idx, manager, a)
                    chunk = state_pool[a::n_state_areas][:3]
                    for state_id in chunk:
                        states_rel.append((rows[idx][0], state_id))
                    countries_rel.append((rows[idx][0], country_id))
                    areas.append((idx, None, None, set(chunk)))
                else:
                    z = a - n_state_areas
                    lo, hi = offset + z * span, offset + (z + 1) * span - 1
                    zips = ('%05d' % lo, '%05d' % hi)
                    idx = add('%s Area %05d-%05d' % (code, lo, hi), '%s-Z%02d' % (code, a + 1),
                              'area', country_idx, manager, a, zips)
                    countries_rel.append((rows[idx][0], country_id))
                    areas.append((idx, zips[0], zips[1], set()))
            # Zip areas first: their rules (priority 10) beat the state areas
            # (no rules: priority 0) where both match.
            self.areas_of[country_id] = [a for a in areas if a[1]] + [a for a in areas if not a[1]]
        # Region territories list their countries too (a broader match).
        for c, (country_id, _code, _states) in enumerate(self.countries):
            countries_rel.append((rows[regions[c % n_region]][0], country_id))
        self.territory_rows = rows
        copy_rows(cr, 'account_territory', (
            'id', 'name', 'code', 'complete_name', 'sequence', 'territory_type', 'parent_id',
            'zip_from', 'zip_to', 'manager_id', 'active', 'company_id',
            'create_uid', 'create_date', 'write_uid', 'write_date'), rows)
        copy_rows(cr, 'account_territory_country_rel', ('territory_id', 'country_id'),
                  countries_rel)
        copy_rows(cr, 'account_territory_state_rel', ('territory_id', 'state_id'), states_rel)

    def make_territory_rules(self):
        """Assignment rules: each zip area's range split over two rules (its
        geography is the country and the whole range; the rules narrow it),
        so that matching weighs rules against geographies as configured
        territories do."""
        Rule = self.env['account.territory.rule']
        if not {'zip_from', 'zip_to', 'priority'} <= set(Rule._fields):
            _logger.info('account.territory.rule has no zip range: no rules generated')
            return
        cr = self.cr
        first = next_id(cr, 'account_territory_rule')
        rows = []
        for areas in self.areas_of.values():
            for idx, zip_from, zip_to, _states in areas:
                if not zip_from:
                    continue
                tid = self.territories[idx][0]
                lo, hi = int(zip_from), int(zip_to)
                mid = (lo + hi) // 2
                for a, b in ((lo, mid), (mid + 1, hi)):
                    rows.append((first + len(rows), tid, 10, 'area', self.company.id,
                                 '%05d' % a, '%05d' % b, 1, self.now, 1, self.now))
        copy_rows(cr, 'account_territory_rule', (
            'id', 'territory_id', 'priority', 'territory_type', 'company_id', 'zip_from',
            'zip_to', 'create_uid', 'create_date', 'write_uid', 'write_date'), rows)

    def match(self, country_id, state_id, zip_code):
        """The territory index an account falls in (most specific wins)."""
        if country_id not in self.country_territory:
            return None
        for idx, zip_from, zip_to, states in self.areas_of[country_id]:
            if states and state_id in states:
                return idx
            if zip_from and zip_from <= zip_code <= zip_to:
                return idx
        return self.country_territory[country_id]

    # -- accounts
    def make_accounts(self):
        cr, rng = self.cr, self.rng
        n = self.sizes['accounts']
        weights = [1.0 / (rank + 1) ** 0.8 for rank in range(len(self.countries))]
        cumulative, acc = [], 0.0
        for w in weights:
            acc += w
            cumulative.append(acc)
        first = next_id(cr, 'res_partner')
        account_rows, contact_rows = [], []
        self.accounts = []  # (partner id, manager index or None, required tier key or None)
        territory_ids = [t[0] for t in self.territories]
        group_heads = []
        for i in range(n):
            aid, cid = first + 2 * i, first + 2 * i + 1
            roll = rng.random()
            state_id = None
            if roll < SHARE_NO_COUNTRY:
                country_id = None
            elif roll < SHARE_NO_COUNTRY + SHARE_FOREIGN and self.foreign_countries:
                country_id = rng.choice(self.foreign_countries)
            else:
                c = _bisect(cumulative, rng.random() * acc)
                country_id, _code, states = self.countries[c]
                if states:
                    state_id = rng.choice(states)
            zip_code = '%05d' % rng.randrange(100000)
            required = weighted(rng, SHARE_REQUIRED + ((None, 1.0),))
            idx = self.match(country_id, state_id, zip_code)
            locked = False
            manager = territory = None
            if idx is not None:
                roll = rng.random()
                if roll < SHARE_UNASSIGNED:
                    pass
                elif roll < SHARE_UNASSIGNED + SHARE_LOCKED:
                    locked = True
                    territory = idx
                    manager = self.manager_reaching(
                        rng.choice(self.by_tier['account']), required)
                else:
                    territory = idx
                    manager = self.manager_reaching(self.territories[idx][3], required)
            elif rng.random() < 0.6:
                # Named accounts outside any territory.
                manager = self.manager_reaching(rng.choice(self.by_tier['account']), required)
            name = '%s %s %s %d' % (rng.choice(COMPANY_A), rng.choice(COMPANY_B),
                                    rng.choice(COMPANY_C), i + 1)
            contact = '%s %s' % (rng.choice(FIRST), rng.choice(LAST))
            manager_id = self.manager_ids[manager] if manager is not None else None
            user_id = self.user_ids[manager] if manager is not None else None
            tier_id = self.tiers[self.manager_tiers[manager]].id if manager is not None else None
            required_id = self.tiers[required].id if required else None
            territory_id = territory_ids[territory] if territory is not None else None
            parent_account = None
            if group_heads and rng.random() < SHARE_GROUP_MEMBER:
                parent_account = rng.choice(group_heads)
            elif i % 100 == 0:
                group_heads.append(aid)
            street = '%d %s' % (rng.randrange(1, 300), rng.choice(STREETS))
            city = 'City %d' % rng.randrange(1, 500)
            industry = rng.choice(self.industries)
            domain = 'c%d.bench.example.com' % (i + 1)
            common_cols = [self.company.id, 'en_US', True, True, False, False, 'contact',
                           street, zip_code, city, state_id, country_id, 0, True, aid,
                           country_id, name, user_id, 0, False, manager_id, user_id, tier_id,
                           required_id, territory_id, locked, 1, self.now, 1, self.now]
            account_rows.append([aid, name, name, None, True, 'info@' + domain, industry,
                                 parent_account] + common_cols)
            contact_rows.append([cid, contact, '%s, %s' % (name, contact), aid, False,
                                 '%s@%s' % (contact.split()[0].lower(), domain), industry,
                                 None] + common_cols)
            self.accounts.append((aid, manager, required))
        columns = ('id', 'name', 'display_name', 'parent_id', 'is_company', 'email',
                   'industry_id', 'account_parent_id',
                   'company_id', 'lang', 'active', 'customer', 'supplier', 'employee', 'type',
                   'street', 'zip', 'city', 'state_id', 'country_id', 'color', 'partner_share',
                   'commercial_partner_id', 'commercial_partner_country_id',
                   'commercial_company_name', 'user_id', 'message_bounce', 'opt_out',
                   'account_manager_id', 'account_manager_user_id', 'account_manager_tier_id',
                   'required_tier_id', 'territory_id', 'territory_locked',
                   'create_uid', 'create_date', 'write_uid', 'write_date')
        rows = []
        for account, contact in zip(account_rows, contact_rows):
            rows.append(account)
            rows.append(contact)
        copy_rows(cr, 'res_partner', columns, rows)

    def make_history(self):
        cr, rng = self.cr, self.rng
        rows = []
        first = next_id(cr, 'account_manager_assignment')
        n_managers = len(self.manager_ids)
        for aid, manager, _required in self.accounts:
            if manager is None:
                continue
            start = self.now - datetime.timedelta(days=rng.randrange(1, 1100),
                                                  seconds=rng.randrange(86400))
            if rng.random() < SHARE_PREVIOUS_LINE:
                previous = rng.randrange(n_managers)
                before = start - datetime.timedelta(days=rng.randrange(30, 700))
                rows.append((first + len(rows), aid, self.manager_ids[previous], 'primary',
                             before, start, 'import', 'Initial import', 1, self.company.id,
                             1, self.now, 1, self.now))
            rows.append((first + len(rows), aid, self.manager_ids[manager], 'primary', start,
                         None, 'territory', None, 1, self.company.id,
                         1, self.now, 1, self.now))
        copy_rows(cr, 'account_manager_assignment', (
            'id', 'partner_id', 'manager_id', 'role', 'date_start', 'date_end', 'origin',
            'reason', 'user_id', 'company_id',
            'create_uid', 'create_date', 'write_uid', 'write_date'), rows)

    def make_followers(self):
        """Each managed account followed by its manager (as Odoo subscribes a
        partner's responsible user), with the default subtypes; an open
        activity of the manager on a share of the accounts."""
        cr, rng, env = self.cr, self.rng, self.env
        subtypes = env['mail.message.subtype'].default_subtypes('res.partner')[0].ids
        first = next_id(cr, 'mail_followers')
        followers, rel, activities = [], [], []
        todo = env.ref('mail.mail_activity_data_todo').id
        model_id = env['ir.model']._get('res.partner').id
        activity_first = next_id(cr, 'mail_activity')
        cr.execute("SELECT id, partner_id FROM res_users WHERE id = ANY(%s)", (self.user_ids,))
        user_partner = dict(cr.fetchall())
        for aid, manager, _required in self.accounts:
            if manager is None:
                continue
            fid = first + len(followers)
            followers.append((fid, 'res.partner', aid, user_partner[self.user_ids[manager]]))
            rel.extend((fid, subtype) for subtype in subtypes)
            if rng.random() < SHARE_ACTIVITY:
                due = (self.now + datetime.timedelta(days=rng.randrange(-10, 30))).date()
                activities.append((activity_first + len(activities), model_id, 'res.partner',
                                   aid, None, todo, 'Follow up', due,
                                   self.user_ids[manager], 1, self.now, 1, self.now))
        copy_rows(cr, 'mail_followers', ('id', 'res_model', 'res_id', 'partner_id'), followers)
        copy_rows(cr, 'mail_followers_mail_message_subtype_rel',
                  ('mail_followers_id', 'mail_message_subtype_id'), rel)
        copy_rows(cr, 'mail_activity', (
            'id', 'res_model_id', 'res_model', 'res_id', 'res_name', 'activity_type_id',
            'summary', 'date_deadline', 'user_id',
            'create_uid', 'create_date', 'write_uid', 'write_date'), activities)
        # res_name and the partners' activity_date_deadline, as the ORM stores them.
        cr.execute("""UPDATE mail_activity a SET res_name = p.display_name
                      FROM res_partner p WHERE a.res_model = 'res.partner' AND p.id = a.res_id
                      AND a.res_name IS NULL""")
        cr.execute("""UPDATE res_partner p SET activity_date_deadline = a.deadline
                      FROM (SELECT res_id, min(date_deadline) AS deadline FROM mail_activity
                            WHERE res_model = 'res.partner' GROUP BY res_id) a
                      WHERE p.id = a.res_id""")

    def make_escalations(self):
        cr, rng, env = self.cr, self.rng, self.env
        n = self.sizes['escalations']
        managed = [a for a in self.accounts if a[1] is not None]
        first = next_id(cr, 'account_escalation')
        activity_first = next_id(cr, 'mail_activity')
        todo = (env.ref('account_manager.mail_activity_type_escalation', raise_if_not_found=False)
                or env.ref('mail.mail_activity_data_todo')).id
        model_id = env['ir.model']._get('account.escalation').id
        year = self.now.year
        rows, activities = [], []
        for i in range(n):
            aid, manager, _required = rng.choice(managed)
            severity = weighted(rng, SEVERITIES)
            state = weighted(rng, ESCALATION_STATES)
            hops = 0
            holder = manager
            while hops < 2 and holder in self.manager_parent and rng.random() < 0.3:
                holder = self.manager_parent[holder]
                hops += 1
            sla = datetime.timedelta(hours=SLA_HOURS[severity])
            if state == 'open' and rng.random() < SHARE_OVERDUE:
                deadline = self.now - datetime.timedelta(minutes=rng.randrange(10, 7 * 24 * 60))
            elif state == 'open':
                deadline = self.now + datetime.timedelta(minutes=rng.randrange(10, 48 * 60))
            else:
                deadline = self.now - datetime.timedelta(days=rng.randrange(1, 365))
            created = deadline - sla
            acknowledged = resolved = hours = resolution = None
            if state in ('acknowledged', 'resolved'):
                acknowledged = created + datetime.timedelta(minutes=rng.randrange(5, 600))
            if state == 'resolved':
                resolved = acknowledged + datetime.timedelta(hours=rng.randrange(1, 120))
                hours = round((resolved - created).total_seconds() / 3600.0, 2)
                resolution = 'Resolved with the customer.'
            eid = first + i
            name = 'ESC/%d/%05d' % (year, i + 1)
            activity_deadline = None
            if state in ('open', 'acknowledged'):
                activity_deadline = deadline.date()
                activities.append((activity_first + len(activities), model_id,
                                   'account.escalation', eid, name, todo,
                                   'Escalation: %s' % name, activity_deadline,
                                   self.user_ids[holder], 1, created, 1, created))
            rows.append((eid, name, aid, 'Customer concern %d' % (i + 1),
                         'Generated for the benchmarks.', severity,
                         self.user_ids[manager], self.manager_ids[manager],
                         self.manager_ids[holder], state, deadline, hops, acknowledged,
                         resolved, resolution, hours, activity_deadline, self.company.id,
                         1, created, 1, created))
        copy_rows(cr, 'account_escalation', (
            'id', 'name', 'partner_id', 'subject', 'description', 'severity', 'raised_by_id',
            'origin_manager_id', 'manager_id', 'state', 'deadline', 'hop_count',
            'date_acknowledged', 'date_resolved', 'resolution', 'resolution_hours',
            'activity_date_deadline', 'company_id',
            'create_uid', 'create_date', 'write_uid', 'write_date'), rows)
        copy_rows(cr, 'mail_activity', (
            'id', 'res_model_id', 'res_model', 'res_id', 'res_name', 'activity_type_id',
            'summary', 'date_deadline', 'user_id',
            'create_uid', 'create_date', 'write_uid', 'write_date'), activities)
        sequence = env.ref('account_manager.seq_account_escalation', raise_if_not_found=False)
        if sequence:
            sequence.write({'number_next': n + 1})

    # -- finish
    def compute_parent_store(self):
        self.env['account.manager']._parent_store_compute()
        self.env['account.territory']._parent_store_compute()

    def finish(self):
        self.env['ir.rule'].clear_caches()
        self.env.cache.invalidate()


def _bisect(cumulative, value):
    lo, hi = 0, len(cumulative) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if cumulative[mid] < value:
            lo = mid + 1
        else:
            hi = mid
    return lo


def analyze(dbname):
    """Fresh bulk data has no planner statistics until autovacuum comes by:
    a production database has them, so the benchmarks should too."""
    with closing(odoo.sql_db.db_connect(dbname).cursor()) as cr:
        cr.autocommit(True)
        cr.execute('VACUUM ANALYZE')


STAMP_KEY = 'account_manager.bench_stamp'


def stamp(sizes, seed):
    """What a generated database was built from: the addon's code, the
    generator's code, the sizes and the seed."""
    with open(os.path.abspath(__file__), 'rb') as handle:
        generator = hashlib.sha1(handle.read()).hexdigest()[:8]
    return '%s %s %s seed=%s' % (addon_hash(), generator, ','.join(
        '%s=%s' % kv for kv in sorted(sizes.items())), seed)


def current_stamp(dbname):
    if not db_exists(dbname):
        return None
    with closing(odoo.sql_db.db_connect(dbname).cursor()) as cr:
        try:
            cr.execute("SELECT value FROM ir_config_parameter WHERE key = %s", (STAMP_KEY,))
        except Exception:  # not an Odoo database
            return None
        row = cr.fetchone()
    odoo.sql_db.close_db(dbname)
    return row and row[0]


def generate(dbname, sizes, seed=42, use_template=True):
    """Build ``dbname`` from scratch; returns [(step, seconds)]."""
    t0 = time.time()
    fresh_db(dbname, use_template=use_template)
    timings = [('database', time.time() - t0)]
    with common.environment(dbname, commit=True) as env:
        timings += Generator(env, sizes, seed).run()
        env['ir.config_parameter'].set_param(STAMP_KEY, stamp(sizes, seed))
    t1 = time.time()
    analyze(dbname)
    timings.append(('vacuum analyze', time.time() - t1))
    return timings


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--db', default='am_bench', help='database to (re)create')
    parser.add_argument('--small', action='store_true',
                        help='smoke-test sizes: %s' % ', '.join(
                            '%s=%s' % kv for kv in sorted(SMALL.items())))
    for key in sorted(SIZES):
        parser.add_argument('--%s' % key, type=int, default=None,
                            help='default %d (--small: %d)' % (SIZES[key], SMALL[key]))
    parser.add_argument('--seed', type=int, default=42)
    parser.add_argument('--no-template', action='store_true',
                        help='install the addon from scratch instead of copying a template')
    parser.add_argument('--if-stale', action='store_true',
                        help='keep the database when it was generated from the same addon '
                             'code, generator, sizes and seed')
    args = parser.parse_args(argv)
    sizes = dict(SMALL if args.small else SIZES)
    for key in SIZES:
        if getattr(args, key) is not None:
            sizes[key] = getattr(args, key)
    return args, sizes


def main(argv=None):
    args, sizes = parse_args(argv)
    common.start_odoo(log_level='info')
    if args.if_stale and current_stamp(args.db) == stamp(sizes, args.seed):
        print('%s is up to date (%s): kept' % (args.db, stamp(sizes, args.seed)))
        return
    t0 = time.time()
    timings = generate(args.db, sizes, seed=args.seed, use_template=not args.no_template)
    print('generated %s: %s' % (args.db, ', '.join('%s=%d' % kv for kv in sorted(sizes.items()))))
    for label, seconds in timings:
        print('  %-28s %7.1f s' % (label, seconds))
    print('  %-28s %7.1f s' % ('total', time.time() - t0))


if __name__ == '__main__':
    main()
