"""Doors around the record rules.

The rules on accounts hold; these helpers keep the records around an account
(its escalations' and history's joins, its followers, activities and
messages) from showing more than a read of the account itself would."""
from odoo import SUPERUSER_ID, api

# Documents whose mail records (followers, activities, messages) follow the
# document's read rules for restricted users. Glue addons add theirs by
# extending ``_account_manager_document_models`` on the mail models.
DOCUMENT_MODELS = ('res.partner', 'account.escalation', 'account.manager.reassignment')


class AutoJoinGuard(object):
    """A plain Python mixin for models with ``auto_join`` many2one fields.

    ``auto_join`` makes the record rules test the account's manager through
    a SQL join, which is what keeps them fast; but it also lets a user's own
    domain (``('partner_id.comment', 'ilike', …)``) look into accounts their
    rules hide. A user's domain through such a field is therefore resolved
    on the comodel first, under the user's rules. The rules themselves are
    evaluated as superuser (``ir.rule.domain_get``) and keep the join."""

    @api.model
    def _where_calc(self, domain, active_test=True):
        if self.env.uid != SUPERUSER_ID and domain:
            domain = [self._guard_auto_join_leaf(leaf) for leaf in domain]
        return super(AutoJoinGuard, self)._where_calc(domain, active_test=active_test)

    @api.model
    def _guard_auto_join_leaf(self, leaf):
        if not (isinstance(leaf, (list, tuple)) and len(leaf) == 3
                and isinstance(leaf[0], str) and '.' in leaf[0]):
            return leaf
        name, rest = leaf[0].split('.', 1)
        field = self._fields.get(name)
        if not (field and field.type == 'many2one' and field.auto_join):
            return leaf
        comodel = self.env[field.comodel_name].with_context(active_test=False)
        return (name, 'in', comodel._search([(rest, leaf[1], leaf[2])]))


def document_rule_clause(model, alias, res_model_column, res_id_column, exceptions=()):
    """A SQL condition (clause, params) that keeps the rows of ``alias``
    (a table with a document reference: ``res_model_column`` /
    ``res_id_column``) whose document the current user may read, for the
    documents of ``model._account_manager_document_models()``; rows of
    other documents pass. ``exceptions`` are (clause, params) that also let
    a row pass (the user's own follower row, say). Empty when the user is
    not restricted by this addon: Odoo's own rules stand alone then."""
    env = model.env
    if env.uid == SUPERUSER_ID or not env.user._account_manager_is_restricted():
        return None, []
    Rule = env['ir.rule']
    alternatives, params = [], []
    handled = []
    for doc_model in model._account_manager_document_models():
        if doc_model not in env:
            continue
        handled.append(doc_model)
        clauses, clause_params, tables = Rule.domain_get(doc_model, 'read')
        if not clauses:
            alternatives.append('%s."%s" = %%s' % (alias, res_model_column))
            params.append(doc_model)
            continue
        alternatives.append(
            '(%s."%s" = %%s AND %s."%s" IN (SELECT "%s".id FROM %s WHERE %s))' % (
                alias, res_model_column, alias, res_id_column,
                env[doc_model]._table, ', '.join(tables), ' AND '.join(clauses)))
        params += [doc_model] + list(clause_params)
    if not handled:
        return None, []
    alternatives.insert(0, '%s."%s" IS NULL OR %s."%s" NOT IN %%s' % (
        alias, res_model_column, alias, res_model_column))
    params.insert(0, tuple(handled))
    for clause, clause_params in exceptions:
        alternatives.append(clause)
        params += list(clause_params)
    return '(%s)' % ' OR '.join(alternatives), params


class DocumentRuleMixin(object):
    """For mail models that point at a document (``res_model``/``res_id``):
    a restricted user's searches and reads keep only the rows whose document
    they may read (see ``document_rule_clause``)."""

    _document_model_column = 'res_model'
    _document_id_column = 'res_id'

    @api.model
    def _account_manager_document_models(self):
        return list(DOCUMENT_MODELS)

    @api.model
    def _document_rule_exceptions(self):
        return []

    @api.model
    def _apply_ir_rules(self, query, mode='read'):
        res = super(DocumentRuleMixin, self)._apply_ir_rules(query, mode=mode)
        clause, params = document_rule_clause(
            self, '"%s"' % self._table, self._document_model_column,
            self._document_id_column, self._document_rule_exceptions())
        if clause:
            query.where_clause.append(clause)
            query.where_clause_params.extend(params)
        return res


class ReadGroupThroughSearch(object):
    """For models whose own ``_search`` decides what a user may see (Odoo
    11's messages and attachments) but whose ``read_group`` skips it: a
    restricted user's groups are taken over the records their search
    returns, so that a count or a grouped name is no oracle on documents
    out of reach."""

    @api.model
    def read_group(self, domain, fields, groupby, offset=0, limit=None,
                   orderby=False, lazy=True):
        if self.env.uid != SUPERUSER_ID and self.env.user._account_manager_is_restricted():
            domain = [('id', 'in', self.search(domain or []).ids)]
        return super(ReadGroupThroughSearch, self).read_group(
            domain, fields, groupby, offset=offset, limit=limit, orderby=orderby, lazy=lazy)
