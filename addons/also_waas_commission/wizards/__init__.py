from . import waas_commission_settle
from . import waas_commission_statement
