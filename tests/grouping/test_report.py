"""`GroupingResult.to_html`: the page, its thumbnails, what a browser makes of it."""

import html.parser
import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote
from urllib.parse import urlsplit

import numpy as np
import pytest
from PIL import Image

import keras_patterns as kp
from keras_patterns import GroupingResult
from keras_patterns.grouping import GroupedItem
from keras_patterns.grouping import report
from keras_patterns.grouping.report import centre_distances

# Spaces, URL and HTML specials, non-ASCII: every one must survive as a
# caption and never break a thumbnail's path.
NAMES = [
    "dots one.png",
    "check #2.png",
    "stripes & co.png",
    "<b>bold 4.png",
    "été ☀ 5.png",
    "100% cotton?.png",
    'it\'s "6".png',
    "plain 8.png",
    "plain 9.png",
]
FOLDER = "report été #1 & <x>"


class OracleSegmenter:
    """Returns the true 9-class mask of known photos (as in test_grouper)."""

    num_classes = 9

    def __init__(self, images, masks):
        self.table = {
            image.tobytes(): kp.datasets.remap_classes(mask)
            for image, mask in zip(images, masks, strict=True)
        }

    def predict_labels(self, images, batch_size=8):
        blank = np.zeros(np.shape(images[0])[:2], np.uint8)
        return [self.table.get(np.asarray(i).tobytes(), blank) for i in images]


@pytest.fixture(scope="module")
def grouped(tmp_path_factory):
    """A grouping of photos with awkward names, one broken file, one blank photo."""
    root = tmp_path_factory.mktemp("catalogue")
    data = kp.datasets.make_pattern_garments(
        len(NAMES), (192, 144), seed=3, families=["polka_dots", "plaid", "chevron"]
    )
    files = []
    for name, image in zip(NAMES, data["images"], strict=True):
        files.append(root / name)
        Image.fromarray(image).save(files[-1])  # lossless: the oracle finds it
    files.append(root / "broken <1>.jpg")
    files[-1].write_bytes(b"\xff\xd8\xff\xe0 not a jpeg")
    files.append(root / "blank.png")
    Image.fromarray(np.full((192, 144, 3), 240, np.uint8)).save(files[-1])
    grouper = kp.PatternGrouper(
        OracleSegmenter(data["images"], data["masks"]),
        embedder=kp.models.PatternEmbedder("texture_cnn", embedding_dim=8),
        clusterer=kp.clustering.KMeans(3, metric="cosine", random_state=0),
        flip_views=False,
        patches_per_item=1,
        progress=False,
    )
    return grouper.fit_group(files)


class PageParser(html.parser.HTMLParser):
    """Collects what the tests check: groups and their tiles, images, links, text."""

    def __init__(self):
        super().__init__()
        self.groups, self.images, self.links, self.names = {}, [], [], []
        self.section, self.text, self.name = None, {}, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section":
            self.section = attrs.get("data-group", attrs.get("id"))
            self.groups[self.section] = []
        elif tag == "figure":
            self.groups[self.section].append(int(attrs["data-index"]))
        elif tag in ("img", "script", "link", "iframe"):
            self.images.append(attrs.get("src"))
        elif tag == "a":
            self.links.append(attrs.get("href"))
        elif (
            tag == "span"
            and attrs.get("class") == "name"
            and self.groups.get(self.section)
        ):
            self.name = ""  # a tile's caption: its file name

    def handle_endtag(self, tag):
        if tag == "span" and self.name is not None:
            self.names.append(self.name)
            self.name = None

    def handle_data(self, data):
        self.text[self.section] = self.text.get(self.section, "") + data
        if self.name is not None:
            self.name += data


def parse(page):
    parser = PageParser()
    parser.feed(Path(page).read_text(encoding="utf-8"))
    return parser


def assert_nearest_first(result, group, shown):
    """Brute force: `shown` are the group's inputs nearest its centroid,
    nearest first (|embedding - centroid|; members at the same distance, as
    the two of a two-member group are, in either order)."""
    centre = result.centroids[group]
    members = [item for item in result.items if item.ok and item.group == group]
    distance = {
        i.index: float(np.sqrt(np.sum((i.embedding - centre) ** 2))) for i in members
    }
    assert set(shown) <= set(distance) and len(set(shown)) == len(shown)
    near = [distance[i] for i in shown]
    assert all(a <= b + 1e-5 for a, b in zip(near, near[1:], strict=False))
    hidden = [d for i, d in distance.items() if i not in shown]
    assert not hidden or max(near) <= min(hidden) + 1e-5


# === The page, read without a browser ===


def test_page_lists_each_group_by_distance_with_its_thumbnails(grouped, tmp_path):
    page = grouped.to_html(tmp_path / FOLDER)
    assert page == tmp_path / FOLDER / "report.html"
    parsed = parse(page)
    groups = {g: order for g, order in parsed.groups.items() if g.isdigit()}
    assert len(groups) == len(set(grouped.assignments[grouped.assignments >= 0]))
    for group, order in groups.items():
        assert len(order) == np.sum(grouped.assignments == int(group))
        assert_nearest_first(grouped, int(group), order)
        size = int(np.sum(grouped.assignments == int(group)))
        assert f"{size} member" in parsed.text[group]
    # Every image is a relative, quoted path to a file beside the page.
    assert len(parsed.images) == 2 * 9  # photo and patch of each grouped input
    for src in parsed.images:
        assert not urlsplit(src).scheme and not src.startswith("/")
        assert src == src.replace(" ", "%20")
        assert (page.parent / unquote(src)).is_file(), src
    assert all(link.startswith("#") for link in parsed.links)  # nothing external
    # Captions give the file names back, escaped in the source.
    assert sorted(parsed.names) == sorted(NAMES)
    raw = page.read_text(encoding="utf-8")
    assert "<b>bold" not in raw and "&lt;b&gt;bold 4.png" in raw
    # The failures, with their reasons; the summary's counts.
    failures = parsed.text["failures"]
    assert "broken <1>.jpg" in failures and "unreadable image" in failures
    assert "blank.png" in failures and "no garment patch" in failures
    summary = re.sub(r"\s+", " ", parsed.text["summary"])
    for label, count in [("Inputs", 11), ("Grouped", 9), ("Failed", 2)]:
        assert f"{label}{count}" in summary.replace(" ", "")
    assert "embed" in summary and "cluster" in summary  # the stage timings


def test_members_shown_per_group_are_capped(grouped, tmp_path):
    parsed = parse(grouped.to_html(tmp_path, per_group=2))
    for group, order in parsed.groups.items():
        if not group.isdigit():
            continue
        size = int(np.sum(grouped.assignments == int(group)))
        assert len(order) == min(size, 2)
        assert_nearest_first(grouped, int(group), order)
        more = f"and {size - 2} more"
        assert (more in parsed.text[group]) == (size > 2)


def test_a_second_report_reuses_the_thumbnails(grouped, tmp_path, monkeypatch):
    page = grouped.to_html(tmp_path)
    thumbs = sorted((tmp_path / "thumbs").iterdir())
    before = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in thumbs}
    page_before = page.stat().st_ino
    cuts = []
    original = report.member_tiles
    monkeypatch.setattr(report, "member_tiles", lambda i: cuts.append(i) or original(i))
    grouped.to_html(tmp_path)
    assert sorted((tmp_path / "thumbs").iterdir()) == thumbs
    assert {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in thumbs} == before
    assert cuts == []
    assert page.stat().st_ino != page_before  # the page itself is written anew
    # A photo changed on disk since gets a new thumbnail, not the stale one.
    changed = next(item for item in grouped.items if item.ok)
    stamp = os.stat(changed.source).st_mtime_ns + 10**9
    os.utime(changed.source, ns=(stamp, stamp))
    grouped.to_html(tmp_path)
    assert [item.index for item in cuts] == [changed.index]
    assert len(list((tmp_path / "thumbs").iterdir())) == len(thumbs) + 2


def test_patch_inputs_show_the_patch_alone_and_need_no_centroid(tmp_path):
    swatches = [np.full((40, 40, 3), v, np.uint8) for v in (30, 90, 150)]
    vectors = np.array([[1.0, 0.0], [0.6, 0.8], [0.8, 0.6]])
    items = [
        GroupedItem(i, f"#{i}", 0, (0, 0, 40, 40), embedding=v, input=s)
        for i, (s, v) in enumerate(zip(swatches, vectors, strict=True))
    ]
    parsed = parse(GroupingResult(items, np.zeros((0, 2))).to_html(tmp_path))
    # Without centroids, the members' mean (0.8, 0.467) is the centre: the
    # third vector points closest to it, then the second, then the first.
    assert parsed.groups["0"] == [2, 1, 0]
    assert len(parsed.images) == 3
    shown = np.asarray(Image.open(tmp_path / unquote(parsed.images[0])))
    assert shown.shape[:2] == (128, 128)
    assert abs(float(shown.mean()) - 150) < 3  # the third swatch, whole


def test_tiles_past_the_first_screen_load_lazily(tmp_path):
    swatch = np.full((8, 8, 3), 128, np.uint8)
    items = [
        GroupedItem(i, f"#{i}", 0, (0, 0, 8, 8), embedding=np.ones(2), input=swatch)
        for i in range(report.EAGER_TILES + 5)
    ]
    page = GroupingResult(items, np.ones((1, 2))).to_html(tmp_path)
    tags = re.findall(r"<img [^>]*>", page.read_text(encoding="utf-8"))
    lazy = ['loading="lazy"' in tag for tag in tags]
    assert lazy == [False] * report.EAGER_TILES + [True] * 5


def test_a_result_without_groups_still_gets_a_page(tmp_path):
    failed = GroupedItem(0, "lost & found.jpg", error="unreadable image: gone")
    parsed = parse(GroupingResult([failed], np.zeros((0, 2))).to_html(tmp_path))
    assert [g for g in parsed.groups if g.isdigit()] == [] and parsed.images == []
    assert "lost & found.jpg" in parsed.text["failures"]
    assert "unreadable image: gone" in parsed.text["failures"]


def test_centre_distances_are_cosine_distances():
    vectors = np.array([[1.0, 0.0], [0.0, 2.0], [-3.0, 0.0]])
    np.testing.assert_allclose(
        centre_distances(vectors, [1.0, 1.0]),
        [1 - 1 / np.sqrt(2), 1 - 1 / np.sqrt(2), 1 + 1 / np.sqrt(2)],
    )
    with pytest.raises(ValueError, match=r"centre of shape \(3,\)"):
        centre_distances(vectors, [1.0, 1.0, 1.0])


def test_bad_arguments_are_named(grouped, tmp_path):
    with pytest.raises(ValueError, match=r"per_group.*Received: per_group=0"):
        grouped.to_html(tmp_path, per_group=0)
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match=r'"folder" must be a folder'):
        grouped.to_html(tmp_path / "file")


# === In a browser ===

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="headless Chromium is not installed (apt-get install chromium)",
)
# On `load`, every image has loaded or failed: writes how many failed.
PROBE = """<script>
window.addEventListener("load", () => {
  const images = [...document.images];
  const broken = images.filter((image) => image.naturalWidth === 0).length;
  const out = document.createElement("output");
  out.id = "probe";
  out.textContent = `broken=${broken} of=${images.length}`;
  document.body.append(out);
});
</script>"""


def chromium(tmp_path, *args):
    profile = tmp_path / "chromium-profile"
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        "--virtual-time-budget=10000",
        *args,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def screenshot(tmp_path, page):
    png = tmp_path / f"{page.stem}.png"
    chromium(tmp_path, "--window-size=1200,1600", f"--screenshot={png}", page.as_uri())
    return np.asarray(Image.open(png).convert("RGB"))


def count_colours(image):
    packed = image.astype(np.int32) @ np.array([1 << 16, 1 << 8, 1], np.int32)
    return len(np.unique(packed))


def broken_images(tmp_path, page, change=None):
    """Renders a copy of `page` (edited by `change`) with the probe: its counts."""
    # `load` does not wait for lazy images (a large page's far tiles): the
    # copy loads them all.
    text = page.read_text(encoding="utf-8").replace(' loading="lazy"', "")
    probe = page.with_name("_probe.html")
    probe.write_text((change or str)(text).replace("</body>", PROBE + "</body>"))
    dom = chromium(tmp_path, "--dump-dom", probe.as_uri())
    found = re.search(r"broken=(\d+) of=(\d+)", dom)
    assert found, dom[-500:]
    return int(found[1]), int(found[2])


@needs_chromium
def test_the_browser_shows_a_page_that_is_not_blank(grouped, tmp_path):
    page = grouped.to_html(tmp_path / FOLDER)
    empty = tmp_path / FOLDER / "empty.html"
    empty.write_text("<!DOCTYPE html><html><body></body></html>")
    shown, control = screenshot(tmp_path, page), screenshot(tmp_path, empty)
    assert shown.shape == control.shape == (1600, 1200, 3)
    assert control.std() < 1 and count_colours(control) < 4
    colours = count_colours(shown)
    # Text and boxes alone draw under 2,000 colours (the page with every
    # thumbnail missing: 1,595); the photos bring tens of thousands (48,805).
    assert shown.std() > 20 and colours > 5000


@needs_chromium
def test_the_browser_loads_every_image(grouped, tmp_path):
    page = grouped.to_html(tmp_path / FOLDER)
    assert broken_images(tmp_path, page) == (0, 18)
    # Control: the same check sees a thumbnail that is not there.
    first = re.search(r'src="(thumbs/[^"]+)"', page.read_text(encoding="utf-8"))[1]
    missing = broken_images(
        tmp_path, page, lambda text: text.replace(first, "thumbs/missing.jpg", 1)
    )
    assert missing == (1, 18)
