from . import test_install
from . import test_public_interface
from . import test_translations
from . import test_access_matrix
from . import test_properties
from . import test_access_matrix_portal
from . import test_guard_matrix
from . import test_money_machine
