"""Smoke test of the benchmark generator and harness at small sizes.

    .venv/bin/python -m pytest -p no:odoo -q bench/test_bench_smoke.py

Builds ``am_bench_smoke`` (or $AM_BENCH_SMOKE_DB) with tiny sizes,
checks that the data is what the ORM would have written, and runs every
benchmark once at small sizes.  ``-p no:odoo``: this is a plain pytest
module that starts Odoo itself; pytest-odoo's fixtures are not wanted.
"""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402
import generate  # noqa: E402
import run  # noqa: E402

DB = os.environ.get('AM_BENCH_SMOKE_DB', 'am_bench_smoke')
# Smaller than --small: the point is that everything runs and is consistent.
SIZES = {'accounts': 300, 'managers': 24, 'territories': 24, 'escalations': 60}


@pytest.fixture(scope='module')
def env():
    common.start_odoo()
    generate.generate(DB, dict(SIZES))
    with common.environment(DB) as env:
        yield env


def _count(env, query, params=None):
    env.cr.execute(query, params)
    return env.cr.fetchone()[0]


def test_sizes(env):
    bench = "login LIKE 'bench.mgr.%%'"
    assert _count(env, "SELECT count(*) FROM res_partner WHERE is_company AND customer "
                       "AND email LIKE 'info@%%.bench.example.com'") == SIZES['accounts']
    assert _count(env, "SELECT count(*) FROM res_partner p JOIN res_partner a "
                       "ON a.id = p.parent_id WHERE a.email LIKE 'info@%%.bench.example.com'"
                  ) == SIZES['accounts']
    assert _count(env, "SELECT count(*) FROM account_manager m JOIN res_users u "
                       "ON u.id = m.user_id WHERE u." + bench) == SIZES['managers']
    assert _count(env, "SELECT count(*) FROM account_territory") == SIZES['territories']
    assert _count(env, "SELECT count(*) FROM account_escalation") == SIZES['escalations']
    tiers = dict(env['account.manager'].read_group([], ['tier_id'], ['tier_id'], lazy=False)
                 and [(g['tier_id'][0], g['__count']) for g in env['account.manager'].read_group(
                     [], ['tier_id'], ['tier_id'], lazy=False)])
    assert len(tiers) == 4, 'a four-level hierarchy'
    types = {g['territory_type'] for g in env['account.territory'].read_group(
        [], ['territory_type'], ['territory_type'])}
    assert types == {'global', 'region', 'country', 'area'}
    assert _count(env, "SELECT count(*) FROM account_escalation WHERE state = 'open' "
                       "AND deadline < now() at time zone 'UTC'") > 0, 'some overdue'
    assert _count(env, "SELECT count(*) FROM res_partner WHERE territory_locked "
                       "AND parent_id IS NULL") > 0
    assert _count(env, "SELECT count(*) FROM res_partner WHERE is_company AND customer "
                       "AND account_manager_id IS NULL") > 0, 'some unassigned'


@pytest.mark.parametrize('model', ['account.manager', 'account.territory'])
def test_parent_store(env, model):
    """parent_left/right as _parent_store_compute sets them: child_of works."""
    records = env[model].search([])
    assert all(r.parent_right > r.parent_left >= 0 for r in records)
    assert len(set(records.mapped("parent_left"))) == len(records)
    for record in records.filtered('parent_id'):
        assert record.parent_id.parent_left < record.parent_left < record.parent_id.parent_right
    root = records.filtered(lambda r: not r.parent_id)[0]
    below = env[model].search([('id', 'child_of', root.id)])
    assert len(below) > 1 and all(r.parent_left >= root.parent_left for r in below)


def test_one_open_primary_line_per_managed_account(env):
    env.cr.execute("""
        SELECT p.id, p.account_manager_id, array_agg(a.manager_id)
        FROM res_partner p
        LEFT JOIN account_manager_assignment a
               ON a.partner_id = p.id AND a.role = 'primary' AND a.date_end IS NULL
        WHERE p.parent_id IS NULL AND p.account_manager_id IS NOT NULL
        GROUP BY p.id, p.account_manager_id""")
    rows = env.cr.fetchall()
    assert len(rows) > SIZES['accounts'] * 0.7
    wrong = [row for row in rows if row[2] != [row[1]]]
    assert not wrong, wrong[:5]
    assert not _count(env, """SELECT count(*) FROM account_manager_assignment a
                              JOIN res_partner p ON p.id = a.partner_id
                              WHERE a.date_end IS NULL AND p.account_manager_id IS NULL""")


def test_contacts_mirror_their_account(env):
    fields = ['account_manager_id', 'account_manager_user_id', 'account_manager_tier_id',
              'territory_id', 'required_tier_id', 'territory_locked', 'commercial_partner_id']
    env.cr.execute("""SELECT count(*) FROM res_partner c JOIN res_partner a ON a.id = c.parent_id
                      WHERE %s""" % ' OR '.join(
        'c.%s IS DISTINCT FROM a.%s' % (f, f if f != 'commercial_partner_id' else 'id')
        for f in fields))
    assert env.cr.fetchone()[0] == 0


def test_stored_computed_fields_match_the_orm(env):
    """Recompute the stored computed/related fields of a sample through the
    ORM: nothing may change."""
    samples = {
        'res.partner': env['res.partner'].search(
            [('email', '=like', '%bench.example.com')], limit=100),
        'account.manager': env['account.manager'].search([]),
        'account.territory': env['account.territory'].search([]),
        'res.users': env['res.users'].search([('login', '=like', 'bench%')]),
        'account.territory.rule': env['account.territory.rule'].search([]),
    }
    for model, records in samples.items():
        fields = [name for name, f in records._fields.items()
                  if f.store and (f.compute or f.related) and f.type != 'binary'
                  and name not in ('password',)]
        before = records.read(fields)
        for name in fields:
            env.add_todo(records._fields[name], records)
        records.recompute()
        env.clear()
        after = records.read(fields)
        diff = [(b['id'], f, b[f], a[f]) for b, a in zip(before, after) for f in fields
                if b[f] != a[f]]
        # The recompute wrote (the same values): release the row locks before
        # another cursor (the benchmarks) writes these rows.
        env.cr.rollback()
        env.clear()
        assert not diff, (model, diff[:5])


def test_users_and_groups(env):
    own = env.ref('account_manager.group_own_accounts')
    team = env.ref('account_manager.group_team_accounts')
    managers = env['account.manager'].search([('user_id.login', '=like', 'bench.mgr.%')])
    for manager in managers:
        user = manager.user_id
        expected = own if manager.tier_id == env.ref(
            'account_manager.tier_account_manager') else team
        assert expected in user.groups_id
        assert env.ref('base.group_user') in user.groups_id, 'implied groups added'
        assert not user.share and user.partner_id.name == manager.name
    assert managers.mapped('user_id.partner_id.commercial_partner_id') == \
        managers.mapped('user_id.partner_id')


def test_benchmarks_run(env, tmp_path):
    """Every benchmark runs (or says which feature has not landed yet)."""
    env.cr.rollback()  # no lock of this cursor may block the benchmarks' cursor
    results = tmp_path / 'RESULTS.md'
    harness, skipped = run.run(DB, repeat=1, fast_repeat=1, warmup=0,
                               results_path=str(results), reassign_sizes=(50, 150),
                               escalation_sizes=(20, 40), verbose=False)
    failed = [item for item in skipped if not item[1].startswith('not available yet')]
    assert not failed, failed
    assert any(r.bench == 'list' for r in harness.results)
    text = results.read_text()
    assert '## Machine' in text and '## Results' in text


def test_territory_engine_agrees_with_the_generator(env):
    """The addon's matching, run on the generated accounts, moves none of
    the accounts the generator placed: only the unassigned ones (which a
    realignment would place) and none of the locked ones."""
    Partner = env['res.partner']
    if not hasattr(type(Partner), '_plan_territory_assignment'):
        pytest.skip('territory assignment not available')
    accounts = Partner.search(run.ACCOUNT_DOMAIN)
    plan = accounts._plan_territory_assignment()
    env.cr.execute("""SELECT id FROM res_partner WHERE parent_id IS NULL
                      AND account_manager_id IS NULL AND territory_id IS NULL
                      AND country_id IN (SELECT country_id FROM account_territory_country_rel)""")
    unassigned = {row[0] for row in env.cr.fetchall()}
    moved = set(plan['targets'])
    assert moved == unassigned, (
        sorted(moved - unassigned)[:10], sorted(unassigned - moved)[:10])
    assert not set(plan['locked']) & moved
