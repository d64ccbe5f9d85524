"""The embedded synthetic benchmark: generated deterministically on first use, no download needed.

Content
-------
RGB images (default 128 x 128 px) with a textured background (multi-scale noise, gradients, stripes,
grids/checkerboards or colour blotches, colours from the whole colour wheel) and 1-4 object instances of
10 classes (:data:`EMBEDDED_CLASSES`): circle, square, triangle, star, cross, ring, hexagon, crescent,
diamond, heart. Each class has its own shape, colour family and surface pattern; every instance jitters hue,
saturation, brightness, pattern period and phase, shading, aspect (0.85-1.15), rotation (any angle) and
scale (extent 12%-55% of the image side, log-uniform). Later instances are drawn over earlier ones; the
labels describe what stays visible, and instances left nearly invisible are dropped (never painted).

Label maps have a VOC-style void band (255) of ``band_width`` px along every object outline (default
``max(1, round(image_size / 64))``: 2 px at 128 px), half inside and half outside the object.
Label index 0 is background, ``i + 1`` is ``EMBEDDED_CLASSES[i]``. The fixed class split for partially
supervised methods, :data:`EMBEDDED_CLASS_SPLIT`: A = the first five classes, B = the last five.

Defaults: 600 train + 150 val images, 128 px, seed 0, JPEG quality 90 (4:4:4); generation takes about
5 s on one CPU core (single process, ~125 MiB peak memory, ~24 MB on disk; the CLI prints the time).

Layout under the root (``$WSISBENCH_HOME/benchmarks/embedded-v<version>-<hash of the parameters>``)
-------------------------------------------------------------------------------------------------
::

    meta.json                                classes, palette, class split, parameters, seed, version, counts
    VOC2012/JPEGImages/<id>.jpg              ids: train_000000 ..., val_000000 ...
    VOC2012/SegmentationClass/<id>.png       palette PNG (VOC colour map): 0 bg, 1..K, 255 void band
    VOC2012/SegmentationObject/<id>.png      palette PNG: 0 bg, 1..n instances in drawing order, 255 void band
    VOC2012/Annotations/<id>.xml             VOC XML, boxes = 1-based inclusive bounds of the visible masks
    VOC2012/ImageSets/Segmentation/{train,val,trainval}.txt
    annotations/instances_{train,val}.json   COCO instances: RLE masks (visible, without the void band),
                                             file_name relative to VOC2012/JPEGImages, categories 1..K
    LID/train/<id>.JPEG, LID/train.txt       LID 2020 track 1: "<id> <c1> <c2> ..." image-level labels
    LID/val/<id>.JPEG, LID/val.txt           validation ids
    LID/val_annotations/<id>.png             grayscale PNG of class indices, 255 ambiguous (the void band)
    LID/classes.txt                          "<index> <name>", 0 = background

``SegmentationObject`` equals the COCO masks with the void band painted over them: for instance ``j`` of an
image, ``coco_mask_j & (object_png != 255) == (object_png == j)``. All files of a split depend only on the
parameters, the seed and the generator version: regenerating gives byte-identical files.

API
---
``ensure_embedded(root=None, **params) -> Path`` (generate if absent), ``generate_embedded(out_dir, **params)``
(always generate), ``load_meta(root) -> dict``, ``embedded_root(params) -> Path`` (the cache location),
``is_generated(root, params) -> bool``.
"""
from wsisbench.benchmarks.generated import default_band_width, default_home, image_rng

from .classes import CLASS_SPECS, EMBEDDED_CLASS_SPLIT, EMBEDDED_CLASSES
from .generate import (
    GENERATOR_VERSION,
    EmbeddedParams,
    embedded_root,
    ensure_embedded,
    generate_embedded,
    is_generated,
    load_meta,
)
from .scene import Scene, SceneParams, make_scene, void_band

__all__ = [
    "CLASS_SPECS", "EMBEDDED_CLASSES", "EMBEDDED_CLASS_SPLIT", "GENERATOR_VERSION", "EmbeddedParams",
    "Scene", "SceneParams", "default_band_width", "default_home", "embedded_root", "ensure_embedded",
    "generate_embedded", "image_rng", "is_generated", "load_meta", "make_scene", "void_band",
]
