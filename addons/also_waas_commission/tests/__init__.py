from . import test_commission_amounts
from . import test_settlement
from . import test_clawback
from . import test_commission_flows
from . import test_portal_commission
from . import test_guard_commission
from . import test_commission_bills
