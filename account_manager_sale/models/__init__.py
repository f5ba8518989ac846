from . import res_users
from . import sale_order
