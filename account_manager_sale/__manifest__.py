{
    "name": "Account Managers in Sales",
    "summary": "Quotations and orders follow the account manager: their "
               "salesperson, sales team and reach",
    "version": "11.0.1.0.0",
    "category": "Sales",
    "website": "https://example.com/account_manager",
    "author": "Account Manager Developers",
    "license": "LGPL-3",
    "depends": ["account_manager", "sale_management"],
    "data": [
        "security/account_manager_sale_rules.xml",
    ],
    "demo": [
        "demo/account_manager_sale_demo.xml",
    ],
    "auto_install": True,
    "installable": True,
}
