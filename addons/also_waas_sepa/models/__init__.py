from . import account_move
from . import payment_return
from . import res_company
from . import res_config_settings
from . import res_partner
from . import sale_order
from . import waas_contract
from . import waas_credit_check
