"""The mechanism benchmark: a generated benchmark whose data let each paper's mechanism show.

On the ``embedded`` benchmark every class is one colour/pattern over its whole surface, classes share no
mask structure and 150 val images are few. Here (details in ``docs/mechanism-benchmark.md``):

- **Parts and bodies** (FickleNet, DCL): each object is a small class-specific PART (10-20 % of its area,
  on the body's edge; own shape per family, own hue per class) + a larger BODY whose outline, pattern and
  colours are shared by a family (never a background texture). Labels are predictable from the parts alone.
- **Shape families** (Mask^X R-CNN): 40 classes in 8 families of 5; members differ in part hue and one body
  shape parameter (holes, points, aspect). Fixed split ``A``/``B`` (20/20, every family on both sides) and
  :func:`random_class_split`. Low-contrast objects and unlabelled same-coloured clutter blobs touching
  objects defeat box + colour rules.
- **Several instances of a class** (PRM, DCL): up to 6 instances, >= 40 % of images with a same-class
  multiple, touching and apart.
- **Views** (NoPeopleAllowed), off by default: a dominant ``person`` class with train labels dropped at a
  rate, and geometric class imbalance in train.

Layout: as ``embedded`` (VOC2012/, annotations/, LID/, meta.json) plus ``VOC2012/SegmentationPart/<id>.png``
(0 / 1 part / 2 body / 255 void) and ``VOC2012/ImageLabels/<split>.txt``.

API: ``ensure_mechanism(root=None, *, force=False, progress=True, workers=None, **params) -> Path``,
``generate_mechanism(out_dir, ...)``, ``MechanismParams``, ``mechanism_root(params)``, ``is_generated``,
``load_meta``, ``make_image(params, split, index)``, ``random_class_split(num_a, seed)``,
``part_body_recall(seed_map, class_map, part_map)``.
"""
from .families import (
    BASE_CLASSES,
    FAMILIES,
    MECHANISM_CLASS_SPLIT,
    MECHANISM_CLASSES,
    PERSON,
    class_names,
    class_splits,
    class_table,
    family_members,
    imbalance_weights,
    random_class_split,
)
from .generate import (
    GENERATOR_VERSION,
    MechanismParams,
    ensure_mechanism,
    generate_mechanism,
    is_generated,
    load_meta,
    make_image,
    mechanism_rng,
    mechanism_root,
    published_labels,
)
from .regime import part_body_counts, part_body_recall, read_part_map
from .scene import MechanismScene, MechSceneParams, PartInfo, make_mechanism_scene

__all__ = [
    "BASE_CLASSES", "FAMILIES", "GENERATOR_VERSION", "MECHANISM_CLASSES", "MECHANISM_CLASS_SPLIT", "PERSON",
    "MechSceneParams", "MechanismParams", "MechanismScene", "PartInfo", "class_names", "class_splits",
    "class_table", "ensure_mechanism", "family_members", "generate_mechanism", "imbalance_weights",
    "is_generated", "load_meta", "make_image", "make_mechanism_scene", "mechanism_rng", "mechanism_root",
    "part_body_counts", "part_body_recall", "published_labels", "random_class_split", "read_part_map",
]
