"""The grouper's stage objects, one at a time and through the pipeline."""

import numpy as np
import pytest

import keras_patterns as kp
from keras_patterns.grouping.stages import EmbedStage
from keras_patterns.grouping.stages import EnhanceStage
from keras_patterns.modeling.labels import PHOTO_CLASSES
from keras_patterns.modeling.labels import garment_class
from tests.grouping.test_grouper import TopOrDress


class Recorder:
    """An embedder that records the shapes it is given and embeds a patch as
    its mean colour (a 3-vector), so what it saw can be checked by hand."""

    def __init__(self):
        self.shapes = []

    def embed(self, images, batch_size=64):
        images = np.asarray(images, np.float32)
        self.shapes.append(images.shape)
        return images.mean(axis=(1, 2))


@pytest.mark.parametrize(
    "scale, side, expected",
    [
        (None, 50, (50, 64)),  # every patch at patch_size
        (None, 200, (200, 64)),
        (1.0, 50, (48, 48)),  # native: rounded down to a multiple of 8
        (1.0, 64, (64, 64)),
        (1.0, 200, (64, 64)),  # larger than patch_size: its centre
        (2.0, 27, (24, 48)),  # 27 * 2 = 54 -> 48, from a 24-pixel crop
        (2.0, 10, (8, 16)),  # at least 16
        (2.0, 100, (32, 64)),
        (1.5, 40, (37, 56)),  # 60 -> 56, from round(56 / 1.5) = 37
    ],
)
def test_the_target_of_a_patch_keeps_its_pixel_scale(scale, side, expected):
    stage = EnhanceStage(patch_size=64, patch_scale=scale)
    crop, size = stage.target(side)
    assert (crop, size) == expected
    if scale is not None:  # the pixel scale is the one asked for, to 1/16
        assert abs(size / crop - scale) <= scale / 16 or crop == side


def test_patches_keep_their_frequency_across_garment_sizes():
    # Vertical stripes of period 8 on squares of 24, 40 and 120 pixels: at
    # a pixel scale of 1 every finished patch still has period 8; resized
    # to 64, their periods would be 21, 13 and 4.
    stripes = np.repeat((np.arange(120) // 4 % 2 * 255).astype(np.uint8), 3)
    fabric = np.broadcast_to(stripes.reshape(1, 120, 3), (120, 120, 3))
    cuts = {0: [fabric[:24, :24]], 1: [fabric[:40, :40]], 2: [fabric]}
    items = [kp.grouping.GroupedItem(index=i, source=f"#{i}") for i in range(3)]
    finished = EnhanceStage(patch_size=64, patch_scale=1.0)(cuts, items)
    sizes = [finished[i][0].shape[0] for i in range(3)]
    assert sizes == [24, 40, 64]
    for i in range(3):
        row = finished[i][0][0, :, 0].astype(int)
        changes = np.flatnonzero(np.diff(row))
        assert np.all(np.diff(changes) == 4), (i, changes)  # half a period
    legacy = EnhanceStage(patch_size=64)(cuts, items)
    assert {legacy[i][0].shape for i in range(3)} == {(64, 64, 3)}


def test_views_of_several_sizes_are_embedded_by_size_in_order():
    recorder = Recorder()
    rng = np.random.default_rng(0)
    patches = [
        [rng.integers(0, 256, (side, side, 3)).astype(np.uint8)]
        for side in (16, 32, 16, 48, 32)
    ]
    vectors = EmbedStage(recorder, flip_views=False)(patches)
    assert sorted(shape[1] for shape in recorder.shapes) == [16, 32, 48]
    expected = np.stack([chunk[0].mean(axis=(0, 1)) for chunk in patches])
    np.testing.assert_allclose(vectors, expected, rtol=1e-6)


def test_a_grouper_with_a_patch_scale_embeds_each_patch_at_its_scale():
    recorder = Recorder()
    grouper = kp.PatternGrouper(
        embedder=recorder,
        patch_size=64,
        patch_scale=1.0,
        flip_views=False,
        progress=False,
    )
    swatches = [np.full((side, side, 3), 100, np.uint8) for side in (24, 40, 96)]
    result = grouper.embed(swatches)
    assert sorted(shape[1] for shape in recorder.shapes) == [24, 40, 64]
    assert result.failures == []
    assert grouper.get_config()["patch_scale"] == 1.0


def test_patch_scale_is_saved_and_old_configs_load_without_it(tmp_path):
    embedder = kp.models.PatternEmbedder("texture_cnn", embedding_dim=4, width=4)
    grouper = kp.PatternGrouper(
        embedder=embedder,
        clusterer=kp.clustering.KMeans(2, random_state=0),
        patch_scale=2.0,
        progress=False,
    )
    grouper.fit(list(kp.datasets.make_pattern_patches(4, (40, 40))["images"]))
    loaded = kp.PatternGrouper.load(grouper.save(tmp_path / "g"), progress=False)
    assert loaded.patch_scale == 2.0
    legacy = kp.PatternGrouper.load(
        "tests/data/legacy/grouper", progress=False
    )  # saved by 0.1.0, before patch_scale
    assert legacy.patch_scale is None
    with pytest.raises(ValueError, match='"patch_scale" must be a finite number > 0'):
        kp.PatternGrouper(patch_scale=0)


class TallTop:
    """Labels a 70 x 24 "top" (id 1 of the 9 classes) in an 80 x 40 photo."""

    num_classes = 9

    def predict_labels(self, images, batch_size=8):
        maps = []
        for image in images:
            labels = np.zeros(np.shape(image)[:2], np.uint8)
            labels[5:75, 8:32] = 1
            maps.append(labels)
        return maps


def test_every_patch_box_is_kept():
    grouper = kp.PatternGrouper(
        TallTop(), embedder=Recorder(), patches_per_item=3, margin=0, progress=False
    )
    (item,) = grouper.embed([np.zeros((80, 40, 3), np.uint8)]).items
    # Three disjoint squares of about 24 fit down the 70 x 24 garment.
    assert len(item.boxes) == 3 and item.box == item.boxes[0]
    for top, left, bottom, right in item.boxes:
        assert bottom - top == right - left >= 22
        assert top >= 5 and bottom <= 75 and left >= 8 and right <= 32
    spans = sorted((box[0], box[2]) for box in item.boxes)
    assert all(
        end <= start for (_, end), (start, _) in zip(spans, spans[1:], strict=False)
    )


@pytest.mark.parametrize(
    "name, expected",
    [
        ("trousers", "pants"),
        ("Trousers", "pants"),
        ("tank top", "top"),
        ("jacket", "outer"),
        ("skirt", "skirt"),
        ("dress", "dress"),
        ("cape", "cape"),  # unknown: left for the caller's check to report
    ],
)
def test_everyday_garment_names_name_a_class(name, expected):
    assert garment_class(name, PHOTO_CLASSES) == expected


def test_garments_by_file_name_and_everyday_name(tmp_path):
    from PIL import Image

    for i in range(2):
        Image.fromarray(np.full((64, 48, 3), 90, np.uint8)).save(tmp_path / f"{i}.png")
    grouper = kp.PatternGrouper(
        TopOrDress(), embedder=Recorder(), patches_per_item=1, progress=False
    )
    by_name = grouper.embed(tmp_path, garments={"1.png": "dress"}).items
    assert [item.class_name for item in by_name] == ["top", "dress"]
    # An everyday name of a class the segmenter has: "tee" is a top.
    assert grouper.embed(tmp_path, garments=["tee", None]).items[0].class_name == "top"


class TwoGarments:
    """A plain 60 x 30 "pants" (id 6) beside a 30 x 20 "top" (id 1)."""

    num_classes = 9

    def predict_labels(self, images, batch_size=8):
        maps = []
        for image in images:
            labels = np.zeros(np.shape(image)[:2], np.uint8)
            labels[10:70, 2:32] = 6
            labels[10:40, 36:56] = 1
            maps.append(labels)
        return maps


def test_the_textured_garment_is_cut_rather_than_the_largest():
    photo = np.full((80, 60, 3), 120, np.uint8)
    photo[10:70, 2:32] = np.linspace(90, 150, 30, dtype=np.uint8)[None, :, None]
    photo[10:40, 36:56] = 30
    photo[10:40, 36:56:4] = 220  # stripes on the smaller top

    def cut(choice):
        grouper = kp.PatternGrouper(
            TwoGarments(),
            embedder=Recorder(),
            garment_choice=choice,
            patches_per_item=1,
            progress=False,
        )
        return grouper.embed([photo]).items[0].class_name

    assert cut("largest") == "pants"
    assert cut("textured") == "top"
    with pytest.raises(ValueError, match='"garment_choice" must be one of'):
        kp.PatternGrouper(garment_choice="prettiest")


class Contrast:
    """An embedder whose one dimension is a patch's pixel standard deviation."""

    def embed(self, images, batch_size=64):
        return np.asarray(images, np.float32).std(axis=(1, 2, 3))[:, None]


def plain_pants_striped_top():
    photo = np.full((80, 60, 3), 120, np.uint8)
    photo[10:40, 36:56] = 30
    photo[10:40, 36:56:4] = 220  # stripes on the smaller top: std about 82
    return photo


def probe(weight, bias, threshold=0.5):
    return {"weights": [weight], "bias": bias, "threshold": threshold, "size": 16}


def probed_boxes(garment_probe, patches_per_item=5, garment=None):
    grouper = kp.PatternGrouper(
        TwoGarments(),
        embedder=Contrast(),
        garment_choice="probe",
        garment_probe=garment_probe,
        patches_per_item=patches_per_item,
        progress=False,
    )
    item = grouper.embed([plain_pants_striped_top()], garments=[garment]).items[0]
    return item.class_name, item.boxes


def inside(boxes, top, left, bottom, right):
    return all(
        y0 >= top and x0 >= left and y1 <= bottom and x1 <= right
        for y0, x0, y1, x1 in boxes
    )


def test_the_probe_cuts_the_squares_it_finds_patterned():
    # logit = std - 10: the striped top's squares are patterned, the plain
    # pants' (std 0, logit -10) are not, though the pants are larger.
    name, boxes = probed_boxes(probe(1.0, -10.0))
    assert name == "top" and len(boxes) >= 1 and inside(boxes, 10, 36, 40, 56)
    # The same probe turned round (logit = 10 - std) finds the pants.
    name, boxes = probed_boxes(probe(-1.0, 10.0))
    assert name == "pants" and inside(boxes, 10, 2, 70, 32)
    # The most probable square is always cut; a threshold no square reaches
    # (logit 0.5, probability 0.62 < 0.99) keeps it alone.
    name, boxes = probed_boxes(probe(0.0, 0.5, threshold=0.99))
    assert len(boxes) == 1
    # With every square above the threshold, up to patches_per_item of both
    # garments are cut.
    name, boxes = probed_boxes(probe(0.0, 5.0), patches_per_item=5)
    assert len(boxes) > 1 and not inside(boxes, 10, 36, 40, 56)
    _, two = probed_boxes(probe(0.0, 5.0), patches_per_item=2)
    assert two == boxes[:2]


def test_a_named_garment_comes_first_and_the_probe_chooses_within_it():
    # Every square passes the threshold (logit std + 5 > 0), yet a name
    # keeps the patches on its garment: the plain pants when named, though
    # the probe prefers the striped top, and the top alone when it is named.
    everything = probe(1.0, 5.0)
    name, boxes = probed_boxes(everything, garment="pants")
    assert name == "pants" and len(boxes) > 1 and inside(boxes, 10, 2, 70, 32)
    name, boxes = probed_boxes(everything, garment="top")
    assert name == "top" and inside(boxes, 10, 36, 40, 56)
    # A named class the segmenter found nowhere (no dress region): the
    # probe's most patterned square, the top's, rather than no patch.
    name, boxes = probed_boxes(probe(1.0, -10.0), garment="dress")
    assert name == "top" and inside(boxes, 10, 36, 40, 56)
    # Without the probe, the same name cuts nothing.
    grouper = kp.PatternGrouper(TwoGarments(), embedder=Contrast(), progress=False)
    item = grouper.embed([plain_pants_striped_top()], garments=["dress"]).items[0]
    assert not item.ok and "classes dress" in item.error


def test_the_probe_embeds_a_chunks_candidates_in_one_call():
    class Counting(Contrast):
        def __init__(self):
            self.calls = []

        def embed(self, images, batch_size=64):
            self.calls.append(len(images))
            return super().embed(images, batch_size)

    embedder = Counting()
    grouper = kp.PatternGrouper(
        TwoGarments(),
        embedder=embedder,
        garment_choice="probe",
        garment_probe=probe(1.0, -10.0),
        batch_size=4,
        flip_views=False,
        progress=False,
    )
    photos = [plain_pants_striped_top()] * 6
    garments = [None, "pants"] * 3
    items = grouper.embed(photos, garments=garments).items
    # Two chunks (4 + 2 photos): the candidates, then the patches, of each.
    assert len(embedder.calls) == 4
    candidates = len(
        grouper.pipeline.cut.candidates(
            photos[0],
            TwoGarments().predict_labels(photos[:1])[0],
            grouper.classes,
            grouper.pipeline.cut.options(1.0),
        )
    )
    assert embedder.calls[0] == 4 * candidates and embedder.calls[2] == 2 * candidates
    # The same choices as one photo at a time.
    assert [item.class_name for item in items] == ["top", "pants"] * 3
    for item, garment in zip(items, garments, strict=True):
        alone = grouper.embed([photos[0]], garments=[garment]).items[0]
        assert alone.boxes == item.boxes


def test_a_probe_choice_needs_a_well_formed_probe():
    with pytest.raises(ValueError, match="needs a garment_probe"):
        kp.PatternGrouper(garment_choice="probe")
    with pytest.raises(ValueError, match="garment_probe must be"):
        kp.PatternGrouper(garment_choice="probe", garment_probe={"weights": [1.0]})
    with pytest.raises(ValueError, match="threshold=1.5"):
        kp.PatternGrouper(garment_choice="probe", garment_probe=probe(1.0, 0.0, 1.5))
    grouper = kp.PatternGrouper(garment_choice="probe", garment_probe=probe(1, 0))
    assert grouper.get_config()["garment_probe"] == probe(1.0, 0.0)
    # A probe fitted on another embedder's embeddings: the item says why.
    wrong = {**probe(1.0, 0.0), "weights": [1.0, 2.0]}
    grouper = kp.PatternGrouper(
        TwoGarments(),
        embedder=Contrast(),
        garment_choice="probe",
        garment_probe=wrong,
        progress=False,
    )
    with pytest.raises(ValueError, match="garment_probe has 2 weights"):
        grouper.embed([plain_pants_striped_top()])


class SplitTop:
    """Plain 60 x 30 "pants" (id 6) beside a striped 40 x 24 top that the
    segmenter splits: its upper 16 rows "top" (id 1), the rest "dress" (id 3)."""

    num_classes = 9

    def predict_labels(self, images, batch_size=8):
        labels = np.zeros((80, 64), np.uint8)
        labels[10:70, 2:32] = 6
        labels[10:26, 36:60] = 1
        labels[26:50, 36:60] = 3
        return [labels] * len(images)


def split_top_photo():
    photo = np.full((80, 64, 3), 120, np.uint8)
    photo[10:50, 36:60] = 30
    photo[10:50, 36:60:4] = 220
    return photo


def split_top_grouper(**settings):
    """The probe's grouper on `SplitTop` (logit std - 10: stripes are patterned)."""
    return kp.PatternGrouper(
        SplitTop(),
        embedder=Contrast(),
        garment_choice="probe",
        garment_probe=probe(1.0, -10.0),
        progress=False,
        **settings,
    )


def test_texture_squares_cut_a_garment_the_segmenter_split():
    def grouper(texture_squares):
        return split_top_grouper(texture_squares=texture_squares)

    def candidates(texture_squares):
        cut = grouper(texture_squares).pipeline.cut
        labels = SplitTop().predict_labels([None])[0]
        found = cut.candidates(split_top_photo(), labels, cut.classes, cut.options(1))
        return [(p.box, p.class_name) for p in found]

    def across(boxes):  # squares over both halves of the striped garment
        return [b for b in boxes if b[1] >= 32 and b[0] < 26 < b[2]]

    # Without them, each square lies in one class region: none crosses the
    # class boundary (row 26), and the dress's is 24 rows less the margins.
    plain = candidates(0)
    assert not across([box for box, _ in plain])
    assert max(b[2] - b[0] for b, name in plain if name != "pants") <= 20
    # With them, the textured part spans both halves: a larger square
    # across the boundary, on the stripes (but for the averaging window's
    # reach, 4 px), named after the class most of its pixels carry.
    textured = candidates(2)
    assert plain == textured[: len(plain)]
    (box,) = across([box for box, _ in textured])
    top, left, bottom, right = box
    assert bottom - top > 20 and inside([box], 10 - 4, 36 - 4, 50 + 4, 60 + 4)
    labels = SplitTop().predict_labels([None])[0][top:bottom, left:right]
    majority = "dress" if (labels == 3).sum() > (labels == 1).sum() else "top"
    assert dict(textured)[box] == majority
    # The probe (logit std - 10) keeps every striped square: the larger one
    # among the patches cut.
    assert box in grouper(2).embed([split_top_photo()]).items[0].boxes
    assert not across(grouper(0).embed([split_top_photo()]).items[0].boxes)
    with pytest.raises(ValueError, match="texture_squares"):
        kp.PatternGrouper(texture_squares=-1)
    assert kp.PatternGrouper(texture_squares=2).get_config()["texture_squares"] == 2


def test_small_patch_drops_small_candidates_where_a_larger_one_exists():
    def grouper(small_patch):
        return split_top_grouper(small_patch=small_patch)

    def side(box):
        return min(box[2] - box[0], box[3] - box[1])

    cut = grouper(0).pipeline.cut
    labels = SplitTop().predict_labels([None])[0]
    big = cut.candidates(split_top_photo(), labels, cut.classes, cut.options(1.0))
    sides = np.array([side(p.box) for p in big])
    classes = np.array([p.class_name for p in big])
    assert len(set(sides)) >= 3  # the top's, the dress's and the pants' squares
    least = sorted(set(sides))[1]  # drops the smallest squares, keeps the others
    stage = grouper(least).pipeline.cut
    np.testing.assert_array_equal(stage.usable(big), sides >= least)
    # In the pixels sizes count: on a copy twice as small, half the side.
    np.testing.assert_array_equal(stage.usable(big, 2.0), sides >= least / 2)
    # None as large: all of them stay, so the photo still gets a patch.
    assert grouper(sides.max() + 1).pipeline.cut.usable(big).all()
    # A named garment whose squares are all small keeps them; the others
    # are judged apart.
    small = classes[sides == sides.min()][0]
    assert not (sides[classes == small] >= least).any()
    named = stage.usable(big, garment=small)
    np.testing.assert_array_equal(
        named, np.where(classes == small, True, sides >= least)
    )
    # Through the grouper (logit std - 10: the striped squares are
    # patterned): every patch cut is at least `least` pixels.
    boxes = grouper(least).embed([split_top_photo()]).items[0].boxes
    assert boxes and all(side(box) >= least for box in boxes)
    item = grouper(least).embed([split_top_photo()], garments=[small]).items[0]
    assert item.class_name == small
    with pytest.raises(ValueError, match="small_patch"):
        kp.PatternGrouper(small_patch=-1)
    assert kp.PatternGrouper(small_patch=24).get_config()["small_patch"] == 24
