from . import test_fixture
from . import test_sellout
from . import test_dashboard
