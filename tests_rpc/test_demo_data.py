"""The demo organisation is coherent, as a new user reading it expects."""


def test_demo_escalation_dates_in_order(admin):
    rows = admin('account.escalation', 'search_read', [],
                 ['name', 'create_date', 'date_escalated', 'date_acknowledged',
                  'date_resolved'], context={'active_test': False})
    assert rows
    for row in rows:
        dates = [row[key] for key in ('create_date', 'date_escalated',
                                      'date_acknowledged', 'date_resolved') if row[key]]
        assert dates == sorted(dates), '%s: raised, escalated, acknowledged and ' \
            'resolved out of order: %s' % (row['name'], dates)
