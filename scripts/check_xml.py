"""XML checks of an Odoo 11 addon, part of scripts/lint.sh.

    .venv/bin/python scripts/check_xml.py ADDON_DIR

Reports, as FILE:LINE: message, and exits 1 when any is found:
- an *.xml file under the addon that is not well-formed;
- an xml id defined twice in the addon (records, templates, menus, reports,
  act_windows, and the `id` column of CSV data files).  A later <record>
  of the same model that only sets fields the earlier ones did not set is
  the usual way to fill in circular references, and is accepted;
- a reference into the addon that no file of the addon defines: ref="...",
  ref('...') in eval/search, %(xmlid)d, menuitem parent/action, groups,
  inherit_id, t-call, and the `:id` columns of CSV files.  Ids that Odoo
  generates itself (model_<model>, field_<table>_<field>) count as defined
  for the models the addon's Python code declares or extends;
- a reference to an id that is loaded later than the file using it (Odoo
  loads the manifest's `data` files in order, then `demo`): this is what
  fails an install, and a `data` file pointing at demo-only records fails
  every install without demo data;
- an XML file outside static/ and tests/ that the manifest does not list
  (Odoo would silently never load it).

References to other addons (base.group_user, mail.mt_comment, ...) are not
checked here: the install in test.sh does that.
"""
import ast
import csv
import os
import re
import sys
from collections import defaultdict

from lxml import etree

REF_CALL = re.compile(r"""\bref\(\s*['"]([\w.]+)['"]\s*\)""")
PERCENT_REF = re.compile(r"%\(([\w.]+)\)[ds]")
DEFINING_TAGS = {"record", "template", "menuitem", "report", "act_window"}


class Checker:
    def __init__(self, addon_dir):
        self.addon_dir = os.path.abspath(addon_dir)
        self.addon = os.path.basename(self.addon_dir)
        self.errors = []
        # xmlid -> list of (load position, file, line, kind, fields)
        # kind is "record:<model>", "template", "menuitem", ... or "csv:<file>"
        self.definitions = defaultdict(list)
        # (load position, file, line, xmlid, what, ordered)
        self.references = []
        self.models = set()  # model names declared or extended in Python
        self.tables = set()

    # ------------------------------------------------------------ helpers
    def rel(self, path):
        return os.path.relpath(path, os.getcwd())

    def error(self, path, line, message):
        self.errors.append("%s:%s: %s" % (self.rel(path), line or 0, message))

    def full_id(self, xmlid):
        """'x' and 'addon.x' name the same id; return None for other addons."""
        xmlid = xmlid.strip()
        if "." not in xmlid:
            return "%s.%s" % (self.addon, xmlid)
        module, _name = xmlid.split(".", 1)
        return xmlid if module == self.addon else None

    def define(self, xmlid, position, path, line, kind, fields=None):
        if not xmlid:
            return
        full = xmlid if "." in xmlid else "%s.%s" % (self.addon, xmlid)
        self.definitions[full].append((position, path, line, kind, frozenset(fields or ())))

    def refer(self, xmlid, position, path, line, what, ordered=True):
        """ordered: Odoo resolves the reference while loading the file, so
        the id must be loaded before (t-call is resolved at render time)."""
        full = self.full_id(xmlid)
        if full:
            self.references.append((position, path, line, full, what, ordered))

    # ------------------------------------------------------------ inputs
    def read_manifest(self):
        path = os.path.join(self.addon_dir, "__manifest__.py")
        if not os.path.isfile(path):
            self.error(path, 0, "missing __manifest__.py")
            return {}
        with open(path, encoding="utf-8") as handle:
            try:
                return ast.literal_eval(handle.read())
            except (SyntaxError, ValueError) as exc:
                self.error(path, getattr(exc, "lineno", 0), "manifest is not a Python literal: %s" % exc)
                return {}

    def read_python_models(self):
        """Collect _name/_inherit/_table string values from the addon's Python."""
        for dirpath, dirnames, filenames in os.walk(self.addon_dir):
            dirnames[:] = [d for d in dirnames if d not in ("static", "__pycache__")]
            for filename in filenames:
                if not filename.endswith(".py"):
                    continue
                path = os.path.join(dirpath, filename)
                try:
                    with open(path, encoding="utf-8") as handle:
                        tree = ast.parse(handle.read(), path)
                except (SyntaxError, UnicodeDecodeError):
                    continue  # ruff reports it
                for node in ast.walk(tree):
                    if not isinstance(node, ast.ClassDef):
                        continue
                    table = None
                    names = []
                    for stmt in node.body:
                        if not isinstance(stmt, ast.Assign) or len(stmt.targets) != 1:
                            continue
                        target = stmt.targets[0]
                        if not isinstance(target, ast.Name):
                            continue
                        values = [stmt.value]
                        if isinstance(stmt.value, (ast.List, ast.Tuple)):
                            values = stmt.value.elts
                        strings = [v.s for v in values if isinstance(v, ast.Str)]
                        if target.id in ("_name", "_inherit"):
                            names.extend(strings)
                        elif target.id == "_table" and strings:
                            table = strings[0]
                    self.models.update(names)
                    self.tables.update(n.replace(".", "_") for n in names)
                    if table:
                        self.tables.add(table)

    def generated(self, full_id):
        """Ids Odoo creates by itself when it registers the addon's models."""
        name = full_id.split(".", 1)[1]
        if name.startswith("model_"):
            return name[len("model_"):] in {m.replace(".", "_") for m in self.models}
        if name.startswith("field_"):
            rest = name[len("field_"):]
            return any(rest.startswith(table + "_") for table in self.tables)
        return False

    # ------------------------------------------------------------ parsing
    def parse_xml(self, path):
        try:
            return etree.parse(path, etree.XMLParser(remove_comments=True))
        except etree.XMLSyntaxError as exc:
            line = exc.position[0] if getattr(exc, "position", None) else 0
            self.error(path, line, "not well-formed XML: %s" % exc.msg)
        except OSError as exc:
            self.error(path, 0, "cannot read: %s" % exc)
        return None

    def scan_xml(self, path, position):
        tree = self.parse_xml(path)
        if tree is None:
            return
        for el in tree.iter(etree.Element):
            line = el.sourceline
            tag = el.tag if isinstance(el.tag, str) else ""
            if tag in DEFINING_TAGS and el.get("id"):
                kind, fields = tag, None
                if tag == "record":
                    kind = "record:%s" % el.get("model")
                    fields = [f.get("name") for f in el.findall("field")]
                self.define(el.get("id"), position, path, line, kind, fields)
            for attr, value in el.attrib.items():
                if attr == "ref":
                    self.refer(value, position, path, line, 'ref="%s"' % value)
                elif attr in ("eval", "search"):
                    for xmlid in REF_CALL.findall(value):
                        self.refer(xmlid, position, path, line, "ref('%s')" % xmlid)
                elif attr == "groups":
                    for group in value.split(","):
                        group = group.strip().lstrip("!-")
                        if group:
                            self.refer(group, position, path, line, 'groups="%s"' % group)
                elif tag == "menuitem" and attr in ("parent", "action"):
                    self.refer(value, position, path, line, '%s="%s"' % (attr, value))
                elif tag == "template" and attr == "inherit_id":
                    self.refer(value, position, path, line, 'inherit_id="%s"' % value)
                elif tag == "act_window" and attr in ("view_id", "search_view_id"):
                    self.refer(value, position, path, line, '%s="%s"' % (attr, value))
                elif attr == "t-call" and "." in value and "{" not in value:
                    self.refer(value, position, path, line, 't-call="%s"' % value, ordered=False)
                for xmlid in PERCENT_REF.findall(value):
                    self.refer(xmlid, position, path, line, "%%(%s)d" % xmlid)

    def scan_csv(self, path, position):
        try:
            with open(path, encoding="utf-8", newline="") as handle:
                rows = list(csv.reader(handle))
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            self.error(path, 0, "cannot read CSV: %s" % exc)
            return
        if not rows:
            return
        header = rows[0]
        for lineno, row in enumerate(rows[1:], start=2):
            for column, value in zip(header, row):
                if column == "id":
                    self.define(value, position, path, lineno, "csv:%s" % os.path.basename(path))
                elif column.endswith((":id", "/id")):
                    for xmlid in value.split(","):
                        if xmlid.strip():
                            self.refer(xmlid, position, path, lineno, "%s=%s" % (column, xmlid.strip()))

    # ------------------------------------------------------------ checks
    def check_duplicates(self, full, places):
        """Every definition after the first must be an update of the same
        record that sets only fields no earlier definition set."""
        first = places[0]
        seen_fields = set(first[4])
        for _position, path, line, kind, fields in places[1:]:
            where = "%s:%s" % (self.rel(first[1]), first[2])
            if kind != first[3] or not kind.startswith("record:"):
                self.error(path, line, "duplicate xml id %s (first defined at %s)" % (full, where))
                continue
            overlap = sorted(seen_fields & fields)
            if overlap:
                self.error(path, line, "duplicate xml id %s (first defined at %s); this one sets %s again"
                           % (full, where, ", ".join(overlap)))
            seen_fields |= fields

    def run(self):
        if not os.path.isdir(self.addon_dir):
            print("check_xml: %s does not exist, nothing to check" % self.rel(self.addon_dir))
            return 0
        manifest = self.read_manifest()
        self.read_python_models()

        # Load order: data files in order, then demo files (position, kind).
        loaded = {}
        for kind in ("data", "demo"):
            for relpath in manifest.get(kind, []) or []:
                path = os.path.normpath(os.path.join(self.addon_dir, relpath))
                if path not in loaded:
                    loaded[path] = (len(loaded), kind)

        all_xml = []
        for dirpath, dirnames, filenames in os.walk(self.addon_dir):
            dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
            all_xml.extend(os.path.join(dirpath, f) for f in sorted(filenames) if f.endswith(".xml"))

        for path in all_xml:
            relpath = os.path.relpath(path, self.addon_dir)
            top = relpath.split(os.sep, 1)[0]
            if path in loaded:
                continue  # scanned below, in load order
            self.parse_xml(path)  # well-formedness only
            if top not in ("static", "tests"):
                self.error(path, 0, "not listed in __manifest__.py (data or demo): Odoo never loads it")

        for path, (position, _kind) in sorted(loaded.items(), key=lambda item: item[1][0]):
            if not os.path.isfile(path):
                continue  # pylint-odoo's resource-not-exist reports it
            if path.endswith(".xml"):
                self.scan_xml(path, position)
            elif path.endswith(".csv"):
                self.scan_csv(path, position)

        kinds = dict(loaded.values())
        for full, places in sorted(self.definitions.items()):
            self.check_duplicates(full, places)

        for position, path, line, full, what, ordered in self.references:
            places = self.definitions.get(full)
            if not places:
                if not self.generated(full):
                    self.error(path, line, "%s: xml id %s is not defined in the addon" % (what, full))
                continue
            if not ordered:
                continue
            first_position = min(place[0] for place in places)
            if first_position > position:
                where = places[0]
                if kinds[position] == "data" and all(kinds[place[0]] == "demo" for place in places):
                    self.error(path, line, "%s: %s is demo data (%s:%s), which is not loaded without demo"
                               % (what, full, self.rel(where[1]), where[2]))
                else:
                    self.error(path, line, "%s: %s is loaded later (%s:%s); reorder the manifest"
                               % (what, full, self.rel(where[1]), where[2]))
            elif first_position == position:
                before = [place for place in places if place[0] == position and place[1] == path and place[2] <= line]
                if not before:
                    where = places[0]
                    self.error(path, line, "%s: %s is defined further down (line %s)" % (what, full, where[2]))

        for message in self.errors:
            print(message)
        count = len(all_xml)
        if self.errors:
            print("check_xml: %d problem(s) in %d XML file(s) of %s" % (len(self.errors), count, self.addon))
            return 1
        print("check_xml: %d XML file(s) of %s OK" % (count, self.addon))
        return 0


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.stderr.write(__doc__)
        sys.exit(2)
    sys.exit(max(Checker(addon).run() for addon in sys.argv[1:]))
