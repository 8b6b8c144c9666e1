from __future__ import annotations

from typing import Any

from django.core.checks import Warning, register

from .vendor import missing_packages


@register()
def vendor_libraries_installed(app_configs: Any, **kwargs: Any) -> list[Warning]:
    missing = missing_packages()
    if not missing:
        return []
    return [Warning(
        f"The console's front-end libraries are not installed ({', '.join(missing)}): chat charts and the "
        "SQL editor will not work.", hint="Run `npm ci` in the project root (`make install` does it).",
        id="console.W001")]
