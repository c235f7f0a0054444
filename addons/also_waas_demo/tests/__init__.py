from . import test_demo_companies
from . import test_demo_story
from . import test_portal_tour_nl
