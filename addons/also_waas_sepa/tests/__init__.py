from . import test_mandate
from . import test_direct_debit
from . import test_debit_return
from . import test_portal_mandate
