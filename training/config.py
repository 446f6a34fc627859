"""Training settings. The defaults are the paper's recipe for real FairFace."""
from __future__ import annotations

import dataclasses
from pathlib import Path

from models.labels import ATTRIBUTES
from training.pipeline import Augmentation

RECIPES = ("finetune", "frozen-features")
CACHES = ("file", "memory", "none")


@dataclasses.dataclass
class TrainConfig:
    task: str
    data: Path
    out: Path
    biased: bool = False
    epochs: int = 100  # the paper gives no cap; early stopping ends it
    backbone: str = "resnet50"
    weights: str | None = "auto"  # auto: ImageNet for Keras backbones, none for small_cnn
    input_size: int = 224
    frozen_layers: int | str | None = None  # None: the paper's 14 (0 for small_cnn)
    dropout: float = 0.5
    batch_size: int = 128  # global: split across replicas
    learning_rate: float = 0.008
    lr_factor: float = 0.5
    lr_patience: int = 10
    stop_patience: int = 30
    augment: Augmentation = dataclasses.field(default_factory=Augmentation)
    recipe: str = "finetune"
    strategy: str = "auto"
    cache: str = "file"
    padding: float | str = "auto"
    seed: int = 0
    subset_seed: int = 0

    def __post_init__(self):
        self.data, self.out = Path(self.data), Path(self.out)
        if self.task not in ATTRIBUTES:
            raise ValueError(f"task must be one of {ATTRIBUTES}, got {self.task!r}")
        if self.biased and self.task != "race":
            raise ValueError("the census-biased subset skews race; use --biased only with --task race")
        if self.recipe not in RECIPES:
            raise ValueError(f"recipe must be one of {RECIPES}, got {self.recipe!r}")
        if self.cache not in CACHES:
            raise ValueError(f"cache must be one of {CACHES}, got {self.cache!r}")
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError("epochs and batch_size must be positive")

    @property
    def resolved_weights(self) -> str | None:
        if self.weights == "auto":
            return None if self.backbone == "small_cnn" else "imagenet"
        return self.weights

    def hyperparameters(self) -> dict:
        """What the model card records (JSON-able)."""
        out = dataclasses.asdict(self)
        for key in ("data", "out", "task", "biased"):
            out.pop(key)
        out["weights"] = self.resolved_weights
        out["optimizer"] = "Nadam"
        out["loss"] = "categorical_crossentropy"
        return out
