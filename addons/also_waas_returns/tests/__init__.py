from . import test_return_flow
from . import test_pickup_fee
from . import test_wiping
from . import test_return_access
from . import test_portal_returns
from . import test_guard_returns
from . import test_missing_devices
