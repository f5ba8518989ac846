"""Type checks on the values given to ``create()`` and ``write()``.

The ORM trusts its callers: a string in an integer field, an unknown id in a
many2one or a value outside a selection end in a ``ValueError``, a
``TypeError`` or a database error, which integrations see as an internal
error, or are even stored as given (selections).  ``InputCheck`` refuses
them first, with a ``ValidationError`` that names the model, the records,
the field and the value, before any other override reads the values and
before anything is written.

``InputCheck`` is a plain Python mixin: listed first in the bases of a model
class, it runs before every override of the classes after it.  Model
extensions that use it are declared in ``input_check_models.py``, loaded
last, so that it also runs before this addon's own overrides.
"""
import datetime
import math

from odoo import _, api, models
from odoo.exceptions import UserError, ValidationError

INT4_MIN, INT4_MAX = -2 ** 31, 2 ** 31 - 1
SHOWN_CHARS = 60
MAX_RECORDS_NAMED = 5
# Characters a one-line text field (Char) of the addon may hold.
CHAR_LIMIT = 256


def show(value):
    """A short, safe rendering of a value for an error message."""
    text = repr(value)
    if len(text) > SHOWN_CHARS:
        text = '%s… (%d characters)' % (text[:SHOWN_CHARS], len(text))
    return text


def partner_shortlist(partners, limit=20):
    """One line per partner for a message, without drowning the user."""
    text = '\n'.join('- %s' % name for name in partners[:limit].mapped('display_name'))
    if len(partners) > limit:
        text += '\n' + _('… and %d more') % (len(partners) - limit)
    return text


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _is_id(value):
    return _is_int(value) and 0 < value <= INT4_MAX


def _is_integral(value):
    if _is_int(value):
        return INT4_MIN <= value <= INT4_MAX
    return (isinstance(value, float) and math.isfinite(value) and value.is_integer()
            and INT4_MIN <= value <= INT4_MAX)


def _parses(field, value):
    """Whether the date or datetime ``field`` reads the string ``value``."""
    if not isinstance(value, str):
        return False
    try:
        field.from_string(value)
    except (ValueError, OverflowError):
        return False
    return True


class InputCheck(object):
    """Refuse wrongly typed values in ``create()`` and ``write()``.

    ``_input_check_module``: only the fields this module defines are checked
    (for the models the addon extends); ``None`` checks every field."""

    _input_check_module = None

    @api.model
    @api.returns('self', lambda value: value.id)
    def create(self, vals):
        # Defaults from the context (``default_*`` keys) are the client's
        # values too: add them here, as the ORM would later, so that the
        # checks and every override after this one see and judge them.
        if isinstance(vals, dict):
            vals = self._add_missing_default_values(vals)
        self._check_input_vals(vals)
        return super(InputCheck, self).create(vals)

    @api.multi
    def write(self, vals):
        self._check_record_ids()
        self._check_input_vals(vals)
        return super(InputCheck, self).write(vals)

    # -------------------------------------------------------------- records
    def _check_record_ids(self):
        """Ids that came from outside (RPC) must be record ids."""
        wrong = [i for i in self._ids if not _is_id(i) and not isinstance(i, models.NewId)]
        if wrong:
            raise UserError(_("%s: these are not record ids: %s.") % (
                self._description, ', '.join(show(i) for i in wrong[:MAX_RECORDS_NAMED])))

    @api.model
    def _context_active_ids(self):
        """The records a wizard was opened on (``active_ids``, else
        ``active_id``), refused cleanly when they are not record ids."""
        ctx = self.env.context
        ids = ctx.get('active_ids')
        if not ids and ctx.get('active_id'):
            ids = [ctx['active_id']]
        ids = ids or []
        if not isinstance(ids, (list, tuple)) or not all(_is_id(i) for i in ids):
            raise UserError(_("%s: the records to work on (active_ids) must be "
                              "record ids, not %s.") % (self._description, show(ids)))
        return list(ids)

    def _check_public_call(self):
        """What every public method (callable over RPC) checks first: the
        ids are record ids, and the caller may read these records. Their
        own right to act is the method's business after that."""
        self._check_record_ids()
        records = self.filtered(lambda r: not isinstance(r.id, models.NewId)).exists()
        records.check_access_rights('read')
        records.check_access_rule('read')

    def _ensure_one_record(self):
        """``ensure_one()`` for the public actions: a clean refusal when they
        are called on no record, several records or something that is not
        a record id; and the caller must be able to read it."""
        self._check_record_ids()
        if len(self) != 1:
            raise UserError(_("%s: this action works on exactly one record, "
                              "not %d.") % (self._description, len(self)))
        if not self.exists():
            raise UserError(_("%s: record %s does not exist (any more).") % (
                self._description, self.id))
        self._check_public_call()

    # ------------------------------------------------------------ companies
    def _check_same_company(self, *names):
        """The records that ``names`` point to belong to the record's
        company (or to none): another company's manager, territory or
        reports would leak across companies."""
        problems = []
        for record in self.sudo():
            company = record.company_id
            for name in names:
                other = record[name]
                if company and other and other.company_id and other.company_id != company:
                    problems.append(_("%s: %s %s belongs to %s, not to %s") % (
                        record.display_name, self._fields[name].string,
                        other.display_name, other.company_id.name, company.name))
        if problems:
            raise ValidationError(_("Records of another company:\n%s") % '\n'.join(
                '- ' + p for p in problems[:20]))

    # --------------------------------------------------------------- values
    def _check_input_vals(self, vals):
        if not isinstance(vals, dict):
            raise ValidationError(_("%s: expected a dictionary of field values, got %s.")
                                  % (self._description, show(vals)))
        creating = not self._ids
        problems = []
        for name, value in vals.items():
            field = self._fields.get(name)
            if field is None:
                if self._input_check_module is None:
                    problems.append(_("%s: no such field") % show(name))
                continue
            if self._input_check_module and field._module != self._input_check_module:
                continue
            problem = self._input_value_problem(field, value, creating)
            if problem:
                problems.append('%s (%s): %s' % (field.string, name, problem))
        if problems:
            if creating:
                where = _("a new %s") % self._description
            else:
                names = self.sudo().exists().mapped('display_name')
                where = '%s %s' % (self._description, ', '.join(names[:MAX_RECORDS_NAMED]))
                if len(names) > MAX_RECORDS_NAMED:
                    where += _(' and %d more') % (len(names) - MAX_RECORDS_NAMED)
            raise ValidationError(_("Invalid values for %s:\n%s") % (
                where, '\n'.join('- ' + p for p in problems)))

    def _input_value_problem(self, field, value, creating):
        """Why ``value`` cannot go into ``field``, or None."""
        if value is None or value is False:
            if field.required and not creating and field.type != 'boolean':
                return _("is required")
            return None
        check = getattr(self, '_input_problem_%s' % field.type, None)
        return check(field, value) if check else None

    def _input_problem_boolean(self, field, value):
        if isinstance(value, bool) or value in (0, 1):
            return None
        return _("expected true or false, got %s") % show(value)

    def _input_problem_integer(self, field, value):
        if _is_integral(value):
            return None
        return _("expected a whole number between %d and %d, got %s") % (
            INT4_MIN, INT4_MAX, show(value))

    def _input_problem_float(self, field, value):
        if isinstance(value, (int, float)) and not isinstance(value, bool) \
                and math.isfinite(value):
            return None
        return _("expected a number, got %s") % show(value)

    _input_problem_monetary = _input_problem_float

    def _input_problem_char(self, field, value):
        if not isinstance(value, str):
            return _("expected text, got %s") % show(value)
        if '\x00' in value:
            return _("contains a NUL character (\\x00), which text cannot hold")
        # Names and codes are indexed (unique codes, the territories'
        # complete name): PostgreSQL refuses an index entry over ~2,700
        # bytes, so a one-line field has a limit well below that.
        size = getattr(field, 'size', None) or (CHAR_LIMIT if field.type == 'char' else None)
        if size and len(value) > size:
            return _("at most %d characters, got %d") % (size, len(value))
        return None

    _input_problem_text = _input_problem_html = _input_problem_char

    def _input_problem_selection(self, field, value):
        allowed = field.get_values(self.env)
        if value in allowed:
            return None
        return _("expected one of %s, got %s") % (', '.join(map(str, allowed)), show(value))

    def _input_problem_date(self, field, value):
        if isinstance(value, datetime.date) or _parses(field, value):
            return None
        return _("expected a date (%s), got %s") % (
            'YYYY-MM-DD' if field.type == 'date' else 'YYYY-MM-DD HH:MM:SS', show(value))

    _input_problem_datetime = _input_problem_date

    def _input_problem_binary(self, field, value):
        if isinstance(value, (str, bytes)):
            return None
        return _("expected base64 data, got %s") % show(value)

    def _input_problem_many2one(self, field, value):
        comodel = self.env[field.comodel_name]
        if isinstance(value, models.BaseModel):
            return None if value._name == field.comodel_name and len(value) <= 1 else \
                _("expected one %s, got %s") % (comodel._description, value)
        if isinstance(value, tuple) and value:  # (id, name), from Python callers
            value = value[0]
        if not _is_id(value):
            return _("expected the id of a %s, got %s") % (comodel._description, show(value))
        return self._input_missing_ids(comodel, [value])

    def _input_problem_one2many(self, field, value):
        comodel = self.env[field.comodel_name]
        if isinstance(value, models.BaseModel):
            return None if value._name == field.comodel_name else \
                _("expected %s records, got %s") % (comodel._description, value)
        if not isinstance(value, (list, tuple)):
            return _("expected a list of commands, got %s") % show(value)
        ids = []
        for command in value:
            problem = self._input_command_problem(command, ids)
            if problem:
                return problem
        return self._input_missing_ids(comodel, ids)

    _input_problem_many2many = _input_problem_one2many

    def _input_command_problem(self, command, ids):
        """Check one x2many command, collecting the ids it refers to."""
        if _is_id(command):
            ids.append(command)
            return None
        if isinstance(command, dict):
            return None
        wrong = _("expected a command such as [6, 0, [ids]] or [4, id], got %s") % show(command)
        if not isinstance(command, (list, tuple)) or not command \
                or not _is_int(command[0]) or not 0 <= command[0] <= 6:
            return wrong
        code, args = command[0], list(command[1:])
        if code == 0:
            return None if len(args) == 2 and isinstance(args[1], dict) else wrong
        if code == 1:
            if len(args) != 2 or not _is_id(args[0]) or not isinstance(args[1], dict):
                return wrong
            ids.append(args[0])
            return None
        if code in (2, 3, 4):
            if not args or not _is_id(args[0]):
                return wrong
            ids.append(args[0])
            return None
        if code == 5:
            return None
        # code 6
        if len(args) != 2 or not isinstance(args[1], (list, tuple)) \
                or not all(_is_id(i) for i in args[1]):
            return wrong
        ids.extend(args[1])
        return None

    def _input_missing_ids(self, comodel, ids):
        if not ids:
            return None
        missing = set(ids) - set(comodel.sudo().browse(ids).exists().ids)
        if missing:
            return _("no %s with id %s") % (
                comodel._description, ', '.join(str(i) for i in sorted(missing)))
        return None

