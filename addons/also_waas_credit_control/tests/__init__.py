# Copyright 2026 ALSO Holding AG
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from . import test_policy
from . import test_dunning
from . import test_reminder_letter
from . import test_security
