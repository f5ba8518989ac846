def post_init_hook(cr, registry):
    """Installing the addon must not change what anybody sees: nothing to do
    yet, existing salespersons are adopted through an explicit action."""


def uninstall_hook(cr, registry):
    """Partners and their other data stay; only this addon's columns go."""
