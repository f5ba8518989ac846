"""Render account_manager/README.rst as the Apps page does (docutils) and
fail on any warning: a broken README shows as raw text and logs errors on
every module update."""
import os
import sys

import docutils.core
import docutils.utils

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    path = os.path.join(ROOT, 'account_manager', 'README.rst')
    with open(path, encoding='utf-8') as handle:
        source = handle.read()
    try:
        docutils.core.publish_string(source, source_path=path, writer_name='html',
                                     settings_overrides={'report_level': 2, 'halt_level': 2})
    except docutils.utils.SystemMessage as error:
        print('check_rst: %s' % error)
        return 1
    print('check_rst: account_manager/README.rst renders cleanly')
    return 0


if __name__ == '__main__':
    sys.exit(main())
