from . import waas_sellout_wizard
from . import waas_credit_check_reject
from . import waas_exception_wizard
from . import waas_pricelist_export
from . import waas_contract_terminate
from . import waas_contract_renew
from . import waas_contract_upgrade
from . import waas_invoice_run
