from . import account_manager_portfolio_report
from . import account_escalation_report
