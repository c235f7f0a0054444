from . import test_fixture
from . import test_sellout
from . import test_dashboard
from . import test_quotation
from . import test_credit_check
from . import test_activation
from . import test_catalogue
