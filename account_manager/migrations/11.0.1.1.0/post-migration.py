"""11.0.1.1.0: the salesperson (user_id) of a managed account and of its
contacts is its account manager's user."""


def migrate(cr, version):
    if not version:
        return
    cr.execute("""
        UPDATE res_partner p
           SET user_id = m.user_id
          FROM account_manager m
         WHERE p.account_manager_id = m.id
           AND p.user_id IS DISTINCT FROM m.user_id
    """)
