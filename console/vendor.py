"""Front-end libraries installed by `npm ci` (package.json, package-lock.json) into node_modules/,
served under /static/vendor/<name>/ through STATICFILES_DIRS — never copied into the repository.

Imported by the settings, so it must not import Django.
"""
from __future__ import annotations

from pathlib import Path

NODE_MODULES = Path(__file__).resolve().parent.parent / "node_modules"

# static prefix → the package's folder of browser builds
VENDOR_PACKAGES = {
    "vendor/htmx": "htmx.org/dist",
    "vendor/vega": "vega/build",
    "vendor/vega-lite": "vega-lite/build",
    "vendor/vega-embed": "vega-embed/build",
    "vendor/vega-interpreter": "vega-interpreter/build",
}

VENDOR_STATICFILES_DIRS = [(prefix, NODE_MODULES / folder) for prefix, folder in VENDOR_PACKAGES.items()
                           if (NODE_MODULES / folder).is_dir()]


def missing_packages() -> list[str]:
    return [folder.split("/")[0] for folder in VENDOR_PACKAGES.values() if not (NODE_MODULES / folder).is_dir()]
