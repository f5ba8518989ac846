from . import test_account_model
from . import test_access
from . import test_reassign
from . import test_escalation
from . import test_territory_assignment
from . import test_reporting
from . import test_lifecycle
from . import test_input_check
