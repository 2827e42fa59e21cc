import json

import numpy as np
import pytest
from PIL import Image
from sklearn.metrics import adjusted_rand_score

import keras_patterns as kp


class OracleSegmenter:
    """A test double that returns the true 9-class mask of known photos."""

    num_classes = 9

    def __init__(self, images, masks):
        self.table = {
            image.tobytes(): kp.datasets.remap_classes(mask)
            for image, mask in zip(images, masks, strict=True)
        }

    def predict_labels(self, images, batch_size=8):
        return [
            self.table.get(
                np.asarray(image).tobytes(), np.zeros(np.shape(image)[:2], np.uint8)
            )
            for image in images
        ]


@pytest.fixture(scope="module")
def catalogue():
    return kp.datasets.make_pattern_garments(
        12, (256, 192), seed=4, families=["polka_dots", "plaid", "chevron"]
    )


@pytest.fixture(scope="module")
def embedder(tiny_embedder):
    return tiny_embedder


def write_folder(folder, catalogue):
    folder.mkdir()
    for i, image in enumerate(catalogue["images"]):
        Image.fromarray(image).save(
            folder / f"p{i:02d}.png"
        )  # lossless: oracle keys match
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    Image.fromarray(np.full((256, 192, 3), 240, np.uint8)).save(folder / "blank.png")
    return folder


def test_failures_are_reported_and_everything_else_grouped(
    tmp_path, catalogue, embedder
):
    folder = write_folder(tmp_path / "photos", catalogue)
    grouper = kp.PatternGrouper(
        OracleSegmenter(catalogue["images"], catalogue["masks"]),
        embedder=embedder,
        clusterer=kp.clustering.KMeans(3, random_state=0),
        keep_patches=True,
        progress=False,
    )
    result = grouper.fit(folder).group(folder)
    assert len(result) == 14
    failures = dict(result.failures)
    assert set(failures) == {str(folder / "broken.jpg"), str(folder / "blank.png")}
    assert "unreadable image" in failures[str(folder / "broken.jpg")]
    assert "no garment patch" in failures[str(folder / "blank.png")]
    ok = [item for item in result.items if item.ok]
    assert len(ok) == 12
    # Each product is in the group of the fitted centroid nearest its
    # embedding (brute force over the 3 centroids, Euclidean).
    centres = grouper.clusterer.cluster_centers_
    embeddings = np.stack([item.embedding for item in ok])
    distances = ((embeddings[:, None] - centres[None]) ** 2).sum(-1)
    assert [item.group for item in ok] == list(distances.argmin(1))
    for item in ok:
        top, left, bottom, right = item.box
        photo = np.asarray(Image.open(item.source))
        mask = OracleSegmenter(catalogue["images"], catalogue["masks"]).predict_labels(
            [photo]
        )[0]
        assert (
            mask[top:bottom, left:right]
            == kp.datasets.NINE_CLASSES.index(item.class_name)
        ).all()
        assert item.patch.shape == (64, 64, 3) and np.isclose(
            np.linalg.norm(item.embedding), 1
        )


def test_an_items_embedding_is_the_mean_of_its_patches(catalogue, embedder):
    photos = list(catalogue["images"])
    oracle = OracleSegmenter(photos, catalogue["masks"])
    truth = oracle.predict_labels(photos)
    garments = list(catalogue["garment"])

    def items(count, flip_views=False):
        grouper = kp.PatternGrouper(
            oracle,
            embedder=embedder,
            patches_per_item=count,
            flip_views=flip_views,
            keep_patches=True,
            progress=False,
        )
        return grouper.embed(photos, garments).items

    def unit_mean(patches):
        mean = embedder.embed(np.stack(patches)).mean(axis=0)
        return mean / np.linalg.norm(mean)

    single, several, flipped = items(1), items(3), items(3, flip_views=True)
    assert all(len(item.patches) == 1 for item in single)
    assert max(len(item.patches) for item in several) == 3
    for one, item, mirrored in zip(single, several, flipped, strict=True):
        np.testing.assert_array_equal(one.patch, item.patch)  # the largest first
        np.testing.assert_allclose(
            one.embedding, embedder.embed(one.patch[None])[0], atol=1e-5
        )
        np.testing.assert_allclose(item.embedding, unit_mean(item.patches), atol=1e-5)
        # With flip_views, each patch also counts as its three mirror images.
        views = [
            view
            for patch in mirrored.patches
            for view in (patch, patch[:, ::-1], patch[::-1], patch[::-1, ::-1])
        ]
        np.testing.assert_allclose(mirrored.embedding, unit_mean(views), atol=1e-5)
        assert not np.allclose(mirrored.embedding, item.embedding, atol=1e-3)
        garment = kp.datasets.NINE_CLASSES.index(item.class_name)
        assert item.class_name == garments[item.index]
        assert (
            truth[item.index][item.box[0] : item.box[2], item.box[1] : item.box[3]]
            == garment
        ).all()


def test_garment_hints_choose_the_product(catalogue, embedder):
    photos = list(catalogue["images"])
    grouper = kp.PatternGrouper(
        OracleSegmenter(photos, catalogue["masks"]),
        embedder=embedder,
        clusterer=kp.clustering.KMeans(2, random_state=0),
        progress=False,
    )
    hinted = grouper.fit(photos, garments=list(catalogue["garment"])).group(
        photos, garments=list(catalogue["garment"])
    )
    assert [item.class_name for item in hinted.items] == list(catalogue["garment"])
    with pytest.raises(ValueError, match="garments"):
        grouper.group(photos, garments=["top"])


class TopOrDress:
    """Logits: a 40x30 garment in a 64x48 photo where "top" beats "dress" by 1."""

    num_classes = 9

    def predict_logits(self, images, batch_size=8):
        out = []
        for image in images:
            logits = np.zeros((*np.shape(image)[:2], 9), np.float32)
            logits[..., 0] = 2.0
            logits[12:52, 9:39] = 0.0
            logits[12:52, 9:39, 1] = 3.0
            logits[12:52, 9:39, 3] = 2.0
            out.append(logits)
        return out

    def predict_labels(self, images, batch_size=8):
        return [np.argmax(x, -1).astype(np.uint8) for x in self.predict_logits(images)]


def test_garment_prior_lets_the_named_garment_win_close_pixels(embedder):
    photos = [np.full((64, 48, 3), 90 + 20 * i, np.uint8) for i in range(3)]

    def grouper(prior):
        return kp.PatternGrouper(
            TopOrDress(),
            embedder=embedder,
            clusterer=kp.clustering.KMeans(2, random_state=0),
            garment_prior=prior,
            patches_per_item=1,
            progress=False,
        )

    plain = grouper(0.0).embed(photos, ["dress"] * 3).items
    assert all("no garment patch" in item.error for item in plain)
    hinted = grouper(1.5).embed(photos, ["dress"] * 3).items
    # The garment's 40x30 block minus the 2-pixel margin: a 26x26 square.
    assert [(item.class_name, item.box) for item in hinted] == [
        ("dress", (19, 11, 45, 37))
    ] * 3
    # Without a hint the prior has nothing to act on: the top is cut.
    assert grouper(1.5).embed(photos).items[0].class_name == "top"
    assert grouper(np.float32(0.5)).garment_prior == 0.5
    for bad in (-1.0, float("inf"), "high"):
        with pytest.raises(ValueError, match="garment_prior"):
            grouper(bad)


def test_patch_entry_enhances_small_patches_only(embedder):
    enhancer = kp.models.RRDBNet(num_blocks=1, filters=8, growth=4)
    images = [
        kp.datasets.make_pattern_patches(2, (side, side), seed=side)["images"][i]
        for side in (64, 20, 48, 47)
        for i in range(2)
    ]
    images = [images[i] for i in (0, 2, 4, 6, 1, 3, 5, 7)]  # 64 20 48 47 64 ...

    def grouper(**kwargs):
        return kp.PatternGrouper(
            embedder=embedder,
            clusterer=kp.clustering.KMeans(2, random_state=0),
            keep_patches=True,
            progress=False,
            **kwargs,
        )

    enhanced = grouper(enhancer=enhancer, enhance_below=48).fit_group(images).items
    plain = grouper().fit_group(images).items
    # Enhanced: exactly the patches whose side is below enhance_below (a
    # strict bound: 47 is, 48 is not).
    expected = [min(image.shape[:2]) < 48 for image in images]
    assert expected == [False, True, False, True] * 2
    assert [item.enhanced for item in enhanced] == expected
    assert not any(item.enhanced for item in plain)
    for image, item, reference in zip(images, enhanced, plain, strict=True):
        # A patch input is its own patch: the box is the whole image, and
        # only the enhanced ones differ from the un-enhanced pipeline's.
        assert item.box == reference.box == (0, 0, *image.shape[:2])
        assert item.patch.shape == reference.patch.shape == (64, 64, 3)
        if item.enhanced:
            assert np.abs(item.patch.astype(int) - reference.patch).mean() > 5
        else:
            np.testing.assert_array_equal(item.patch, reference.patch)


def test_save_load_predict_round_trip(tmp_path, catalogue, embedder):
    segmenter = kp.models.DeepLabV3Plus(
        9,
        backbone="mobilenet_v2",
        aspp_filters=8,
        decoder_filters=8,
        low_level_filters=4,
    )
    # An untrained segmenter may call every pixel background, whatever the
    # seed: a background bias of -10 makes it label garments at random, which
    # keeps this test about persistence while the real models travel.
    logits = segmenter.get_layer("logits")
    logits.bias.assign(np.array([-10.0] + [0.0] * 8, "float32"))
    enhancer = kp.models.RRDBNet(num_blocks=1, filters=8, growth=4)
    grouper = kp.PatternGrouper(
        segmenter,
        enhancer,
        embedder,
        kp.clustering.KMeans(3, metric="cosine", random_state=0),
        classes=kp.datasets.NINE_CLASSES[1:],
        min_patch=4,
        patch_shape="rectangle",
        patches_per_item=2,
        garment_prior=0.7,
        garment_prior_below=0.05,
        flip_views=False,
        progress=False,
    )
    photos = list(catalogue["images"])
    before = grouper.fit(photos).predict(photos)
    grouper.save(tmp_path / "grouper")
    files = sorted(p.name for p in (tmp_path / "grouper").iterdir())
    assert files == [
        "catalogue.npz",
        "catalogue_embeddings.npy",
        "clusterer.npz",
        "config.json",
        "embedder.keras",
        "enhancer.keras",
        "segmenter.keras",
    ]
    restored = kp.PatternGrouper.load(tmp_path / "grouper", progress=False)
    np.testing.assert_array_equal(restored.predict(photos), before)
    assert restored.patch_shape == "rectangle" and restored.min_patch == 4
    assert restored.patches_per_item == 2 and restored.garment_prior == 0.7
    assert restored.garment_prior_below == 0.05
    assert restored.flip_views is False
    config_file = tmp_path / "grouper/config.json"
    config = json.loads(config_file.read_text())
    assert config["format"] == 1
    # A file written before garment_prior and flip_views keeps its behaviour.
    del config["garment_prior"], config["garment_prior_below"], config["flip_views"]
    config_file.write_text(json.dumps(config))
    old = kp.PatternGrouper.load(tmp_path / "grouper", progress=False)
    assert old.garment_prior == 0.0 and old.flip_views is False
    assert old.garment_prior_below is None
    with pytest.raises(FileNotFoundError, match="config.json"):
        kp.PatternGrouper.load(tmp_path)


def test_result_outputs(tmp_path, catalogue, embedder):
    photos = list(catalogue["images"])
    grouper = kp.PatternGrouper(
        OracleSegmenter(photos, catalogue["masks"]),
        embedder=embedder,
        clusterer=kp.clustering.KMeans(3, random_state=0),
        progress=False,
    )
    result = grouper.fit(photos).group(photos + [np.zeros((4, 4, 3), np.uint8)])
    rows = result.to_csv(tmp_path / "g.csv").read_text()
    assert rows.splitlines()[0].startswith("index,source,group,class_name,top,left")
    assert len(rows.splitlines()) == 14
    assert rows.splitlines()[-1].startswith("12,#12,-1,")
    assert "no garment patch of at least 8 pixels" in rows.splitlines()[-1]
    data = json.loads(result.to_json(tmp_path / "g.json", embeddings=True).read_text())
    assert {g["group"] for g in data["groups"]} == set(result.groups)
    assert len(data["items"][0]["embedding"]) == 8
    sheet = result.contact_sheet(tmp_path / "sheet.png", per_group=4)
    assert Image.open(sheet[0]).width > 200
    per_group = result.contact_sheet(tmp_path / "sheets")
    assert len(per_group) == len(result.groups)
    assert result.embeddings.shape == (12, 8)


def test_argument_checks(embedder):
    with pytest.raises(ValueError, match="embedder_steps"):
        kp.PatternGrouper(embedder_steps=0)
    with pytest.raises(ValueError, match="patch_shape"):
        kp.PatternGrouper(patch_shape="round")
    with pytest.raises(ValueError, match="patch_size"):
        kp.PatternGrouper(embedder=embedder, patch_size=16)
    with pytest.raises(ValueError, match="not fitted"):
        kp.PatternGrouper(embedder=embedder, progress=False).group(
            [np.zeros((40, 40, 3))]
        )
    with pytest.raises(ValueError, match="asks for 3 groups but only 2 of 3"):
        kp.PatternGrouper(
            embedder=embedder,
            clusterer=kp.clustering.KMeans(3),
            progress=False,
        ).fit([np.zeros((40, 40, 3), np.uint8)] * 2 + ["missing.png"])
    with pytest.raises(ValueError, match="No input"):
        kp.PatternGrouper(
            OracleSegmenter([], []), embedder=embedder, progress=False
        ).fit([np.zeros((40, 40, 3), np.uint8)])


class CountingEmbedder:
    """Wraps an embedder and counts the patches it embeds."""

    def __init__(self, embedder):
        self.embedder, self.seen = embedder, 0

    def embed(self, patches):
        self.seen += len(patches)
        return self.embedder.embed(patches)


def test_fit_group_matches_fit_then_group_and_embeds_once(embedder):
    patches = kp.datasets.make_pattern_patches(
        30, (64, 64), seed=1, families=["polka_dots", "plaid", "chevron"]
    )["images"]
    counting = CountingEmbedder(embedder)

    def grouper():
        return kp.PatternGrouper(
            embedder=counting,
            clusterer=kp.clustering.KMeans(3, random_state=0),
            progress=False,
            batch_size=8,
        )

    result = grouper().fit_group(patches)
    assert counting.seen == 30 * 4  # each patch and its three mirror images
    separate = grouper().fit(patches).group(patches)
    assert counting.seen == (30 + 60) * 4
    np.testing.assert_array_equal(result.assignments, separate.assignments)
    np.testing.assert_allclose(result.embeddings, separate.embeddings, atol=1e-5)


def test_fit_trains_a_missing_embedder_on_the_inputs_patches():
    two = kp.datasets.make_pattern_patches(
        2, (48, 48), seed=2, families=["polka_dots", "plaid"]
    )["images"]
    # An easy case with a known answer: six copies each of two patches, in a
    # mixed order. Copies embed alike, so 2-means must recover the copies.
    truth = np.array([0, 1, 1, 0, 1, 0, 0, 0, 1, 1, 0, 1])
    patches = two[truth]
    grouper = kp.PatternGrouper(
        clusterer=kp.clustering.KMeans(2, random_state=0),
        patch_size=48,
        embedder_steps=2,
        progress=False,
    )
    result = grouper.fit_group(patches)
    assert isinstance(grouper.embedder, kp.models.PatternEmbedder)
    assert result.embeddings.shape == (12, 128)
    # Unit vectors, and every input grouped.
    np.testing.assert_allclose(np.linalg.norm(result.embeddings, axis=1), 1, atol=1e-4)
    assert result.failures == []
    assert adjusted_rand_score(truth, result.assignments) == 1.0
    assert result.timings["train"] > 0 and result.timings["embed"] > 0
