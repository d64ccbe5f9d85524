from wsisbench.datasets import class_names as cn


def test_voc_and_coco_lists():
    assert len(cn.VOC_CLASSES) == 20 and cn.VOC_CLASSES[8] == "chair" and cn.VOC_CLASSES[11] == "dog"
    assert len(cn.COCO_CLASSES) == len(cn.COCO_CATEGORY_IDS) == 80
    assert cn.VOC_COCO_CATEGORY_IDS == (1, 2, 3, 4, 5, 6, 7, 9, 16, 17, 18, 19, 20, 21, 44, 62, 63, 64, 67, 72)
    assert len(cn.NONVOC_COCO_CATEGORY_IDS) == 60
    assert not set(cn.NONVOC_COCO_CATEGORY_IDS) & set(cn.VOC_COCO_CATEGORY_IDS)
    assert sorted(cn.VOC_ORDER_COCO_IDS) == list(cn.VOC_COCO_CATEGORY_IDS)
    assert cn.COCO_ID_TO_NAME[cn.VOC_TO_COCO_ID["tvmonitor"]] == "tv"


def test_coco_names_match_the_official_file(coco_mini_json):
    import json

    cats = json.loads(coco_mini_json.read_text())["categories"]
    assert [(c["id"], c["name"]) for c in cats] == list(zip(cn.COCO_CATEGORY_IDS, cn.COCO_CLASSES))


def test_lid_lists():
    assert len(cn.ILSVRC_DET_CLASSES) == len(set(cn.ILSVRC_DET_WNIDS)) == 200
    assert len(cn.LID_CLASSES) == 201 and cn.LID_CLASSES[0] == "background"
    # the DET ids are alphabetical by name, as in the devkit's meta_det.mat
    assert list(cn.ILSVRC_DET_CLASSES) == sorted(cn.ILSVRC_DET_CLASSES, key=str.lower)
    assert cn.LID_CLASSES[124] == "person" and cn.ILSVRC_DET_WNIDS[123] == "n00007846"
    assert cn.ILSVRC_DET_WNIDS[cn.ILSVRC_DET_CLASSES.index("dog")] == "n02084071"


def test_voc_palette():
    pal = cn.voc_palette()
    assert len(pal) == 768
    assert pal[:6] == [0, 0, 0, 128, 0, 0] and pal[-3:] == [224, 224, 192]
