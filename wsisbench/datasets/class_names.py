"""Class lists of the real benchmarks (facts, no logic beyond lookups).

- PASCAL VOC 2012: 20 foreground classes in the devkit order (label PNG value ``k`` is
  ``VOC_CLASSES[k - 1]``; 0 background, 255 void).
- COCO 2017: the 80 category names with their (non-contiguous) category ids.
- The 20 VOC classes as COCO category ids (Mask^X R-CNN's 'voc' split); the other 60 are 'non-voc'.
- LID 2020 track 1: background + the 200 ILSVRC 2014 DET classes (PNG value ``k`` in 1..200 is DET class
  ``k``, 255 ambiguous).

ILSVRC DET names and WordNet ids follow the DET devkit's ``meta_det.mat`` (``ILSVRC2014_DET_ID`` 1..200,
which is alphabetical by name). They were read from two public listings (a DET class table with the devkit
names, and a Fast R-CNN ILSVRC loader with the wnids in DET-id order) and agree with each other on every
entry that both name; the devkit file itself was not available here.
"""
from __future__ import annotations

#: VOC 2012 foreground classes, devkit order (0-based instance label ``i`` is ``VOC_CLASSES[i]``).
VOC_CLASSES: tuple[str, ...] = (
    "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
    "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train",
    "tvmonitor",
)

#: COCO 2017 category ids, in the order of ``instances_*.json``'s ``categories`` list.
COCO_CATEGORY_IDS: tuple[int, ...] = (
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 27, 28, 31, 32,
    33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59,
    60, 61, 62, 63, 64, 65, 67, 70, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 84, 85, 86, 87, 88, 89, 90,
)

#: COCO 2017 category names, aligned with :data:`COCO_CATEGORY_IDS`.
COCO_CLASSES: tuple[str, ...] = (
    "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat", "traffic light",
    "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog", "horse", "sheep", "cow",
    "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella", "handbag", "tie", "suitcase", "frisbee",
    "skis", "snowboard", "sports ball", "kite", "baseball bat", "baseball glove", "skateboard", "surfboard",
    "tennis racket", "bottle", "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple",
    "sandwich", "orange", "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch",
    "potted plant", "bed", "dining table", "toilet", "tv", "laptop", "mouse", "remote", "keyboard",
    "cell phone", "microwave", "oven", "toaster", "sink", "refrigerator", "book", "clock", "vase",
    "scissors", "teddy bear", "hair drier", "toothbrush",
)

#: COCO category id -> name.
COCO_ID_TO_NAME: dict[int, str] = dict(zip(COCO_CATEGORY_IDS, COCO_CLASSES))

#: The 20 VOC classes as COCO category ids (ascending), evaluation-protocols.md section 2.
VOC_COCO_CATEGORY_IDS: tuple[int, ...] = (1, 2, 3, 4, 5, 6, 7, 9, 16, 17, 18, 19, 20, 21, 44, 62, 63, 64, 67, 72)

#: The other 60 COCO category ids ('non-voc').
NONVOC_COCO_CATEGORY_IDS: tuple[int, ...] = tuple(i for i in COCO_CATEGORY_IDS if i not in VOC_COCO_CATEGORY_IDS)

#: VOC class (devkit order) -> its COCO category id.
VOC_TO_COCO_ID: dict[str, int] = {
    "aeroplane": 5, "bicycle": 2, "bird": 16, "boat": 9, "bottle": 44, "bus": 6, "car": 3, "cat": 17,
    "chair": 62, "cow": 21, "diningtable": 67, "dog": 18, "horse": 19, "motorbike": 4, "person": 1,
    "pottedplant": 64, "sheep": 20, "sofa": 63, "train": 7, "tvmonitor": 72,
}

#: The 20 VOC classes as COCO ids in VOC's devkit order (so VOC label ``i`` <-> ``VOC_ORDER_COCO_IDS[i]``).
VOC_ORDER_COCO_IDS: tuple[int, ...] = tuple(VOC_TO_COCO_ID[name] for name in VOC_CLASSES)

#: ILSVRC 2014 DET class names, index ``i`` is DET id ``i + 1``.
ILSVRC_DET_CLASSES: tuple[str, ...] = (
    "accordion", "airplane", "ant", "antelope", "apple", "armadillo", "artichoke", "axe", "baby bed",
    "backpack", "bagel", "balance beam", "banana", "band aid", "banjo", "baseball", "basketball",
    "bathing cap", "beaker", "bear", "bee", "bell pepper", "bench", "bicycle", "binder", "bird", "bookshelf",
    "bow", "bow tie", "bowl", "brassiere", "burrito", "bus", "butterfly", "camel", "can opener", "car", "cart",
    "cattle", "cello", "centipede", "chain saw", "chair", "chime", "cocktail shaker", "coffee maker",
    "computer keyboard", "computer mouse", "corkscrew", "cream", "croquet ball", "crutch", "cucumber",
    "cup or mug", "diaper", "digital clock", "dishwasher", "dog", "domestic cat", "dragonfly", "drum",
    "dumbbell", "electric fan", "elephant", "face powder", "fig", "filing cabinet", "flower pot", "flute",
    "fox", "french horn", "frog", "frying pan", "giant panda", "goldfish", "golf ball", "golfcart",
    "guacamole", "guitar", "hair dryer", "hair spray", "hamburger", "hammer", "hamster", "harmonica", "harp",
    "hat with a wide brim", "head cabbage", "helmet", "hippopotamus", "horizontal bar", "horse", "hotdog",
    "iPod", "isopod", "jellyfish", "koala bear", "ladle", "ladybug", "lamp", "laptop", "lemon", "lion",
    "lipstick", "lizard", "lobster", "maillot", "maraca", "microphone", "microwave", "milk can", "miniskirt",
    "monkey", "motorcycle", "mushroom", "nail", "neck brace", "oboe", "orange", "otter", "pencil box",
    "pencil sharpener", "perfume", "person", "piano", "pineapple", "ping-pong ball", "pitcher", "pizza",
    "plastic bag", "plate rack", "pomegranate", "popsicle", "porcupine", "power drill", "pretzel", "printer",
    "puck", "punching bag", "purse", "rabbit", "racket", "ray", "red panda", "refrigerator",
    "remote control", "rubber eraser", "rugby ball", "ruler", "salt or pepper shaker", "saxophone",
    "scorpion", "screwdriver", "seal", "sheep", "ski", "skunk", "snail", "snake", "snowmobile", "snowplow",
    "soap dispenser", "soccer ball", "sofa", "spatula", "squirrel", "starfish", "stethoscope", "stove",
    "strainer", "strawberry", "stretcher", "sunglasses", "swimming trunks", "swine", "syringe", "table",
    "tape player", "tennis ball", "tick", "tie", "tiger", "toaster", "traffic light", "train", "trombone",
    "trumpet", "turtle", "tv or monitor", "unicycle", "vacuum", "violin", "volleyball", "waffle iron",
    "washer", "water bottle", "watercraft", "whale", "wine bottle", "zebra",
)

#: ILSVRC 2014 DET WordNet ids, aligned with :data:`ILSVRC_DET_CLASSES`.
ILSVRC_DET_WNIDS: tuple[str, ...] = (
    "n02672831", "n02691156", "n02219486", "n02419796", "n07739125", "n02454379", "n07718747", "n02764044",
    "n02766320", "n02769748", "n07693725", "n02777292", "n07753592", "n02786058", "n02787622", "n02799071",
    "n02802426", "n02807133", "n02815834", "n02131653", "n02206856", "n07720875", "n02828884", "n02834778",
    "n02840245", "n01503061", "n02870880", "n02883205", "n02879718", "n02880940", "n02892767", "n07880968",
    "n02924116", "n02274259", "n02437136", "n02951585", "n02958343", "n02970849", "n02402425", "n02992211",
    "n01784675", "n03000684", "n03001627", "n03017168", "n03062245", "n03063338", "n03085013", "n03793489",
    "n03109150", "n03128519", "n03134739", "n03141823", "n07718472", "n03797390", "n03188531", "n03196217",
    "n03207941", "n02084071", "n02121808", "n02268443", "n03249569", "n03255030", "n03271574", "n02503517",
    "n03314780", "n07753113", "n03337140", "n03991062", "n03372029", "n02118333", "n03394916", "n01639765",
    "n03400231", "n02510455", "n01443537", "n03445777", "n03445924", "n07583066", "n03467517", "n03483316",
    "n03476991", "n07697100", "n03481172", "n02342885", "n03494278", "n03495258", "n03124170", "n07714571",
    "n03513137", "n02398521", "n03535780", "n02374451", "n07697537", "n03584254", "n01990800", "n01910747",
    "n01882714", "n03633091", "n02165456", "n03636649", "n03642806", "n07749582", "n02129165", "n03676483",
    "n01674464", "n01982650", "n03710721", "n03720891", "n03759954", "n03761084", "n03764736", "n03770439",
    "n02484322", "n03790512", "n07734744", "n03804744", "n03814639", "n03838899", "n07747607", "n02444819",
    "n03908618", "n03908714", "n03916031", "n00007846", "n03928116", "n07753275", "n03942813", "n03950228",
    "n07873807", "n03958227", "n03961711", "n07768694", "n07615774", "n02346627", "n03995372", "n07695742",
    "n04004767", "n04019541", "n04023962", "n04026417", "n02324045", "n04039381", "n01495701", "n02509815",
    "n04070727", "n04074963", "n04116512", "n04118538", "n04118776", "n04131690", "n04141076", "n01770393",
    "n04154565", "n02076196", "n02411705", "n04228054", "n02445715", "n01944390", "n01726692", "n04252077",
    "n04252225", "n04254120", "n04254680", "n04256520", "n04270147", "n02355227", "n02317335", "n04317175",
    "n04330267", "n04332243", "n07745940", "n04336792", "n04356056", "n04371430", "n02395003", "n04376876",
    "n04379243", "n04392985", "n04409515", "n01776313", "n04591157", "n02129604", "n04442312", "n06874185",
    "n04468005", "n04487394", "n03110669", "n01662784", "n03211117", "n04509417", "n04517823", "n04536866",
    "n04540053", "n04542943", "n04554684", "n04557648", "n04530566", "n02062744", "n04591713", "n02391049",
)

#: LID 2020 track 1 semantic classes: index 0 background, index ``k`` (1..200) is DET class ``k``.
LID_CLASSES: tuple[str, ...] = ("background",) + ILSVRC_DET_CLASSES

#: Foreground classes of LID (what image-level labels index, 0-based).
LID_FOREGROUND_CLASSES: tuple[str, ...] = ILSVRC_DET_CLASSES


def voc_palette(num_entries: int = 256) -> list[int]:
    """The PASCAL VOC colour map as a flat ``[r0, g0, b0, r1, ...]`` list of ``3 * num_entries`` ints.

    Entry ``k`` spreads the bits of ``k`` over the three channels, most significant first
    (0 black, 1 dark red, 2 dark green, ..., 255 a light grey-beige used for void).
    """
    palette = []
    for k in range(num_entries):
        r = g = b = 0
        value = k
        for shift in range(7, -1, -1):
            r |= (value & 1) << shift
            g |= ((value >> 1) & 1) << shift
            b |= ((value >> 2) & 1) << shift
            value >>= 3
        palette.extend((r, g, b))
    return palette
