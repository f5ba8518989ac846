from collections import Counter, defaultdict

from odoo import SUPERUSER_ID, _, api, fields, models
from odoo.tools import html_escape

from .territory_keys import zip_key

# The addon's own writes of a territory must not re-match it: they say so
# with this sentinel object in the context, which no client can send.
TERRITORY_SKIP_KEY = 'territory_assignment_skip'
TERRITORY_SKIP = object()


def _skips_territory(env):
    return env.context.get(TERRITORY_SKIP_KEY) is TERRITORY_SKIP


# What an account's territory depends on: a change to one of these re-matches it.
TERRITORY_TRIGGER_FIELDS = ('country_id', 'state_id', 'zip', 'industry_id', 'category_id')

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
        eligible = self.env['account.manager.bulk']._read_partners(
            saved.ids, [], accounts_only=True)
        for partner in self:
            partner.territory_unmatched = (
                partner.id in eligible and not matches.get(partner.id))

    def _search_territory_unmatched(self, operator, value):
        Bulk = self.env['account.manager.bulk']
        if (operator == '=') == bool(value):
            ids = Bulk._unmatched_account_ids()
        else:
            ids = [row[0] for row in Bulk._match_territories()]
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

    @api.multi
    def _match_territories(self):
        """{account id: territory id or False} for the accounts in ``self``
        (contacts are left out: they follow their account)."""
        if not self:
            return {}
        matches = dict.fromkeys(self.ids, False)
        matches.update(self.env['account.manager.bulk']._match_territories(self.ids))
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
        rows = [(partner_id,) + values for partner_id, values in sorted(
            self.env['account.manager.bulk']._read_partners(
                self.ids, ['territory_id', 'account_manager_id', 'required_tier_id',
                           'territory_locked'], accounts_only=True).items())]
        rows = [row[:4] + (bool(row[4]),) for row in rows]
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
        current = self.env['account.manager.bulk']._read_partners(
            list(plan['targets']), ['territory_id', 'account_manager_id'])
        manager_moves = Counter()
        territory_moves = Counter()
        for partner_id, (territory_id, manager_id) in plan['targets'].items():
            old_territory_id, old_manager_id = current[partner_id]
            if manager_id and manager_id != old_manager_id:
                manager_moves[(old_manager_id or False, manager_id)] += 1
            if territory_id != old_territory_id:
                territory_moves[(old_territory_id or False, territory_id)] += 1
        return manager_moves, territory_moves
