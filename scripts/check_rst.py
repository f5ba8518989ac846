"""Render each addon's README.rst as the Apps page does (docutils) and
fail on any warning: a broken README shows as raw text and logs errors on
every module update."""
import os
import sys

import docutils.core
import docutils.utils

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    failed = 0
    for name in sorted(os.listdir(ROOT)):
        path = os.path.join(ROOT, name, 'README.rst')
        if not os.path.isfile(os.path.join(ROOT, name, '__manifest__.py')):
            continue
        with open(path, encoding='utf-8') as handle:
            source = handle.read()
        try:
            docutils.core.publish_string(source, source_path=path, writer_name='html',
                                         settings_overrides={'report_level': 2, 'halt_level': 2})
        except docutils.utils.SystemMessage as error:
            print('check_rst: %s' % error)
            failed = 1
            continue
        print('check_rst: %s/README.rst renders cleanly' % name)
    return failed


if __name__ == '__main__':
    sys.exit(main())
