"""Reference baselines built only on wsisbench's public API, as a third party would plug in a method.

Importing this package imports every baseline folder in it, which registers each in
``wsisbench.registry.METHODS`` (a new folder needs no line here).
"""
from wsisbench.methods import import_method_packages

import_method_packages(__name__, __path__)
