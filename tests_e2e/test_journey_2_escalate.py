"""Journey 2: a customer concern climbs the hierarchy and is dealt with.

Karim Benali (Key Account Manager) escalates a concern from one of his
accounts (button "Escalate..." on the partner form, the wizard, confirm).
Nadia Laurent, the manager above him, logs in, finds the activity it gave
her and the escalation in Accounts > Escalations, acknowledges it and
resolves it, saying how in the dialog the Resolve button opens.
"""

ACCOUNT_DOMAIN = ["|", ("is_company", "=", True), ("parent_id", "=", False), ("customer", "=", True)]
ROOT_MENU = "account_manager.account_manager_menu_root"
SUBJECT = "Third late delivery this quarter"
DETAILS = "The purchasing director threatens to move the fleet contract to a competitor."
RESOLUTION = "Called the customer; delivery dates guaranteed in writing, penalty waived."


def test_escalation_goes_up_and_is_resolved(journey, admin_rpc, rpc_as):
    karim = admin_rpc.ref("account_manager.manager_karim_demo")
    accounts = admin_rpc.search_read(
        "res.partner", ACCOUNT_DOMAIN + [("account_manager_id", "=", karim)], ["name"], order="name")
    assert accounts, "the demo data gives Karim accounts"
    account = accounts[0]["name"]

    # Scene: another concern reached Nadia earlier, from Kenji, over JSON-RPC;
    # her escalation board is not empty when she opens it.
    kenji = admin_rpc.ref("account_manager.manager_kenji_demo")
    kenji_accounts = admin_rpc.search(
        "res.partner", ACCOUNT_DOMAIN + [("account_manager_id", "=", kenji)], limit=1)
    if kenji_accounts:
        kenji_rpc = rpc_as("kenji")
        context = {"active_model": "res.partner", "active_ids": kenji_accounts,
                   "active_id": kenji_accounts[0]}
        wizard = kenji_rpc.call("account.escalation.wizard", "create", {
            "partner_id": kenji_accounts[0], "severity": "critical",
            "subject": "Invoice dispute blocks the renewal"}, context=context)
        kenji_rpc.call("account.escalation.wizard", "action_escalate", [wizard], context=context)

    with journey.step("karim logs in and opens %s from My Accounts" % account):
        web = journey.as_user("karim")
        web.open_app(ROOT_MENU)
        web.open_menu("account_manager.res_partner_my_account_menu", "list")
        web.open_row(account)

    with journey.step("Escalate... opens the wizard, proposing Nadia Laurent"):
        web.click_stat_button("Escalate…")
        wizard = web.modal()
        assert web.field_text("partner_id", scope=wizard) == account
        assert web.field_text("proposed_manager_id", scope=wizard) == "Nadia Laurent"

    with journey.step("he describes the concern, severity High, and escalates"):
        web.select_option("severity", "High", scope=wizard)
        web.fill_field("subject", SUBJECT, scope=wizard)
        web.fill_field("description", DETAILS, scope=wizard)
        web.settle()
        journey.shot("escalate-wizard")
        web.click_button("action_escalate", scope=wizard)
        web.page.wait_for_selector(".modal", state="detached")
        web.wait_view("form")
        assert web.field_text("subject") == SUBJECT
        assert web.field_text("manager_id") == "Nadia Laurent"
        assert web.field_text("partner_id") == account
        journey.shot("escalation-raised")

    with journey.step("nadia logs in: the activity menu lists the escalation"):
        nadia = journey.as_user("nadia")
        # The counter on the clock counts late and today's activities only;
        # the menu lists the future ones too (a High concern is due in 24 h).
        nadia.page.click('#oe_main_menu_navbar a[title="Activities"]')
        preview = nadia.page.locator('.o_mail_channel_preview[data-res_model="account.escalation"]')
        preview.wait_for()
        journey.shot("activity-menu")

    with journey.step("the activity leads her to the escalation"):
        preview.locator("button.o_activity_filter_button").first.click()
        nadia.wait_view("kanban")
        card = nadia.page.locator(".o_kanban_view .o_kanban_record", has_text=SUBJECT).first
        card.wait_for()
        assert account in card.inner_text()

    with journey.step("Accounts > Escalations shows it on her board, open"):
        nadia.open_app(ROOT_MENU)
        nadia.open_menu("account_manager.account_escalation_menu", "kanban")
        column = nadia.page.locator(".o_kanban_view .o_kanban_group").filter(
            has=nadia.page.locator(".o_kanban_record", has_text=SUBJECT))
        assert column.count() == 1
        assert "Open" in column.locator(".o_column_title").inner_text()
        journey.shot("escalation-kanban", docs=True)

    with journey.step("she opens it and acknowledges it"):
        nadia.page.locator(".o_kanban_view .o_kanban_record", has_text=SUBJECT).first.click()
        nadia.wait_view("form")
        assert nadia.field_text("raised_by_id") == "Karim Benali"
        nadia.click_header_button("Acknowledge")
        nadia.page.wait_for_selector(
            ".o_form_view .o_statusbar_status .btn-primary:has-text('Acknowledged')")
        assert nadia.field_text("date_acknowledged")

    with journey.step("she resolves it: a dialog asks how it was resolved"):
        nadia.click_header_button("Resolve")
        dialog = nadia.modal()
        assert "Resolve" in dialog.locator(".modal-title").inner_text()
        nadia.fill_field("resolution", RESOLUTION, scope=dialog)
        journey.shot("resolve-dialog")
        nadia.click_button("action_resolve", scope=dialog)
        nadia.page.wait_for_selector(".modal", state="detached")
        nadia.page.wait_for_selector(
            ".o_form_view .o_statusbar_status .btn-primary:has-text('Resolved')")
        nadia.open_tab("Resolution")
        assert RESOLUTION in nadia.field_text("resolution")
        journey.shot("escalation-resolved")

    escalation = admin_rpc.search_read(
        "account.escalation", [("subject", "=", SUBJECT)],
        ["state", "raised_by_id", "manager_id", "date_acknowledged", "date_resolved"])
    assert len(escalation) == 1
    assert escalation[0]["state"] == "resolved"
    assert escalation[0]["raised_by_id"][1] == "Karim Benali"
    assert escalation[0]["date_acknowledged"] and escalation[0]["date_resolved"]
