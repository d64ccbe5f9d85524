"""Reference baselines built only on wsisbench's public API, as a third party would plug in a method.

Importing this package registers every baseline in ``wsisbench.registry.METHODS``.
"""
from . import cam_baseline  # noqa: F401
from . import grabcut  # noqa: F401
