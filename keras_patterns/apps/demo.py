"""The end-to-end demo: the whole method on the embedded synthetic data.

`keras-patterns demo --out OUT` draws a catalogue of synthetic product
photographs (unseen items, every pattern family), starts from the
`garments_synthetic` segmenter preset (or, with `--train-segmenter`,
trains one from scratch) and the `textures_x4` enhancer preset (or, with
`--train-enhancer`, trains one on synthetic fabric), groups the
catalogue with the `patterns_synthetic` embedder preset as it is, then
fine-tunes that preset on other synthetic data (or, with `--from-scratch`,
trains the embedder from random weights), groups the catalogue again, and
writes what a user would look at: `groups.csv`, `groups.json`, contact
sheets, a map of the embeddings by group (`embedding_map.png`), the
training curves of each model trained (`curves/embedder.png`, and
`segmenter.png` and `enhancer.png` when it trains them), `summary.json`
(NMI and ARI against the known pattern families before and after
fine-tuning, each stage's quality and time) and the fitted grouper in
`grouper/` (`PatternGrouper.load`).

One job: running the demo and writing its outputs; the training itself is
in `keras_patterns.apps.recipes`.
"""

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import adjusted_rand_score
from sklearn.metrics import normalized_mutual_info_score

from keras_patterns.apps import recipes
from keras_patterns.apps.recipes import SEGMENT_SIZE
from keras_patterns.apps.validation import real_crop_figures
from keras_patterns.clustering.kmeans import KMeans
from keras_patterns.clustering.plots import embedding_map
from keras_patterns.datasets.synthetic.catalogue import write_synthetic_catalogue
from keras_patterns.datasets.synthetic.patterns import PATTERN_FAMILIES
from keras_patterns.embedding.pattern_embedder import PatternEmbedder
from keras_patterns.enhancement.rrdb_net import RRDBNet
from keras_patterns.enhancement.upscale import upscale_patches
from keras_patterns.grouping.pattern_grouper import PatternGrouper
from keras_patterns.grouping.stages import UPSCALE_BATCHING
from keras_patterns.modeling.labels import GARMENT_CLASSES
from keras_patterns.modeling.labels import NINE_CLASSES
from keras_patterns.segmentation.deeplab_v3_plus import DeepLabV3Plus
from keras_patterns.utils.figures import plot_history
from keras_patterns.utils.io import write_text_atomic
from keras_patterns.utils.presets import preset_metadata
from keras_patterns.utils.presets import resolve_preset
from keras_patterns.utils.typing import PathLike
from keras_patterns.utils.validation import check_choice

# How the demo fine-tunes its embedder preset (see `run_demo`).
FINE_TUNING = ("head", "all", "none")
# The segmenter and enhancer presets the demo starts from (see `run_demo`).
SEGMENTER_PRESET = "garments_synthetic"
ENHANCER_PRESET = "textures_x4"

BUDGETS = {
    "full": {
        "seconds": 870,
        "photos_per_family": 20,
        "seg_steps": 450,
        "seg_scenes": 1500,
        "sr_steps": 20,
        "emb_steps": 4800,
        "emb_items": 2500,
        "emb_rehearse": 1250,
        "emb_size": 48,
    },
    "quick": {
        "seconds": 170,
        "photos_per_family": 3,
        "seg_steps": 60,
        "seg_scenes": 240,
        "sr_steps": 8,
        "emb_steps": 30,
        "emb_items": 480,
        "emb_rehearse": 240,
        "emb_size": 48,
    },
}
# Seconds kept, when the embedder stage starts, for grouping and writing the
# outputs. The embedder has the rest, its learning rate annealed to that
# deadline (`DeadlineCosineDecay`): the grouping improves with every step it
# trains, so the machine trains as many as fit (docs: Measurements, demo).
RESERVE = {"full": 45, "quick": 30}
# The segmenter's share of the time left when it starts. Its step budget
# binds on a quick machine; on a slow one the embedder, which decides the
# grouping, needs the time more: fewer segmenter steps cost the grouping far
# less than as many fewer embedder steps (docs: Measurements, demo).
SEGMENTER_SHARE = 0.3


def _enhancing_seconds(enhancer, photos, patches_per_photo=5, trials=3):
    """An upper estimate of the grouping's time upscaling small patches: a
    timed batch of 32 patches of 40x40 (batched, as `PatternGrouper` runs
    them) scaled to `patches_per_photo` patches of every photo (not every
    patch is small)."""
    patches = [np.zeros((40, 40, 3), np.uint8)] * 32
    upscale_patches(enhancer, patches, **UPSCALE_BATCHING)  # warm-up: tracing
    began = time.perf_counter()
    for _ in range(trials):
        upscale_patches(enhancer, patches, **UPSCALE_BATCHING)
    each = (time.perf_counter() - began) / trials / len(patches)
    return each * photos * patches_per_photo


class _Clock:
    def __init__(self, log, seconds, stages=6):
        self.log, self.times, self.start = log, {}, time.perf_counter()
        self.deadline, self.stages = self.start + seconds, stages

    def left(self, share=1.0, reserve=0.0):
        """Seconds a stage may train: `share` of what is left, less `reserve`."""
        return max(share * (self.deadline - time.perf_counter()) - reserve, 10.0)

    def run(self, name, message, fn, *args, **kwargs):
        self.log(f"[{len(self.times) + 1}/{self.stages}] {message}")
        began = time.perf_counter()
        result = fn(*args, **kwargs)
        self.times[name] = round(time.perf_counter() - began, 1)
        self.log(f"      done in {self.times[name]:.0f} s")
        return result


def run_demo(
    out: PathLike,
    quick: bool = False,
    seed: int = 0,
    progress: bool = True,
    log: Callable[[str], Any] = print,
    embedder_preset: str | None = "patterns_synthetic",
    fine_tune: str = "head",
    validation: PathLike | None = None,
    segmenter_preset: str | None = SEGMENTER_PRESET,
    enhancer_preset: str | None = ENHANCER_PRESET,
) -> dict[str, Any]:
    """Runs the demo into the folder `out`; returns the summary dict.

    Each training stage has a step budget and, so that the demo keeps to
    `BUDGETS[...]["seconds"]` on a slow or busy machine, a share of the
    time left: the segmenter (when it trains one) `SEGMENTER_SHARE` of it,
    the embedder all but a reserve for the stages after it, with its
    learning rate annealed to that deadline. On a quick machine the step
    budgets bind; on a slow one the clock does.

    Args:
        out: the output folder, created if missing.
        quick: the small `BUDGETS["quick"]` settings instead of `"full"`.
        seed: random seed of the catalogue and the training.
        progress: show Keras and grouping progress.
        log: called with each progress message.
        embedder_preset: the embedder preset fine-tuned on the catalogue's
            16 families; `None` trains the embedder from random weights
            (width 16, cheaper per step). The preset groups the demo's
            catalogue a little better and real textures much better
            (docs: Presets).
        fine_tune: how the preset is fine-tuned on the catalogue: `"head"`
            (default) trains its pooling and projection only, so what its
            backbone learnt of real textures stays; `"all"` trains every
            layer; `"none"` groups with the preset as it is. When it
            fine-tunes, the preset's ten texture families are rehearsed
            beside the catalogue's (`BUDGETS[...]["emb_rehearse"]`
            textures), so that it keeps separating them.
        validation: optional real pattern crops (`.npz`, see
            `keras_patterns.apps.validation`): the summary then gives the
            embedder's figures on them before and after fine-tuning.
        segmenter_preset: the segmenter preset the grouper cuts with (its
            classes, merges and input size from its `metadata.json`);
            `None` trains a 9-class segmenter on synthetic scenes instead,
            within `SEGMENTER_SHARE` of the time.
        enhancer_preset: the enhancer preset that upscales small patches
            (kept when it beats bicubic on held-out synthetic fabric);
            `None` trains a small RRDBNet on synthetic fabric instead.

    Returns:
        The summary written to `summary.json`: counts, NMI and ARI against
        the pattern families, each stage's quality and seconds.
    """
    check_choice(fine_tune, FINE_TUNING, "fine_tune")
    out = Path(out)
    mode = "quick" if quick else "full"
    budget = BUDGETS[mode]
    verbose = 2 if progress else 0
    # catalogue, segmenter, enhancer, [preset grouping], [embedder], grouping,
    # outputs
    compares = embedder_preset is not None and fine_tune != "none"
    trains = embedder_preset is None or fine_tune != "none"
    clock = _Clock(log, budget["seconds"], stages=5 + compares + trains)
    files, garments, families = clock.run(
        "catalogue",
        "drawing a catalogue of synthetic product photos",
        write_synthetic_catalogue,
        out / "catalogue",
        budget["photos_per_family"],
        seed + 1000,
    )
    if segmenter_preset is not None:
        card = preset_metadata(resolve_preset(segmenter_preset))
        labels = {
            "label_names": tuple(card["label_names"]),
            "merges": card.get("merges"),
            "segment_size": tuple(card["recipe"]["input_size"]),
        }
        segmenter = clock.run(
            "segmenter",
            f"loading the {segmenter_preset} segmenter preset",
            DeepLabV3Plus.from_preset,
            segmenter_preset,
        )
    else:
        labels = {
            "label_names": NINE_CLASSES,
            "merges": None,
            "segment_size": SEGMENT_SIZE,
        }
        segmenter = clock.run(
            "segmenter",
            "training DeepLabV3+ (MobileNetV2) on synthetic scenes",
            recipes.train_segmenter,
            budget["seg_steps"],
            budget["seg_scenes"],
            SEGMENT_SIZE,
            seed,
            seconds=clock.left(SEGMENTER_SHARE),
            verbose=verbose,
        )
    miou = recipes.segmenter_miou(
        segmenter,
        scenes=30 if quick else 100,
        size=labels["segment_size"],
        label_names=labels["label_names"],
        merges=labels["merges"],
    )
    if enhancer_preset is not None:
        enhancer = clock.run(
            "enhancer",
            f"loading the {enhancer_preset} enhancer preset",
            RRDBNet.from_preset,
            enhancer_preset,
        )
    else:
        enhancer = clock.run(
            "enhancer",
            "training a small RRDBNet (x4, PSNR phase) on fabric patches",
            recipes.train_enhancer,
            budget["sr_steps"],
            300 if quick else 1200,
            seed,
            verbose=verbose,
        )
    sr_db, bicubic_db = recipes.enhancer_psnr(enhancer, patches=8 if quick else 40)
    used = sr_db > bicubic_db
    reserve = RESERVE[mode] + (_enhancing_seconds(enhancer, len(files)) if used else 0)
    preset = PatternEmbedder.from_preset(embedder_preset) if embedder_preset else None

    def grouper_with(embedder):
        return PatternGrouper(
            segmenter,
            enhancer if used else None,
            embedder,
            KMeans(
                len(PATTERN_FAMILIES), metric="cosine", n_init=10, random_state=seed
            ),
            patch_size=budget["emb_size"],
            segment_size=labels["segment_size"],
            label_names=labels["label_names"],
            classes=tuple(
                name for name in GARMENT_CLASSES if name in labels["label_names"]
            ),
            progress=progress,
        )

    before = None
    if compares:
        found = clock.run(
            "preset grouping",
            f"grouping {len(files)} photos with the {embedder_preset} preset as it is",
            grouper_with(preset).fit_group,
            files,
            garments=garments,
        )
        before = _scores(found, families)
    if preset is not None and fine_tune == "none":
        embedder = preset
    else:
        embedder = clock.run(
            "embedder",
            "training the pattern embedder on garment patches the segmenter cuts"
            + (
                " (pooling and projection only)"
                if preset and fine_tune == "head"
                else ""
            ),
            recipes.train_embedder,
            budget["emb_steps"],
            budget["emb_items"],
            budget["emb_size"],
            seed=seed,
            source="garments",
            segmenter=segmenter,
            label_names=labels["label_names"],
            merges=labels["merges"],
            segment_size=labels["segment_size"],
            seconds=clock.left(reserve=reserve),
            verbose=verbose,
            initial=preset,
            train_backbone=preset is None or fine_tune == "all",
            rehearse=budget["emb_rehearse"] if preset is not None else 0,
        )
    real_crops = None
    if validation is not None:
        real_crops = {
            "before": (
                real_crop_figures(preset, validation, budget["emb_size"])
                if preset is not None
                else None
            ),
            "after": real_crop_figures(embedder, validation, budget["emb_size"]),
        }
    _write_curves(
        out, {"segmenter": segmenter, "enhancer": enhancer, "embedder": embedder}
    )
    grouper = grouper_with(embedder)
    result = clock.run(
        "grouping",
        f"grouping {len(files)} photos",
        grouper.fit_group,
        files,
        garments=garments,
    )
    return _report(
        out,
        result,
        grouper,
        families,
        clock,
        {
            "segmenter_preset": segmenter_preset,
            "segmenter_mean_iou": round(miou, 3),
            "enhancer_preset": enhancer_preset,
            "enhancer_psnr_db": round(sr_db, 2),
            "bicubic_psnr_db": round(bicubic_db, 2),
            "enhancer_used": bool(used),
            "embedder_preset": embedder_preset,
            "fine_tune": fine_tune if preset is not None else "from scratch",
            **({"before_fine_tuning": before} if before else {}),
            **({"real_crops": real_crops} if real_crops else {}),
        },
        log,
    )


def _scores(result, families):
    """NMI and ARI of a grouping against the pattern families (grouped
    photos only)."""
    ok = result.assignments >= 0
    truth, found = np.asarray(families)[ok], result.assignments[ok]
    return {
        "nmi": round(float(normalized_mutual_info_score(truth, found)), 3),
        "ari": round(float(adjusted_rand_score(truth, found)), 3),
    }


def _report(out, result, grouper, families, clock, stages, log):
    ok = result.assignments >= 0
    summary = {
        "photos": len(result),
        "grouped": int(ok.sum()),
        "failed": len(result.failures),
        "groups": len(result.groups),
        "pattern_families": len(PATTERN_FAMILIES),
        **_scores(result, families),
        "enhanced_patches": int(sum(item.enhanced for item in result.items)),
        **stages,
        "seconds": clock.times,
    }
    clock.run(
        "outputs",
        "writing groups.csv, groups.json, contact sheets, grouper/",
        _write_outputs,
        out,
        result,
        grouper,
        summary,
    )
    summary["seconds"]["total"] = round(time.perf_counter() - clock.start, 1)
    write_text_atomic(out / "summary.json", json.dumps(summary, indent=1))
    log(
        f"NMI {summary['nmi']:.3f}, ARI {summary['ari']:.3f} against the "
        f"{len(PATTERN_FAMILIES)} pattern families; {summary['grouped']} grouped, "
        f"{summary['failed']} failed; {summary['seconds']['total']:.0f} s in all"
    )
    if "before_fine_tuning" in summary:
        before = summary["before_fine_tuning"]
        log(
            f"with the embedder preset as it is (before fine-tuning): NMI "
            f"{before['nmi']:.3f}, ARI {before['ari']:.3f}"
        )
    if "real_crops" in summary:
        log(_real_crops_line(summary["real_crops"]))
    log(
        f"results in {out}: report.html (open it in a browser), summary.json, "
        "groups.csv, groups.json, contact_sheet.png, contact_sheets/, "
        "embedding_map.png, curves/, grouper/"
    )
    return summary


def _real_crops_line(figures):
    """The real-crop figures before and after fine-tuning, in a sentence."""

    def cell(found):
        if found is None:
            return "-"
        recall = found["recall_at_1"]
        recall = "-" if recall is None else f"{recall:.3f}"
        return f"NMI {found['nmi']:.3f}, R@1 across sources {recall}"

    after = figures["after"]["report"]
    if figures["before"] is None:
        return f"real crops (report half): {cell(after)} (trained from scratch)"
    before = figures["before"]["report"]
    return (
        f"real crops (report half): preset {cell(before)}; after fine-tuning "
        f"{cell(after)}"
    )


def _write_curves(out, models):
    """`curves/NAME.png`: loss and metrics per epoch of each model trained."""
    for name, model in models.items():
        history = getattr(model, "history", None)
        if history is not None and history.history:
            path = out / "curves" / f"{name}.png"
            plot_history(history, path, title=f"{name}: loss and metrics per epoch")


def _write_embedding_map(out, result):
    """`embedding_map.png`: the grouped inputs' embeddings, by group (PCA)."""
    grouped = result.assignments[result.assignments >= 0]
    if len(grouped) >= 2:
        embedding_map(result.embeddings, grouped, out / "embedding_map.png")


def _write_outputs(out, result, grouper, summary):
    result.to_csv(out / "groups.csv")
    result.to_json(out / "groups.json")
    result.contact_sheet(out / "contact_sheet.png", per_group=6)
    result.contact_sheet(out / "contact_sheets", per_group=12)
    _write_embedding_map(out, result)
    result.to_html(out, title="keras-patterns demo: groups by pattern")
    grouper.save(out / "grouper")
