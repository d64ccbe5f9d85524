"""Method pipelines of the seed papers (one subpackage per method); importing registers them."""
from . import mask_x_rcnn  # noqa: F401
from . import fickle_net  # noqa: F401
