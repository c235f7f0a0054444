"""``make setup``, first step: the platform must be there before pip runs.

Odoo 18.0 Community is on no package registry: without it, stop at once (exit 2) with one
line saying where it comes from. Browser tours and PDF reports (printed by headless
Chromium, see the README) need Chromium: on Debian, as root, install it with apt when it
is missing; otherwise say how. An addon of ours installed by pip would
shadow the working tree: say so and stop.
"""

import importlib.metadata
import os
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness as h


def ensure_chromium():
    if any(shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome")):
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        h.say("Installing Chromium (Debian package) for PDF reports and the browser tours")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=True, env=env)
        return
    h.say(
        "Chromium is missing (PDF reports, browser tours): install it "
        "(Debian: sudo apt-get install chromium)"
    )
    sys.exit(2)


def refuse_installed_addons():
    """A pip-installed odoo-addon-<addon> (wheel or editable) lives in site-packages'
    odoo/addons, which comes before the addons path: Odoo would load it instead of the
    repository's addons."""
    installed = []
    for addon in h.OUR_ADDONS + h.SCENARIO_ADDONS:
        try:
            importlib.metadata.distribution(f"odoo-addon-{addon}")
        except importlib.metadata.PackageNotFoundError:
            continue
        installed.append(f"odoo-addon-{addon}")
    if installed:
        h.say(
            f"{', '.join(installed)} installed by pip would hide addons/ from Odoo: "
            f"pip uninstall {' '.join(installed)}"
        )
        sys.exit(2)


if __name__ == "__main__":
    version = h.require_odoo()
    h.say(f"Odoo {version} found")
    refuse_installed_addons()
    ensure_chromium()
