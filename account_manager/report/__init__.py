from . import account_manager_report_mixin
from . import account_manager_portfolio_report
from . import account_manager_workload_report
from . import account_escalation_report
from . import account_manager_kpi
from . import account_manager_report_export
from . import account_manager_portfolio_pdf
