from . import test_fixture
