# Copyright 2026 ALSO Holding AG
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from . import account_move
from . import credit_control_policy
from . import res_company
from . import res_partner
