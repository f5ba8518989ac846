"""Journey 4: a new territory routes new accounts to its manager.

The administrator checks who has room (Organisation > Managers), then
creates an area under France (Organisation > Territories):
Gironde, zip codes 33000-33999, with Arthur Petit as its manager. A new
customer created with an address in Bordeaux lands in that territory, with
Arthur Petit as its account manager, and its history says so.
"""

ROOT_MENU = "account_manager.account_manager_menu_root"
TERRITORY = "Gironde"
CUSTOMER = "Vignobles de Gironde"


def test_admin_builds_a_territory_and_new_accounts_follow(journey, admin_rpc):
    france = admin_rpc.ref("account_manager.territory_france_demo")
    france_name = admin_rpc.call("account.territory", "read", [france], ["complete_name"])[0]["complete_name"]

    arthur = admin_rpc.ref("account_manager.manager_arthur_demo")
    arthur_load = admin_rpc.call("account.manager", "read", [arthur], ["account_count", "capacity"])[0]

    with journey.step("admin logs in; Organisation > Managers shows Arthur Petit has room"):
        web = journey.as_user("admin")
        web.open_app(ROOT_MENU)
        web.open_menu("account_manager.account_manager_menu", "kanban")
        card = web.kanban_card("Arthur Petit")
        card.wait_for()
        assert "%(account_count)d accounts / %(capacity)d" % arthur_load in card.inner_text()
        journey.shot("managers-kanban", docs=True)

    with journey.step("Organisation > Territories lists the tree"):
        web.open_menu("account_manager.account_territory_menu", "list")
        assert france_name in web.list_column("Territory")

    with journey.step("he creates the area Gironde under France, zip 33000-33999, managed by Arthur Petit"):
        web.create_record()
        form = web.form()
        web.fill_field("name", TERRITORY, scope=form)
        web.fill_field("code", "FR-33", scope=form)
        web.select_option("territory_type", "Area", scope=form)
        web.fill_many2one("parent_id", "France", scope=form)
        web.fill_many2one("manager_id", "Arthur Petit", scope=form)
        web.fill_many2one("country_ids", "France", scope=form)
        web.fill_field("zip_from", "33000", scope=form)
        web.fill_field("zip_to", "33999", scope=form)
        journey.shot("territory-form")
        web.save_form()
        assert web.field_text("complete_name") == france_name + " / " + TERRITORY
        assert web.field_text("manager_id") == "Arthur Petit"

    with journey.step("Accounts > All Accounts > Create: a customer in Bordeaux"):
        web.open_menu("account_manager.res_partner_account_menu", "list")
        web.create_record()
        form = web.form()
        web.fill_field("name", CUSTOMER, scope=form)
        web.fill_field("street", "12 quai des Chartrons", scope=form)
        web.fill_field("city", "Bordeaux", scope=form)
        web.fill_field("zip", "33000", scope=form)
        web.fill_many2one("country_id", "France", scope=form)
        web.save_form()

    with journey.step("the new account is in Gironde, with Arthur Petit as its manager"):
        web.open_tab("Account Management")
        assert web.field_text("territory_id") == france_name + " / " + TERRITORY
        assert web.field_text("account_manager_id") == "Arthur Petit"
        history = web.x2many_rows("assignment_ids")
        assert history.count() == 1, history.all_inner_texts()
        assert "Arthur Petit" in history.first.inner_text()
        journey.shot("new-account-routed")

    partner = admin_rpc.search_read("res.partner", [("name", "=", CUSTOMER)],
                                    ["territory_id", "account_manager_id"])
    assert len(partner) == 1
    assert partner[0]["account_manager_id"][1] == "Arthur Petit"
