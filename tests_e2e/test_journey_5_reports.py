"""Journey 5: the global manager reads the reports.

Gloria Mendes (Global Account Manager, sees every account) opens
Reporting > Portfolio Analysis: a pivot of the accounts by manager tier and
territory type, whose figures are those of the database; she regroups it by
national account manager, splits Nadia Laurent's line by account manager
and adds the open escalations as a measure. Then Reporting > Escalation
Analysis: its pivot counts the escalations by severity, and its graph draws
them, stacked by severity. She exports the analysis to Excel (the dialog
closes once the workbook is downloaded) and prints Nadia Laurent's
portfolio: the PDF has the company's header and styled tables.
"""
import re

ROOT_MENU = "account_manager.account_manager_menu_root"
PORTFOLIO = "account.manager.portfolio.report"
ESCALATIONS = "account.escalation.report"
TERRITORY_TYPES = {"global": "Global", "region": "Region", "country": "Country", "area": "Area"}
SEVERITIES = {"low": "Low", "normal": "Normal", "high": "High", "critical": "Critical"}
ACCOUNT_DOMAIN = ["|", ("is_company", "=", True), ("parent_id", "=", False), ("customer", "=", True)]

# Concerns raised over JSON-RPC before the journey, one per severity, by the
# account managers of both teams; Karim resolves Adele's.
SCENE = [
    ("adele", "low", "Wrong contact on the invoices"),
    ("arthur", "normal", "Training for the new ordering portal"),
    ("anton", "high", "Delivery window missed twice"),
    ("katrin", "critical", "Production stop: spare parts not delivered"),
]


def _label(value, labels=None):
    """A read_group value as the pivot shows it."""
    if value is False or value is None:
        return "Undefined"
    if isinstance(value, list):
        return value[1]
    return labels.get(value, value) if labels else value


def _number(text):
    return int(re.sub(r"[^\d-]", "", text)) if text.strip() else 0


def _raise_concerns(admin_rpc, rpc_as):
    for login, severity, subject in SCENE:
        if admin_rpc.search("account.escalation", [("subject", "=", subject)]):
            continue  # the journey ran before on this database
        user = rpc_as(login)
        manager = admin_rpc.search("account.manager", [("user_id", "=", user.uid)])
        account = admin_rpc.search(
            "res.partner", ACCOUNT_DOMAIN + [("account_manager_id", "in", manager)], limit=1, order="name")
        assert account, "the demo data gives %s accounts" % login
        context = {"active_model": "res.partner", "active_ids": account, "active_id": account[0]}
        wizard = user.call("account.escalation.wizard", "create", {
            "partner_id": account[0], "severity": severity, "subject": subject}, context=context)
        user.call("account.escalation.wizard", "action_escalate", [wizard], context=context)
    karim = rpc_as("karim")
    [escalation] = karim.search("account.escalation", [("subject", "=", SCENE[0][2])])
    if karim.search_read("account.escalation", [("id", "=", escalation)], ["state"])[0]["state"] != "resolved":
        karim.call("account.escalation", "write", [escalation],
                   {"resolution": "Invoice address corrected with the customer's accountant."})
        karim.call("account.escalation", "action_resolve", [escalation])


def test_global_manager_reads_portfolio_and_escalation_reports(journey, admin_rpc, rpc_as):
    _raise_concerns(admin_rpc, rpc_as)
    gloria_rpc = rpc_as("gloria")
    everyone = admin_rpc.call("account.manager.portfolio.report", "search_count", [])
    assert gloria_rpc.call(PORTFOLIO, "search_count", []) == everyone, "Gloria sees every account"

    with journey.step("gloria logs in"):
        web = journey.as_user("gloria")
        assert web.user_name() == "Gloria Mendes"

    with journey.step("Reporting > Portfolio Analysis opens a pivot by tier and territory type"):
        web.open_app(ROOT_MENU)
        web.open_menu("account_manager.account_manager_portfolio_report_menu", "pivot")
        pivot = web.pivot_table()
        journey.shot("portfolio-pivot", docs=True)

    with journey.step("its figures are the accounts of the database, tier by territory type"):
        groups = gloria_rpc.call(PORTFOLIO, "read_group", [], ["account_count", "tier_id", "territory_type"],
                                 ["tier_id", "territory_type"], lazy=False)
        expected = {}
        for group in groups:
            tier = _label(group["tier_id"])
            kind = _label(group["territory_type"], TERRITORY_TYPES)
            expected.setdefault(tier, {})[kind] = group["account_count"]
        assert pivot["columns"][-1] == "Total", pivot["columns"]
        kinds = pivot["columns"][:-1]
        assert sorted(kinds) == sorted({k for row in expected.values() for k in row}), kinds
        assert _number(pivot["rows"]["Total"][-1]) == everyone, pivot["rows"]["Total"]
        for tier, by_kind in expected.items():
            cells = pivot["rows"].get(tier)
            assert cells is not None, "no row %r in %s" % (tier, list(pivot["rows"]))
            shown = {kind: _number(cell) for kind, cell in zip(kinds, cells[:len(kinds)], strict=True) if cell}
            assert shown == by_kind, (tier, shown, by_kind)
            assert _number(cells[-1]) == sum(by_kind.values()), (tier, cells)

    with journey.step("Group By > National Account Manager: a line per national manager"):
        web.group_by("National Account Manager")
        pivot = web.pivot_table()
        groups = gloria_rpc.call(PORTFOLIO, "read_group", [], ["account_count", "national_manager_id"],
                                 ["national_manager_id"], lazy=False)
        expected = {_label(g["national_manager_id"]): g["account_count"] for g in groups}
        shown = {title: _number(cells[-1]) for title, cells in pivot["rows"].items() if title != "Total"}
        assert shown == expected, (shown, expected)
        assert "Nadia Laurent" in shown and "Niklas Weber" in shown, shown

    with journey.step("she splits Nadia Laurent's line by account manager"):
        web.pivot_expand_row("Nadia Laurent", "Account Manager")
        pivot = web.pivot_table()
        nadia = admin_rpc.ref("account_manager.manager_nadia_demo")
        groups = gloria_rpc.call(PORTFOLIO, "read_group", [("national_manager_id", "=", nadia)],
                                 ["account_count", "manager_id"], ["manager_id"], lazy=False)
        lines = pivot["lines"]
        start = [title for _, title, _ in lines].index("Nadia Laurent")
        team = {}
        for indent, title, cells in lines[start + 1:]:
            if indent <= lines[start][0]:
                break
            team[title] = _number(cells[-1])
        assert team == {_label(g["manager_id"]): g["account_count"] for g in groups}, team
        assert "Karim Benali" in team and "Katrin Schulz" not in team, team
        journey.shot("portfolio-by-national-manager")

    with journey.step("Measures > Open Escalations adds a column per territory type"):
        web.pivot_measure("Open Escalations")
        pivot = web.pivot_table()
        assert "Open Escalations" in pivot["measures"], pivot["measures"]
        open_escalations = sum(g["open_escalation_count"] for g in gloria_rpc.call(
            PORTFOLIO, "read_group", [], ["open_escalation_count", "territory_type"], ["territory_type"], lazy=False))
        total = pivot["rows"]["Total"]
        assert _number(total[-1]) == open_escalations, (total, open_escalations)

    with journey.step("Reporting > Escalation Analysis counts the escalations by severity"):
        web.open_menu("account_manager.account_escalation_report_menu", "pivot")
        pivot = web.pivot_table()
        groups = gloria_rpc.call(ESCALATIONS, "read_group", [], ["escalation_count", "severity"],
                                 ["severity"], lazy=False)
        expected = {_label(g["severity"], SEVERITIES): g["escalation_count"] for g in groups}
        assert set(expected) >= set(SEVERITIES.values()), expected
        for severity, count in expected.items():
            assert _number(pivot["rows"][severity][pivot_count_index(pivot)]) == count, (severity, pivot)

    with journey.step("the graph view draws them, stacked by severity"):
        web.switch_view("graph")
        svg = web.graph_svg()
        # One bar segment per severity and month, drawn by nvd3 after the svg.
        web.page.wait_for_function(
            "n => document.querySelectorAll('.o_graph svg rect.nv-bar').length >= n", arg=len(expected))
        legend = [t.strip() for t in svg.locator(".nv-legendWrap .nv-series text").all_text_contents()]
        assert set(legend) == set(expected), legend
        web.raise_on_error_dialog()
        journey.shot("escalation-graph")

    with journey.step("Reporting > Export to Excel downloads the workbook and closes the dialog"):
        web.page.click('.o_sub_menu a[data-menu-xmlid="account_manager.account_manager_report_export_menu"]')
        dialog = web.modal()
        assert "Export to Excel" in dialog.locator(".modal-title").inner_text()
        with web.page.expect_download() as download:
            web.click_button("action_export", scope=dialog)
        path = download.value.path()
        assert download.value.suggested_filename.endswith(".xlsx"), download.value.suggested_filename
        with open(path, "rb") as workbook:
            assert workbook.read(2) == b"PK", "an XLSX file (a zip)"
        web.page.wait_for_selector(".modal", state="detached")
        web.raise_on_error_dialog()

    with journey.step("Organisation > Managers: she prints Nadia Laurent's portfolio"):
        web.open_menu("account_manager.account_manager_menu", "kanban")
        web.kanban_card("Nadia Laurent").click()
        web.wait_view("form")
        web.page.click(".o_cp_sidebar button.o_dropdown_toggler_btn:has-text('Print')")
        with web.page.expect_download() as download:
            web.page.click(".o_cp_sidebar .dropdown-menu a:has-text('Account Portfolio')")
        assert download.value.suggested_filename.endswith(".pdf"), download.value.suggested_filename
        text = journey.pdf_shot(download.value.path(), "portfolio-pdf", docs=True)
        [nadia] = admin_rpc.search_read("account.manager", [("name", "=", "Nadia Laurent")],
                                        ["company_id"])
        company = nadia["company_id"][1]
        assert company in text, "the company header"
        assert "Nadia Laurent" in text, text[:500]
        web.raise_on_error_dialog()


def pivot_count_index(pivot):
    """Index of the last cell under "# Escalations" (the row total)."""
    measures = pivot["measures"]
    return -len(measures) + measures.index("# Escalations")
