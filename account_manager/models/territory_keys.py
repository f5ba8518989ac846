"""What territories are compared by, defined once for Python and SQL: the
order of territory types and the form in which zip codes are compared."""

TERRITORY_TYPES = [
    ('global', 'Global'),
    ('region', 'Region'),
    ('country', 'Country'),
    ('area', 'Area'),
]
# Higher rank = wider territory; a child territory ranks strictly lower.
TERRITORY_TYPE_RANK = {'global': 4, 'region': 3, 'country': 2, 'area': 1}


def zip_key(value):
    """A zip code as the matcher compares it: no spaces, upper case (and
    compared in byte order)."""
    return (value or '').replace(' ', '').upper()


def zip_key_sql(column):
    """``zip_key`` in SQL, for ``column`` (a trusted column expression)."""
    return "upper(replace(%s, ' ', ''))" % column


def type_rank_sql(column):
    """``TERRITORY_TYPE_RANK`` in SQL, for ``column``."""
    return 'CASE %s %s END' % (column, ' '.join(
        "WHEN '%s' THEN %d" % item for item in sorted(
            TERRITORY_TYPE_RANK.items(), key=lambda item: item[1])))
