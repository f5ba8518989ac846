#!/usr/bin/env bash
# The one lint command: ruff (all Python), pylint with pylint-odoo (the
# addon's Odoo checks) and scripts/check_xml.py (the addon's XML and CSV).
# Runs all three, then exits non-zero if any of them found something.
#
#   scripts/lint.sh
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_lint_venv
ensure_venv  # check_xml.py runs on the addon's own Python, with lxml

cd "$am_root"
addon_dir="$AM_ADDONS_DIR/$AM_ADDON"
export RUFF_CACHE_DIR="$AM_RUN_DIR/ruff-cache"
failed=()

# Everything in the repo (.gitignored folders are skipped); when AM_ADDONS_DIR
# points elsewhere, that addon instead of the repo's.
ruff_targets=(.)
if [[ $addon_dir != "$am_root/$AM_ADDON" ]]; then
  ruff_targets+=(--extend-exclude "$AM_ADDON")
  [[ -d $addon_dir ]] && ruff_targets+=("$addon_dir")
fi
echo "lint: ruff"
"$AM_LINT_VENV/bin/ruff" check --config "$am_root/ruff.toml" --output-format=concise "${ruff_targets[@]}" \
  || failed+=(ruff)

# The addon and its glue addons (account_manager_<app>/ beside it).
addon_dirs=("$addon_dir")
for glue in "$addon_dir"_*/; do
  [[ -f $glue/__manifest__.py ]] && addon_dirs+=("${glue%/}")
done
if [[ -d $addon_dir ]]; then
  echo "lint: pylint (pylint-odoo checks for 11.0)"
  "$AM_LINT_VENV/bin/pylint" --rcfile="$am_root/.pylintrc" "${addon_dirs[@]}" || failed+=(pylint)
else
  echo "lint: pylint skipped: no $AM_ADDON/ yet"
fi

echo "lint: README.rst (built from readme/, renders without warnings)"
"$AM_VENV/bin/python" "$am_root/scripts/build_readme.py" --check || failed+=(build_readme)
"$AM_VENV/bin/python" "$am_root/scripts/check_rst.py" || failed+=(check_rst)

echo "lint: check_xml"
"$AM_VENV/bin/python" "$am_root/scripts/check_xml.py" "${addon_dirs[@]}" || failed+=(check_xml)

if ((${#failed[@]})); then
  echo "lint: FAILED (${failed[*]})"
  exit 1
fi
echo "lint: OK"
