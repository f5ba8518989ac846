"""Driving the Odoo 11 web client the way a person does, through Playwright.

Selectors are the stable ones of Odoo 11's web client: menus by xml id
(`a[data-menu-xmlid=...]`), fields by field name (`.o_field_widget[name=...]`),
dialog buttons by method name (`button[name=...]`); form header and stat
buttons by their label, as Odoo 11 renders them without their name.  Nothing waits for
"network idle": the web client keeps a long-polling request open, so each
helper waits for what it expects to see and for the client's own RPC
counter to drop to zero (the web client has the class `oe_wait` while an
RPC runs).
"""
import re

# First screen after login: on a fresh database the server compiles the
# LESS and JS bundles at that moment (tens of seconds on a busy machine).
FIRST_SCREEN_TIMEOUT_MS = 180_000

_SETTLED_JS = """() => !document.querySelector('.oe_wait')
    && !document.querySelector('.blockUI')
    && !document.querySelector('.o_loading:not([style*="display: none"])')"""


_FIELD_TEXT_JS = """el => {
    const input = el.matches('input, textarea, select')
        ? el : el.querySelector('input:not([type=checkbox]), textarea, select');
    if (!input) return el.innerText;
    if (input.tagName === 'SELECT') {
        const option = input.options[input.selectedIndex];
        return option ? option.text : '';
    }
    return input.value;
}"""


def _quote(text):
    return '"%s"' % text.replace("\\", "\\\\").replace('"', '\\"')


def _exactly(text):
    return re.compile(r"^\s*%s\s*$" % re.escape(text))


# The root element of each view type, where it is not .o_<type>_view.
_VIEW_ROOTS = {"pivot": ".o_pivot table", "graph": ".o_graph"}

_PIVOT_JS = """table => ({
    headers: Array.from(table.querySelectorAll('thead tr')).map(
        tr => Array.from(tr.children).map(c => ({
            text: c.innerText.trim(), colspan: c.colSpan, rowspan: c.rowSpan,
            measure: c.classList.contains('o_pivot_measure_row')}))),
    rows: Array.from(table.querySelectorAll('tbody tr')).map(tr => ({
        indent: Math.round((parseInt(tr.children[0].style.paddingLeft, 10) - 5) / 30),
        cells: Array.from(tr.children).map(c => c.innerText.trim())})),
})"""


class OdooError(AssertionError):
    """The web client showed an error or warning dialog."""


class WebClient:
    def __init__(self, page, base_url, db, login):
        self.page = page
        self.base_url = base_url.rstrip("/")
        self.db = db
        self.login_name = login
        self.page_errors = []
        page.on("pageerror", lambda exc: self.page_errors.append(str(exc)))

    # ------------------------------------------------------------ session
    def login(self, password=None):
        page = self.page
        page.goto("%s/web/login?db=%s" % (self.base_url, self.db))
        page.fill("input[name=login]", self.login_name)
        page.fill("input[name=password]", password if password is not None else self.login_name)
        page.click("button[type=submit]")
        # The login POST answers 200 and the page moves on to /web by itself.
        page.wait_for_selector("#oe_main_menu_navbar .oe_topbar_name",
                               timeout=FIRST_SCREEN_TIMEOUT_MS)
        self.settle(timeout=FIRST_SCREEN_TIMEOUT_MS)
        return self

    def user_name(self):
        return self.page.inner_text("#oe_main_menu_navbar .oe_topbar_name").strip()

    # ------------------------------------------------------------ waiting
    def settle(self, timeout=None):
        """Wait until no RPC is running, then fail on any error dialog."""
        kwargs = {"timeout": timeout} if timeout else {}
        self.page.wait_for_function(_SETTLED_JS, **kwargs)
        self.raise_on_error_dialog()

    def raise_on_error_dialog(self):
        if self.page_errors:
            errors, self.page_errors = self.page_errors, []
            raise OdooError("JavaScript error in the web client: %s" % "; ".join(errors))
        dialog = self.page.locator(".modal:visible .o_dialog_warning, .modal:visible .o_dialog_error")
        if dialog.count():
            modal = self.page.locator(".modal:visible").last
            title = modal.locator(".modal-title").first.inner_text() if modal.locator(".modal-title").count() else ""
            raise OdooError("the web client shows %r: %s" % (title.strip(), dialog.first.inner_text().strip()[:1500]))

    def unhover(self):
        """Move the pointer out of the way: a field's help tooltip, shown
        while the pointer rests on its label, can cover what comes next."""
        self.page.mouse.move(1, 1)
        self.page.locator(".tooltip:visible").first.wait_for(state="hidden")

    # ------------------------------------------------------------ navigation
    def open_app(self, xmlid):
        self.page.click('#oe_main_menu_navbar a[data-menu-xmlid="%s"]' % xmlid)
        self.page.wait_for_selector('.o_sub_menu .oe_secondary_menu:visible')
        self.settle()

    def open_menu(self, xmlid, view_type=None):
        """Click a menu of the left bar; wait for its action's first view."""
        self.page.click('.o_sub_menu a[data-menu-xmlid="%s"]' % xmlid)
        self.page.wait_for_selector(
            '.o_sub_menu li.active > a[data-menu-xmlid="%s"]' % xmlid)
        self.wait_view(view_type)

    def wait_view(self, view_type=None):
        """Wait for a view of that type (or the "nothing here yet" help)."""
        content = ".o_main_content .o_content"
        if view_type:
            selector = "%s %s, %s .oe_view_nocontent" % (
                content, _VIEW_ROOTS.get(view_type, ".o_%s_view" % view_type), content)
        else:
            selector = content + " > *"
        self.page.wait_for_selector(selector)
        self.settle()

    def switch_view(self, view_type):
        self.page.click(".o_control_panel button.o_cp_switch_%s" % view_type)
        self.wait_view(view_type)

    def back(self, index=-1):
        """Follow a breadcrumb link (default: the previous screen)."""
        self.page.locator(".o_control_panel .breadcrumb li a").nth(index).click()
        self.settle()

    # ------------------------------------------------------------ search
    def facets(self):
        return [re.sub(r"\s+", " ", t).strip() for t in
                self.page.locator(".o_searchview .o_searchview_facet").all_inner_texts()]

    def search_for(self, field_label, text):
        """Type text in the search box and pick "Search <field_label> for: text"."""
        page = self.page
        box = page.locator(".o_control_panel .o_searchview_input")
        box.click()
        # Keystrokes, not fill(): the search view reacts to key events.
        box.press_sequentially(text, delay=20)
        item = page.locator(".o_searchview_autocomplete li",
                            has_text="Search %s for:" % field_label).first
        item.wait_for()
        item.click()
        page.wait_for_selector(".o_searchview_facet:has-text(%s)" % _quote(text))
        self.settle()

    def clear_search(self):
        while self.page.locator(".o_searchview .o_facet_remove").count():
            self.page.locator(".o_searchview .o_facet_remove").first.click()
            self.settle()

    # ------------------------------------------------------------ list view
    def list_rows(self):
        return self.page.locator(".o_content .o_list_view tbody tr.o_data_row")

    def list_column(self, header):
        """Texts of a list column, found by its header label."""
        headers = [h.strip() for h in self.page.locator(".o_content .o_list_view thead th").all_inner_texts()]
        if header not in headers:
            raise AssertionError("no column %r in the list (columns: %s)" % (header, headers))
        index = headers.index(header)
        return [t.strip() for t in self.list_rows().locator("td:nth-child(%d)" % (index + 1)).all_inner_texts()]

    def pager_total(self):
        """The record count the pager shows (the list shows at most 80)."""
        pager = self.page.locator(".o_control_panel .o_pager")
        if not pager.is_visible():
            return self.list_rows().count()
        return int(pager.locator(".o_pager_limit").inner_text().strip())

    def list_row(self, text):
        row = self.list_rows().filter(has_text=text)
        if not row.count():
            raise AssertionError("no row %r in the list" % text)
        return row.first

    def open_row(self, text):
        self.list_row(text).locator("td.o_data_cell").first.click()
        self.wait_view("form")

    def select_rows(self, *texts):
        for text in texts:
            self.list_row(text).locator("td.o_list_record_selector input").check()
        self.settle()

    def sidebar_action(self, label):
        """Action ▸ label (the sidebar of a list with a selection, or of a form)."""
        page = self.page
        page.click(".o_control_panel .o_cp_sidebar button:has-text('Action')")
        page.locator(".o_control_panel .o_cp_sidebar .dropdown-menu a",
                     has_text=label).first.click()
        self.settle()

    # ------------------------------------------------------------ kanban view
    def kanban_card(self, title):
        """The kanban card whose title is exactly title."""
        return self.page.locator(".o_content .o_kanban_view .o_kanban_record").filter(
            has=self.page.locator(".o_kanban_record_title", has_text=_exactly(title))).first

    # ------------------------------------------------------------ form view
    def form(self):
        return self.page.locator(".o_content .o_form_view").first

    def create_record(self):
        """The Create button of a list or kanban view: a new record's form."""
        self.page.click(".o_control_panel .o_cp_buttons button.o-kanban-button-new:visible, "
                        ".o_control_panel .o_cp_buttons button.o_list_button_add:visible")
        self.page.wait_for_selector(".o_content .o_form_view.o_form_editable")
        self.settle()

    def edit_form(self):
        self.page.click(".o_control_panel .o_form_button_edit")
        self.page.wait_for_selector(".o_content .o_form_view.o_form_editable")
        self.settle()

    def save_form(self):
        self.page.click(".o_control_panel .o_form_button_save")
        self.settle()
        self.page.wait_for_selector(".o_content .o_form_view.o_form_readonly")
        self.settle()

    def field_text(self, name, scope=None):
        scope = scope or self.form()
        field = scope.locator('.o_field_widget[name="%s"]' % name).first
        # Read-only: the text; being edited: the input's value.
        text = field.evaluate(_FIELD_TEXT_JS)
        return re.sub(r"\s+", " ", text or "").strip()

    def open_tab(self, label, scope=None):
        scope = scope or self.form()
        scope.locator(".o_notebook .nav-tabs a", has_text=label).first.click()
        self.settle()

    def click_button(self, name, scope=None):
        """Click a dialog footer button by its `name` (method) and let it finish."""
        scope = scope or self.page
        scope.locator('button[name="%s"]:visible' % name).first.click()
        self.settle()

    # Odoo 11 renders form header and stat buttons without their `name`:
    # those are found by their label.
    def click_header_button(self, label):
        self.form().locator(".o_form_statusbar .o_statusbar_buttons button:visible",
                            has_text=_exactly(label)).first.click()
        self.settle()

    def click_stat_button(self, label):
        self.form().locator(".oe_button_box button:visible", has_text=_exactly(label)).first.click()
        self.settle()

    def status(self):
        """The current state shown in the form's status bar."""
        return self.form().locator(".o_statusbar_status .btn-primary").inner_text().strip()

    def x2many_rows(self, field, scope=None):
        scope = scope or self.form()
        return scope.locator('.o_field_widget[name="%s"] tbody tr.o_data_row' % field)

    # ------------------------------------------------------------ dialogs
    def modal(self):
        """The topmost open dialog (a wizard opened with target=new)."""
        self.page.wait_for_selector(".modal:visible .modal-content")
        return self.page.locator(".modal:visible").last

    def fill_field(self, name, value, scope=None):
        scope = scope or self.page
        scope.locator('.o_field_widget[name="%s"]' % name).first.locator(
            "xpath=self::input|self::textarea|.//input|.//textarea").first.fill(value)

    def select_option(self, name, label, scope=None):
        scope = scope or self.page
        scope.locator('select.o_field_widget[name="%s"]' % name).first.select_option(label=label)

    def fill_many2one(self, name, text, scope=None):
        """Type into a many2one and pick the first suggestion matching text."""
        scope = scope or self.page
        field = scope.locator('.o_field_widget[name="%s"] input' % name).first
        # fill() focuses without clicking: a click opens the drop-down with
        # every record, whose late answer would reopen it after the choice.
        field.fill(text)
        item = self.page.locator("ul.ui-autocomplete:visible li a", has_text=text).first
        item.wait_for()
        self.unhover()
        item.click()
        self.page.locator("ul.ui-autocomplete:visible").first.wait_for(state="hidden")
        self.settle()

    # ------------------------------------------------------------ search options
    def group_by(self, label):
        """Search options: Group By > label (replaces the view's own grouping)."""
        page = self.page
        button = page.locator(".o_control_panel .o_search_options button:has-text('Group By')").first
        if not button.is_visible():
            # Odoo 11 shows the filter and group-by buttons on demand.
            page.click(".o_control_panel .o_searchview .o_searchview_more")
        button.click()
        page.locator(".o_control_panel .o_group_by_menu li a", has_text=_exactly(label)).first.click()
        page.wait_for_selector(".o_searchview_facet:has-text(%s)" % _quote(label))
        # The drop-down stays open: close it.
        page.keyboard.press("Escape")
        page.mouse.click(self.page.viewport_size["width"] // 2, 5)
        self.settle()

    # ------------------------------------------------------------ pivot view
    def pivot_table(self):
        """The pivot as {"columns": [...], "measures": [...], "rows": {title: [cells]},
        "lines": [(indent, title, [cells])]}.

        columns are the titles of the innermost column groups (the last one
        is "Total" when the columns are grouped); rows map each row title
        (the first one is "Total") to its cells, one per column and measure
        (a title shown twice keeps its last line); lines are all the rows in
        order, with their depth (0 for "Total").
        """
        table = self.page.locator(".o_content .o_pivot table").first
        table.wait_for()
        raw = table.evaluate(_PIVOT_JS)
        headers = raw["headers"]
        measure_cells = [c["text"] for c in headers[-1] if c["measure"]] if headers else []
        measures = list(dict.fromkeys(measure_cells))
        columns = []
        for depth, row in enumerate(headers[:-1]):
            # A group header whose rowspan reaches the measure row is innermost.
            columns.extend(c["text"] for c in row if c["text"] and not c["measure"]
                           and depth + c["rowspan"] == len(headers) - 1)
        if measures and len(columns) < len(measure_cells) // len(measures):
            columns.append("Total")  # its header cell is blank
        return {
            "columns": columns,
            "measures": measures,
            "rows": {r["cells"][0]: r["cells"][1:] for r in raw["rows"]},
            "lines": [(r["indent"], r["cells"][0], r["cells"][1:]) for r in raw["rows"]],
        }

    def pivot_measure(self, label):
        """Measures > label: add (or remove) a measure."""
        page = self.page
        page.click(".o_control_panel .o_cp_buttons button:has-text('Measures')")
        page.locator(".o_control_panel .o_pivot_measures_list li a", has_text=_exactly(label)).first.click()
        self.settle()
        page.mouse.click(self.page.viewport_size["width"] // 2, 5)

    def pivot_expand_row(self, title, field_label):
        """Click a row header, then pick the field to split it by."""
        page = self.page
        page.locator(".o_content .o_pivot table tbody td.o_pivot_header_cell_closed",
                     has_text=_exactly(title)).first.click()
        page.locator(".o_pivot_field_menu li a", has_text=_exactly(field_label)).first.click()
        self.settle()

    # ------------------------------------------------------------ graph view
    def graph_svg(self):
        """The chart of a graph view, once drawn (nvd3 draws it into an svg)."""
        svg = self.page.locator(".o_content .o_graph .o_graph_svg_container svg").first
        svg.wait_for()
        self.settle()
        return svg
