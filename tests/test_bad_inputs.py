"""The battery of bad inputs: every one is a reported per-item failure or a
correct read, never an exception that ends a batch job.

Each case builds its file or array in a folder and says what reading it
gives: a failure whose reason mentions the cause, or an image checked
against what it should be. Add a case for every input-reading bug found.
"""

import io
import os
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import keras_patterns as kp
from keras_patterns.grouping import inputs as grouper_inputs
from keras_patterns.grouping.inputs import iter_inputs
from keras_patterns.grouping.inputs import read_input
from keras_patterns.utils import image_reader

SMALL_LIMIT = 5000  # pixels; the good 64 x 64 swatches (4096) pass it
RUNNING_AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def _gradient(height=48, width=64):
    """A smooth, asymmetric RGB image: any rotation or flip changes it."""
    y, x = np.mgrid[0:height, 0:width]
    return np.stack(
        [x * 255 // (width - 1), y * 255 // (height - 1), (x + y) % 64 * 4], -1
    ).astype(np.uint8)


def _png_bytes(image, **kwargs):
    """PNG bytes of a PIL image or of an array (`Image.fromarray`'s mode)."""
    if not isinstance(image, Image.Image):
        image = Image.fromarray(image)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", **kwargs)
    return buffer.getvalue()


def _jpeg_bytes(image, **kwargs):
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=95, **kwargs)
    return buffer.getvalue()


def _chunk(kind, data):
    crc = struct.pack(">I", zlib.crc32(kind + data))
    return struct.pack(">I", len(data)) + kind + data + crc


def _bomb_png(width, height):
    """A 100-byte PNG whose header claims `width x height` grey pixels."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\0" * (width + 1) * 4)  # a few rows: never decoded
    return b"".join(
        [
            b"\x89PNG\r\n\x1a\n",
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", rows),
            _chunk(b"IEND", b""),
        ]
    )


# === File builders: each writes one file under `folder` and returns its path ===


def _write(folder, name, data):
    path = folder / name
    path.write_bytes(data)
    return path


def truncated_png(folder):
    data = _png_bytes(_gradient())
    return _write(folder, "truncated.png", data[: len(data) // 2])


def truncated_jpeg(folder):
    data = _jpeg_bytes(Image.fromarray(_gradient()))
    return _write(folder, "truncated.jpg", data[: len(data) // 2])


def empty_file(folder):
    return _write(folder, "empty.png", b"")


def text_as_jpeg(folder):
    return _write(folder, "notes.jpg", b"this is a shopping list, not a photo\n")


def bomb_header(folder):
    return _write(folder, "bomb.png", _bomb_png(20_000, 20_000))


def over_small_limit(folder):
    return _write(folder, "large.png", _png_bytes(_gradient(100, 100)))


def broken_symlink(folder):
    path = folder / "gone.jpg"
    path.symlink_to(folder / "deleted_long_ago.jpg")
    return path


def symlink_loop(folder):
    path = folder / "loop.jpg"
    path.symlink_to(path)
    return path


def no_permission(folder):
    path = _write(folder, "secret.png", _png_bytes(_gradient()))
    path.chmod(0)
    return path


def cmyk_jpeg(folder):
    return _write(
        folder, "cmyk.jpg", _jpeg_bytes(Image.fromarray(_gradient()).convert("CMYK"))
    )


def gray16_png(folder):
    values = np.array([[0, 257, 25700, 32896, 65535]] * 4, np.uint16)
    return _write(folder, "gray16.png", _png_bytes(values))


def palette_transparent_png(folder):
    image = Image.fromarray(np.array([[0, 1, 2]] * 3, np.uint8), mode="L")
    image = image.convert("P")
    image.putpalette([0, 0, 0, 200, 0, 0, 0, 0, 200] + [0] * 759)
    return _write(folder, "palette.png", _png_bytes(image, transparency=0))


def la_png(folder):
    grey = np.array([[0, 100, 0]] * 3, np.uint8)
    alpha = np.array([[0, 255, 128]] * 3, np.uint8)
    return _write(folder, "la.png", _png_bytes(np.stack([grey, alpha], -1)))


def rgba_png(folder):
    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[:, 2:] = (10, 20, 30, 255)
    return _write(folder, "cutout.png", _png_bytes(rgba))


def bilevel_png(folder):
    image = Image.fromarray(np.array([[0, 255]] * 2, np.uint8)).convert("1")
    return _write(folder, "bilevel.png", _png_bytes(image))


def float_tiff(folder):
    values = np.array([[0.0, 0.5, 1.0]] * 2, np.float32)
    path = folder / "float.tif"
    Image.fromarray(values, mode="F").save(path)
    return path


def float_tiff_out_of_range(folder):
    values = np.array([[0.0, 500.0, 1000.0]] * 2, np.float32)
    path = folder / "float_wide.tif"
    Image.fromarray(values, mode="F").save(path)
    return path


def animated_gif(folder):
    frames = [
        Image.fromarray(np.full((8, 8, 3), colour, np.uint8))
        for colour in ((200, 0, 0), (0, 0, 200), (0, 200, 0))
    ]
    path = folder / "animated.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100)
    return path


def exif_rotated_jpeg(folder):
    # Orientation 6: the stored pixels must turn 90 degrees clockwise to be
    # upright, as a phone held sideways writes them.
    stored = Image.fromarray(np.ascontiguousarray(np.rot90(_gradient(), 1)))
    exif = Image.Exif()
    exif[0x0112] = 6
    return _write(folder, "sideways.jpg", _jpeg_bytes(stored, exif=exif.tobytes()))


def folder_named_jpeg(folder):
    path = folder / "album.jpg"
    path.mkdir()
    return path


# === Checks of the images that read well ===


def _near(expected, tolerance):
    def check(image):
        assert image.shape == expected.shape, (image.shape, expected.shape)
        difference = np.abs(image.astype(int) - expected.astype(int))
        assert difference.mean() < tolerance, difference.mean()

    return check


def _exact(expected):
    def check(image):
        np.testing.assert_array_equal(image, np.asarray(expected, np.uint8))

    return check


def _grey(rows):
    rows = np.asarray(rows, np.uint8)
    return np.repeat(rows[..., None], 3, axis=-1)


WHITE, RED, BLUE = (255, 255, 255), (200, 0, 0), (0, 0, 200)

# (id, builder, expected): `expected` is a substring of the failure reason,
# or a check of the image read. `builder` takes the folder for files; array
# cases hold the array itself.
FILE_CASES = [
    ("truncated_png", truncated_png, "truncated"),
    ("truncated_jpeg", truncated_jpeg, "truncated"),
    ("empty_file", empty_file, "empty file"),
    ("text_as_jpeg", text_as_jpeg, "not an image"),
    ("bomb_header_20000x20000", bomb_header, "400,000,000 pixels"),
    ("over_max_pixels", over_small_limit, "10,000 pixels is over the limit of 5,000"),
    ("broken_symlink", broken_symlink, "broken symbolic link"),
    ("symlink_loop", symlink_loop, "symbolic link loop"),
    ("no_read_permission", no_permission, "permission denied"),
    ("folder_named_jpeg", folder_named_jpeg, "is a folder"),
    ("float_tiff_out_of_range", float_tiff_out_of_range, "[0, 1000]"),
    ("cmyk_jpeg", cmyk_jpeg, _near(_gradient(), 3.0)),
    ("gray16_png", gray16_png, _exact(_grey([[0, 1, 100, 128, 255]] * 4))),
    (
        "palette_transparent_png",
        palette_transparent_png,
        _exact([[WHITE, RED, BLUE]] * 3),
    ),
    ("la_png", la_png, _exact(_grey([[255, 100, 127]] * 3))),
    ("rgba_png", rgba_png, _exact([[WHITE] * 2 + [(10, 20, 30)] * 2] * 4)),
    ("bilevel_png", bilevel_png, _exact(_grey([[0, 255]] * 2))),
    ("float_tiff", float_tiff, _exact(_grey([[0, 128, 255]] * 2))),
    ("animated_gif_first_frame", animated_gif, _exact(np.full((8, 8, 3), RED))),
    ("exif_orientation_6", exif_rotated_jpeg, _near(_gradient(), 3.0)),
]

RGBA = np.zeros((2, 2, 4), np.uint8)
RGBA[0] = (10, 20, 30, 255)

ARRAY_CASES = [
    ("rank_1", np.zeros(10, np.uint8), '"image" must have shape'),
    ("rank_4_single", np.zeros((1, 8, 8, 3), np.uint8), '"image" must have shape'),
    ("rank_0", np.uint8(7), '"image" must have shape'),
    ("five_channels", np.zeros((8, 8, 5), np.uint8), "C in (1, 3, 4)"),
    ("two_channels", np.zeros((8, 8, 2), np.uint8), "C in (1, 3, 4)"),
    ("object_dtype", np.full((8, 8, 3), None, object), "dtype object"),
    ("complex_dtype", np.zeros((8, 8, 3), np.complex64), "dtype complex64"),
    ("bool_dtype", np.zeros((8, 8, 3), bool), "dtype bool"),
    ("int64_0_255", np.full((8, 8, 3), 255, np.int64), "dtype int64"),
    ("uint16", np.full((8, 8, 3), 65535, np.uint16), "dtype uint16"),
    ("str_dtype", np.full((8, 8, 3), "x"), "dtype <U1"),
    ("nan", np.full((8, 8, 3), np.nan, np.float32), "NaN or infinite"),
    ("inf", np.full((8, 8, 3), np.inf), "NaN or infinite"),
    ("empty_0x0", np.zeros((0, 0), np.uint8), "must not be empty"),
    ("empty_width", np.zeros((8, 0, 3), np.float32), "must not be empty"),
    ("float_0_255", np.full((8, 8, 3), 200.0), "must lie in [0, 1]"),
    ("ragged_list", [[1, 2], [3]], "not an image array"),
    ("none", None, '"image" must have shape'),
    ("float_0_1", np.full((2, 2, 3), 0.5, np.float32), _exact(np.full((2, 2, 3), 128))),
    ("grey_2d", np.array([[0, 9]], np.uint8), _exact(_grey([[0, 9]]))),
    ("rgba_array", RGBA, _exact([[(10, 20, 30)] * 2, [WHITE] * 2])),
]


def _skip_reason(case_id):
    if case_id == "no_read_permission" and RUNNING_AS_ROOT:
        return "running as root: root reads files without read permission"
    return None


@pytest.fixture
def small_limit(monkeypatch):
    monkeypatch.setattr(image_reader, "MAX_IMAGE_PIXELS", SMALL_LIMIT)


def _check(result, expected, case_id):
    if isinstance(expected, str):
        assert isinstance(result, str), f"{case_id}: read, expected a failure"
        assert expected in result, f"{case_id}: {result!r}"
    else:
        assert not isinstance(result, str), f"{case_id}: {result}"
        assert result.dtype == np.uint8 and result.shape[-1] == 3
        expected(result)


@pytest.mark.parametrize(
    "case_id, build, expected", FILE_CASES, ids=[c[0] for c in FILE_CASES]
)
def test_read_input_reports_or_reads_each_bad_file(
    tmp_path, small_limit, case_id, build, expected
):
    if _skip_reason(case_id):
        pytest.skip(_skip_reason(case_id))
    path = build(tmp_path)
    result = read_input(path)
    _check(result, expected, case_id)
    if isinstance(expected, str):
        assert str(path) in result  # the reason names the file


@pytest.mark.parametrize(
    "case_id, array, expected", ARRAY_CASES, ids=[c[0] for c in ARRAY_CASES]
)
def test_read_input_reports_or_reads_each_bad_array(case_id, array, expected):
    _check(read_input(array), expected, case_id)


PILLOW_ERRORS = [
    (PermissionError(13, "Permission denied"), "permission denied"),
    (MemoryError(), "not enough memory"),
    (struct.error("unpack requires a buffer of 4 bytes"), "error: unpack requires"),
    (EOFError("no more data"), "EOFError: no more data"),
    (SyntaxError("broken PNG file"), "SyntaxError: broken PNG file"),
    (KeyError("tag"), "KeyError"),
    (
        Image.DecompressionBombWarning("Image size (100000000 pixels) exceeds ..."),
        "100,000,000 pixels is over Pillow's warning limit",
    ),
]


@pytest.mark.parametrize(
    "error, expected", PILLOW_ERRORS, ids=[type(e).__name__ for e, _ in PILLOW_ERRORS]
)
def test_read_input_reports_whatever_pillow_raises(
    tmp_path, monkeypatch, error, expected
):
    """What Pillow raises on a hostile file, whatever its type, is one failure.

    Also stands in for the unreadable-permission case when running as root.
    """
    path = _write(tmp_path, "x.png", _png_bytes(_gradient()))

    def failing(*args, **kwargs):
        raise error

    monkeypatch.setattr(Image, "open", failing)
    with pytest.raises(image_reader.ImageReadError, match=str(tmp_path)):
        image_reader.read_image(path)
    result = read_input(path)
    assert isinstance(result, str) and expected in result, result


def test_limit_above_pillows_names_pillows_setting(tmp_path):
    path = bomb_header(tmp_path)
    result = read_input(path)  # the default limit
    assert "400,000,000 pixels is over the limit of 178,956,970" in result
    with pytest.raises(image_reader.ImageReadError, match="PIL.Image.MAX_IMAGE_PIX"):
        image_reader.read_image(path, max_pixels=10**9)
    with pytest.raises(ValueError, match='"max_pixels" must be an int >= 1'):
        image_reader.read_image(path, max_pixels=0)


def test_read_input_lets_interrupts_through(monkeypatch):
    def interrupted(item):
        raise KeyboardInterrupt

    monkeypatch.setattr(grouper_inputs, "load_input", interrupted)
    with pytest.raises(KeyboardInterrupt):
        read_input(np.zeros((2, 2, 3), np.uint8))


def test_folder_walk_yields_bad_files_and_survives_link_cycles(tmp_path):
    broken_symlink(tmp_path)
    symlink_loop(tmp_path)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "up").symlink_to(tmp_path)  # a cycle of folders
    empty_file(tmp_path / "sub")
    names = sorted(Path(source).name for source, _ in iter_inputs(tmp_path))
    assert names == ["empty.png", "gone.jpg", "loop.jpg"]


def test_one_grouper_run_over_the_whole_battery(tmp_path, small_limit):
    """Every bad item is one reported failure; everything else is grouped."""
    swatches = kp.datasets.make_pattern_patches(2, (64, 64))["images"]
    good = []
    for i, swatch in enumerate(swatches):
        good.append(tmp_path / f"good_{i}.png")
        Image.fromarray(swatch).save(good[-1])
    items, failures, readable = list(good), {}, set(map(str, good))
    for case_id, build, expected in FILE_CASES:
        if _skip_reason(case_id):
            continue
        (tmp_path / case_id).mkdir()
        path = build(tmp_path / case_id)
        items.append(path)
        if isinstance(expected, str):
            failures[str(path)] = expected
        else:
            readable.add(str(path))
    for _, array, expected in ARRAY_CASES:
        source = f"#{len(items)}"
        items.append(array)
        if isinstance(expected, str):
            failures[source] = expected
        else:
            readable.add(source)
    grouper = kp.PatternGrouper.from_preset(
        "patterns_synthetic",
        clusterer=kp.clustering.KMeans(2, metric="cosine", random_state=0),
        progress=False,
    )
    result = grouper.fit_group(items)
    reported = dict(result.failures)
    assert set(reported) == set(failures)
    for source, expected in failures.items():
        assert expected in reported[source], (source, reported[source])
    grouped = {item.source for item in result.items if item.ok}
    assert grouped == readable
    assert {result.items[i].group for i in range(len(good))} <= {0, 1}
