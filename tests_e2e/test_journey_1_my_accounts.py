"""Journey 1: a key account manager reads their portfolio.

Karim Benali (Key Account Manager, reports to Nadia Laurent) logs in, finds
himself among the managers, opens Account Management > Accounts > My
Accounts, sees only his accounts, opens one and reads its manager, tier,
territory and manager history on the Account Management page; back on the
list without the filter, he sees what his access rights allow, and an
account of the German team is out of his reach.
"""

# What the Accounts menu lists: customers' commercial partners, not users'
# or the company's own partners (res.partner.is_account).
ACCOUNT_DOMAIN = [("is_account", "=", True)]
ROOT_MENU = "account_manager.account_manager_menu_root"


def test_key_account_manager_reads_my_accounts(journey, admin_rpc, rpc_as):
    karim_uid = admin_rpc.ref("account_manager.user_karim_demo")
    expected = admin_rpc.search_read(
        "res.partner", ACCOUNT_DOMAIN + [("account_manager_user_id", "=", karim_uid)],
        ["name"], order="name")
    assert len(expected) >= 2, "the demo data gives Karim several accounts"
    expected_names = [p["name"] for p in expected]

    with journey.step("karim logs in"):
        web = journey.as_user("karim")
        assert web.user_name() == "Karim Benali"

    with journey.step("Organisation > Managers: Karim's card says whom he reports to"):
        web.open_app(ROOT_MENU)
        web.open_menu("account_manager.account_manager_menu", "kanban")
        card = web.kanban_card("Karim Benali")
        card.wait_for()
        text = card.inner_text()
        assert "Key Account Manager" in text, text
        assert "Reports to Nadia Laurent" in text, text
        journey.shot("managers-kanban")

    with journey.step("Accounts > My Accounts opens a list filtered on his accounts"):
        web.open_menu("account_manager.res_partner_my_account_menu", "list")
        assert any("My Accounts" in facet for facet in web.facets()), web.facets()
        journey.shot("my-accounts")

    with journey.step("the list holds his accounts and nobody else's"):
        names = sorted(web.list_column("Name"))
        assert names == sorted(expected_names), names
        managers = set(web.list_column("Account Manager"))
        assert managers == {"Karim Benali"}, managers

    account = expected[0]
    account_values = admin_rpc.call(
        "res.partner", "read", [account["id"]],
        ["account_manager_id", "account_manager_tier_id", "territory_id"])[0]

    with journey.step("he opens %s" % account["name"]):
        web.open_row(account["name"])
        assert web.field_text("name") == account["name"]

    with journey.step("the Account Management page shows its manager, tier, territory and history"):
        web.open_tab("Account Management")
        assert web.field_text("account_manager_id") == "Karim Benali"
        assert web.field_text("account_manager_tier_id") == "Key Account Manager"
        territory = web.field_text("territory_id")
        assert territory and territory == account_values["territory_id"][1], territory
        history = web.x2many_rows("assignment_ids")
        assert history.count() >= 1, "no manager history line"
        current = history.filter(has_text="Karim Benali")
        assert current.count() >= 1, history.all_inner_texts()
        journey.shot("account-page", docs=True)

    with journey.step("without the filter the list holds what his access rights allow"):
        web.back()
        web.wait_view("list")
        web.clear_search()
        web.page.wait_for_function(
            "() => !document.querySelector('.o_searchview .o_searchview_facet')")
        web.settle()
        allowed = rpc_as("karim").call("res.partner", "search_count", ACCOUNT_DOMAIN)
        assert web.pager_total() == allowed, (web.pager_total(), allowed)
        everyone = admin_rpc.call("res.partner", "search_count", ACCOUNT_DOMAIN)
        assert allowed < everyone, "Karim sees all %d accounts" % everyone
        journey.shot("accounts-in-reach")

    niklas = admin_rpc.ref("account_manager.manager_niklas_demo")
    german = admin_rpc.search_read(
        "res.partner", ACCOUNT_DOMAIN + [("account_manager_id", "=", niklas)], ["name"], limit=1)
    with journey.step("searching for %s, an account of Niklas Weber, finds nothing" % german[0]["name"]):
        web.search_for("Name", german[0]["name"])
        assert web.list_rows().count() == 0, "Karim sees %s, an account of Niklas Weber" % german[0]["name"]
        journey.shot("german-account-out-of-reach")
