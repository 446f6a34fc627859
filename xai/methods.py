"""The explanation methods' names: one spelling from xai to the UI, with the
titles people read beside them. Defined here once; every room imports them."""
from __future__ import annotations

import re

METHOD_NAMES = ("gradcam", "guided", "ig")
METHOD_TITLES = {"gradcam": "Grad-CAM", "guided": "Guided Grad-CAM", "ig": "Integrated Gradients"}

# Older and looser spellings still accepted (CLI flags, API calls written before
# the names were unified), after lower-casing and turning spaces/underscores into "-".
_ALIASES = {
    "gradcam": "gradcam", "grad-cam": "gradcam", "cam": "gradcam",
    "guided": "guided", "guided-gradcam": "guided", "guided-grad-cam": "guided",
    "ig": "ig", "integrated-gradients": "ig",
}


def canonical_method(name) -> str:
    """"Guided Grad-CAM", "guided_gradcam", "IG", ... -> one of METHOD_NAMES; a ValueError otherwise."""
    key = re.sub(r"[\s_]+", "-", str(name).strip().lower())
    try:
        return _ALIASES[key]
    except KeyError:
        raise ValueError(f"unknown explanation method {name!r}; choose from {', '.join(METHOD_NAMES)}") from None
