from . import waas_commission_line
from . import waas_contract
from . import res_company
from . import res_config_settings
from . import res_partner
from . import account_move
from . import account_move_line
