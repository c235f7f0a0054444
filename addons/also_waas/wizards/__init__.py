from . import waas_sellout_wizard
from . import waas_credit_check_reject
