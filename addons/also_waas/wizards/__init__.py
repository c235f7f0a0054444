from . import waas_sellout_wizard
