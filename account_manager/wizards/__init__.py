from . import account_manager_reassign_wizard
from . import account_escalation_wizard
from . import account_territory_realign_wizard
from . import account_escalation_resolve_wizard
