import numpy as np
import pytest
from PIL import Image

from wsisbench.datasets.png import read_label_png, write_label_png
from wsisbench.errors import DataError


def test_palette_round_trip(tmp_path):
    labels = np.random.default_rng(0).integers(0, 256, (13, 17)).astype(np.uint8)
    path = write_label_png(tmp_path / "a.png", labels)
    assert Image.open(path).mode == "P"
    np.testing.assert_array_equal(read_label_png(path), labels)


def test_grey_index_png_is_accepted(tmp_path):
    labels = np.array([[0, 1], [255, 3]], dtype=np.uint8)
    Image.fromarray(labels).save(tmp_path / "g.png")
    np.testing.assert_array_equal(read_label_png(tmp_path / "g.png"), labels)


def test_rgb_png_raises_naming_the_file(tmp_path):
    path = tmp_path / "rgb_label.png"
    Image.new("RGB", (4, 4), (128, 0, 0)).save(path)
    with pytest.raises(DataError, match=r"rgb_label\.png.*mode 'RGB'"):
        read_label_png(path)


def test_missing_and_corrupt(tmp_path):
    with pytest.raises(DataError, match=r"nope\.png.*missing"):
        read_label_png(tmp_path / "nope.png")
    (tmp_path / "bad.png").write_bytes(b"not a png")
    with pytest.raises(DataError, match=r"bad\.png"):
        read_label_png(tmp_path / "bad.png")
