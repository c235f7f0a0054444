from . import waas_return_wipe_wizard
