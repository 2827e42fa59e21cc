"""SiameseModel: trains an embedder with a triplet loss through `fit()`."""

from collections.abc import Callable
from collections.abc import Sequence
from typing import Any

import keras
from keras import ops

from keras_patterns.embedding.retrieval_metrics import RecallAtK
from keras_patterns.embedding.retrieval_metrics import TripletStatistic
from keras_patterns.embedding.triplet_losses import TripletLoss
from keras_patterns.embedding.triplet_losses import TripletSemiHardLoss
from keras_patterns.utils.serialization import RestoresCompile
from keras_patterns.utils.typing import Tensor


@keras.saving.register_keras_serializable(package="keras_patterns")
class SiameseModel(RestoresCompile, keras.Model):
    """Trains a `PatternEmbedder` (or any embedding model) with triplet losses.

    Two ways to feed it, both through `compile()` / `fit()` on every
    backend:

    - **labelled batches** `(images, labels)`, best from a P x K sampler
      (`keras_patterns.datasets.triplet_dataset`): the loss mines triplets
      inside each batch (`TripletSemiHardLoss` by default);
    - **explicit triplets** `x = (anchors, positives, negatives)` with no
      labels: the model outputs `(B, 3, D)` and `TripletLoss` applies.

    Besides the loss, training logs the mean positive and negative distances
    and the share of active triplets, plus in-batch Recall@1 for labelled
    batches. A collapse (every input mapped to one point) shows as both
    distances near 0 and the loss stuck at the margin: lower the learning
    rate, use P x K batches with several labels, check the labels, or switch
    from `TripletHardLoss` to semi-hard mining.

    Args:
        embedder: the model mapping images to embeddings.
        **kwargs: standard `keras.Model` arguments.

    Example:

    >>> import keras_patterns as kp
    >>> embedder = kp.models.PatternEmbedder("texture_cnn", embedding_dim=16)
    >>> siamese = kp.models.SiameseModel(embedder)
    >>> siamese.compile()
    """

    def __init__(self, embedder: keras.Model, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.embedder = embedder

    def call(
        self,
        inputs: Tensor | tuple[Tensor, Tensor, Tensor] | list[Tensor],
        training: bool = False,
    ) -> Tensor:
        if isinstance(inputs, (list, tuple)):
            if len(inputs) != 3:
                raise ValueError(
                    "Explicit triplets are (anchors, positives, negatives). "
                    f"Received {len(inputs)} inputs"
                )
            vectors = [self.embedder(x, training=training) for x in inputs]
            return ops.stack(vectors, axis=1)
        return self.embedder(inputs, training=training)

    def compile(
        self,
        optimizer: str | keras.optimizers.Optimizer = "auto",
        loss: str | keras.losses.Loss | Callable[..., Tensor] | None = "auto",
        metrics: str | Sequence[str | keras.metrics.Metric] | None = "auto",
        triplets: bool = False,
        margin: float | None = None,
        **kwargs: Any,
    ) -> None:
        """Configures training.

        Args:
            optimizer: `"auto"` is Adam(1e-3).
            loss: `"auto"` is `TripletSemiHardLoss` (labelled batches) or
                `TripletLoss` (`triplets=True`), with `margin`.
            metrics: `"auto"`: positive and negative distances, active
                triplets, and Recall@1 for labelled batches.
            triplets: whether `fit` will receive explicit triplets.
            margin: margin of the automatic loss; 0.2 suits unit-norm
                embeddings with squared distances (which range over [0, 4]).
            **kwargs: other `keras.Model.compile` arguments.
        """
        margin = 0.2 if margin is None else margin
        if optimizer == "auto":
            optimizer = keras.optimizers.Adam(1e-3)
        if loss == "auto":
            loss = TripletLoss(margin) if triplets else TripletSemiHardLoss(margin)
        if metrics == "auto":
            margin = getattr(loss, "margin", margin)
            distance = getattr(loss, "distance", "squared_l2")
            metrics = [
                TripletStatistic(name, margin=margin, distance=distance)
                for name in (
                    "positive_distance",
                    "negative_distance",
                    "active_triplets",
                )
            ]
            if not triplets:
                metrics.append(RecallAtK(1, distance=distance))
        super().compile(optimizer=optimizer, loss=loss, metrics=metrics, **kwargs)

    def _labels(self, x, y):
        """Explicit triplets come without labels: give the losses a placeholder."""
        if y is None:
            first = x[0] if isinstance(x, (list, tuple)) else x
            return ops.zeros((ops.shape(first)[0],), dtype="int32")
        return y

    def compute_loss(
        self,
        x: Tensor | tuple[Tensor, Tensor, Tensor] | list[Tensor] | None = None,
        y: Tensor | None = None,
        y_pred: Tensor | None = None,
        sample_weight: Tensor | None = None,
        training: bool = True,
    ) -> Tensor:
        return super().compute_loss(
            x, self._labels(x, y), y_pred, sample_weight, training
        )

    def compute_metrics(
        self,
        x: Tensor | tuple[Tensor, Tensor, Tensor] | list[Tensor],
        y: Tensor | None,
        y_pred: Tensor,
        sample_weight: Tensor | None = None,
    ) -> dict[str, Any]:
        return super().compute_metrics(x, self._labels(x, y), y_pred, sample_weight)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"embedder": keras.saving.serialize_keras_object(self.embedder)})
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "SiameseModel":
        config = dict(config)
        config["embedder"] = keras.saving.deserialize_keras_object(config["embedder"])
        return cls(**config)
