from . import test_mandate
from . import test_direct_debit
