"""Journey 3: a national manager hands accounts over inside her team.

Nadia Laurent (National Account Manager) lists the accounts of Kenji Moreau,
a Key Account Manager of her team, selects them, opens Action > Reassign
Accounts..., picks Karim Benali, gives the reason, reads the preview and
confirms; the list and the reassignment log (Accounts > Reassignments) show
the result.
"""

ACCOUNT_DOMAIN = ["|", ("is_company", "=", True), ("parent_id", "=", False), ("customer", "=", True)]
ROOT_MENU = "account_manager.account_manager_menu_root"
REASON = "Kenji moves to the Lyon office: Karim takes over his Paris accounts"


def test_national_manager_reassigns_accounts(journey, admin_rpc):
    kenji = admin_rpc.ref("account_manager.manager_kenji_demo")
    karim = admin_rpc.ref("account_manager.manager_karim_demo")
    moving = admin_rpc.search_read(
        "res.partner", ACCOUNT_DOMAIN + [("account_manager_id", "=", kenji)], ["name"], order="name")
    names = [p["name"] for p in moving]
    assert len(names) >= 2, "the demo data gives Kenji several accounts"
    karim_before = admin_rpc.call("res.partner", "search_count",
                                  ACCOUNT_DOMAIN + [("account_manager_id", "=", karim)])

    with journey.step("nadia logs in"):
        web = journey.as_user("nadia")
        assert web.user_name() == "Nadia Laurent"

    with journey.step("Accounts > All Accounts, searched on Kenji Moreau's accounts"):
        web.open_app(ROOT_MENU)
        web.open_menu("account_manager.res_partner_account_menu", "list")
        web.search_for("Account Manager", "Kenji Moreau")
        assert sorted(web.list_column("Name")) == names
        assert set(web.list_column("Account Manager")) == {"Kenji Moreau"}

    with journey.step("she selects them and opens Action > Reassign Accounts..."):
        web.select_rows(*names)
        web.sidebar_action("Reassign Accounts")
        wizard = web.modal()
        assert "Reassign Accounts" in wizard.locator(".modal-title").inner_text()
        listed = sorted(t.strip() for t in wizard.locator(
            '.o_field_widget[name="partner_ids"] tr.o_data_row td:first-child').all_inner_texts())
        assert listed == names, listed

    with journey.step("she picks Karim Benali, gives the reason and reads the preview"):
        web.fill_many2one("to_manager_id", "Karim Benali", scope=wizard)
        web.fill_field("reason", REASON, scope=wizard)
        web.settle()  # the preview is recomputed by an onchange
        preview = {name: web.field_text(name, scope=wizard) for name in (
            "account_count", "target_account_count", "target_account_count_after")}
        assert preview == {
            "account_count": str(len(names)),
            "target_account_count": str(karim_before),
            "target_account_count_after": str(karim_before + len(names)),
        }, "the preview shows %s" % preview
        journey.shot("reassign-preview", docs=True)

    with journey.step("she confirms: the reassignment opens, done, from Kenji to Karim"):
        web.click_button("action_reassign", scope=wizard)
        web.page.wait_for_selector(".modal", state="detached")
        web.wait_view("form")
        assert web.field_text("from_manager_id") == "Kenji Moreau"
        assert web.field_text("to_manager_id") == "Karim Benali"
        assert REASON in web.field_text("reason")
        assert web.status().lower() == "done", web.status()
        journey.shot("reassignment-done")

    with journey.step("back on the list: Kenji has none left, Karim has them"):
        web.back(0)
        web.wait_view("list")
        assert web.list_rows().count() == 0, web.list_column("Name")
        web.clear_search()
        web.search_for("Account Manager", "Karim Benali")
        shown = web.list_column("Name")
        for name in names:
            assert name in shown, (name, shown)
        assert set(web.list_column("Account Manager")) == {"Karim Benali"}
        assert len(shown) == karim_before + len(names)
        journey.shot("accounts-after-reassign")

    with journey.step("Accounts > Reassignments logs the handover"):
        web.open_menu("account_manager.account_manager_reassignment_menu", "list")
        row = web.list_rows().filter(has_text=REASON[:40])
        assert row.count() == 1, web.list_rows().all_inner_texts()
        text = row.first.inner_text()
        assert "Kenji Moreau" in text and "Karim Benali" in text and "Nadia Laurent" in text, text
        journey.shot("reassignment-log")

    moved = admin_rpc.search_read("res.partner", [("id", "in", [p["id"] for p in moving])],
                                  ["account_manager_id"])
    assert {p["account_manager_id"][0] for p in moved} == {karim}
    lines = admin_rpc.search_read(
        "account.manager.assignment",
        [("partner_id", "in", [p["id"] for p in moving]), ("date_end", "=", False)],
        ["manager_id", "origin", "reason"])
    assert {(line["manager_id"][0], line["origin"]) for line in lines} == {(karim, "reassign")}
