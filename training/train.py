"""Train one FairFace model with the paper's recipe.

    python -m training.train --task race|gender|age|all [--biased] --data DIR --out DIR
        [--epochs N] [--backbone resnet50|mobilenet_v2|efficientnet_b0|small_cnn]
        [--recipe finetune|frozen-features] [--strategy auto|default|mirrored|multiworker]

Writes <out>/<name>.keras and its card <out>/<name>.json, the CSV log, accuracy
and loss curves, and (for --biased) the subset manifest. Killed runs resume
from the last finished epoch when started again with the same --out.
"""
from __future__ import annotations

import argparse
import dataclasses
import shutil
from pathlib import Path

import keras
import numpy as np

from models.cards import InputContract, ModelCard
from models.labels import FAIRFACE
from training.architecture import BACKBONE_PREPROCESSING, build_model
from training.config import TrainConfig
from training.curves import plot_curves
from training.distribute import choose_strategy, is_chief
from training.fairface import FairFaceSplit, crop_fraction, read_split
from training.features import fit_head_on_features
from training.pipeline import Augmentation, make_dataset
from training.resume import ResumableBackup
from training.subset import biased_subset, write_manifest


@dataclasses.dataclass
class TrainResult:
    name: str
    model_path: Path
    card: ModelCard
    log: Path
    resumed_from: int  # epochs already done before this run (0: fresh start)
    epochs_run: int


def model_name(config: TrainConfig, synthetic: bool) -> str:
    return f"{'synthetic' if synthetic else 'fairface'}_{config.task}{'_biased' if config.biased else ''}"


def load_splits(config: TrainConfig) -> tuple[FairFaceSplit, FairFaceSplit]:
    """Train split (the census-biased manifest with --biased) and FairFace's val split."""
    train = read_split(config.data, "train", padding=config.padding)
    if config.biased:
        name = model_name(config, train.synthetic)
        subset = biased_subset(train.table, seed=config.subset_seed)
        manifest = write_manifest(subset, config.out / f"{name}_manifest.csv")
        train = read_split(config.data, "train", csv=manifest, padding=train.padding)
    return train, read_split(config.data, "val", padding=train.padding)


def datasets(config: TrainConfig, train: FairFaceSplit, val: FairFaceSplit):
    common = dict(
        image_size=config.input_size,
        preprocessing=BACKBONE_PREPROCESSING[config.backbone],
        crop=crop_fraction(train.padding),  # 1.25 release -> the 0.25 framing
        batch_size=config.batch_size,
        seed=config.seed,
    )
    # Cached features are computed once, so that recipe cannot augment.
    augment = config.augment if config.recipe == "finetune" else Augmentation.none()
    train_ds = make_dataset(train.paths(), train.labels(config.task), len(FAIRFACE[config.task]),
                            augment=augment, shuffle=True, cache=_cache_path(config, "train", train), **common)
    val_ds = make_dataset(val.paths(), val.labels(config.task), len(FAIRFACE[config.task]),
                          cache=_cache_path(config, "val", val), **common)
    return train_ds, val_ds


def _cache_path(config: TrainConfig, split_name: str, split: FairFaceSplit):
    if config.cache == "none":
        return None
    if config.cache == "memory":
        return "memory"
    # Keyed by the CSV's hash and the size: another data folder never reads stale chips.
    prefix = config.out / "cache" / f"{split_name}_{split.sha256[:16]}_{config.input_size}"
    # A run killed while filling the cache leaves a lock that would stop the resumed run.
    for lock in prefix.parent.glob(f"{prefix.name}*.lockfile"):
        lock.unlink()
    return prefix


def build_compiled(config: TrainConfig, num_classes: int, strategy) -> keras.Model:
    frozen = "all" if config.recipe == "frozen-features" else config.frozen_layers
    with strategy.scope():
        model = build_model(num_classes, backbone=config.backbone, weights=config.resolved_weights,
                            input_size=config.input_size, frozen_layers=frozen, dropout=config.dropout)
        compile_for_training(model, config)
    return model


def compile_for_training(model: keras.Model, config: TrainConfig) -> None:
    model.compile(optimizer=keras.optimizers.Nadam(learning_rate=config.learning_rate),
                  loss="categorical_crossentropy", metrics=["accuracy"])


def callbacks(config: TrainConfig, name: str, log: Path, out: Path) -> tuple[list, ResumableBackup]:
    reduce = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=config.lr_factor,
                                               patience=config.lr_patience, verbose=1)
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=config.stop_patience,
                                         restore_best_weights=True, verbose=1)
    logger = keras.callbacks.CSVLogger(str(log), append=True)
    backup = ResumableBackup(out / "checkpoints" / name, {"reduce_lr": reduce, "early_stopping": stop}, log)
    return [reduce, stop, logger, backup], backup


def validation_metrics(model: keras.Model, val_ds, labels: np.ndarray, class_names) -> dict:
    probs = model.predict(val_ds, verbose=0)
    predicted = probs.argmax(1)
    eps = 1e-7
    loss = float(-np.mean(np.log(np.clip(probs[np.arange(len(labels)), labels], eps, 1.0))))
    per_class = {c: float(np.mean(predicted[labels == i] == i)) if np.any(labels == i) else None
                 for i, c in enumerate(class_names)}
    return {"val_accuracy": float(np.mean(predicted == labels)), "val_loss": loss,
            "per_class_accuracy": per_class, "val_images": int(len(labels))}


def make_card(config: TrainConfig, name: str, train: FairFaceSplit, metrics: dict) -> ModelCard:
    labels = FAIRFACE[config.task]
    data = train.training_data + (", census-biased subset" if config.biased else "")
    recipe = ("the paper's recipe (fine-tuned, first layers frozen)" if config.recipe == "finetune"
              else "fast CPU recipe: frozen backbone, head trained on cached features (not the paper's)")
    return ModelCard(
        name=name,
        attribute=config.task,
        labels=labels,
        input=InputContract(size=config.input_size, padding=0.25,
                            preprocessing=BACKBONE_PREPROCESSING[config.backbone]),
        training_data=data,
        label_space=f"FairFace {config.task} ({len(labels)})",
        metrics=metrics,
        license="CC BY 4.0 (FairFace data)" if not train.synthetic else "MIT (generated data)",
        source="python -m training.train",
        description=f"{config.backbone} classifier, {recipe}. Validation: FairFace's balanced val split.",
        synthetic=train.synthetic,
        extra={
            "biased": config.biased,
            "manifest": str(train.csv_path),
            "manifest_sha256": train.sha256,
            "train_images": len(train),
            "train_class_counts": train.table[config.task].value_counts().reindex(labels, fill_value=0).to_dict(),
            "source_padding": train.padding,
            "hyperparameters": config.hyperparameters(),
        },
    )


def train(config: TrainConfig, extra_callbacks=(), strategy=None) -> TrainResult:
    """Train, save model + card + log + curves; resume if a backup exists."""
    strategy = strategy or choose_strategy(config.strategy)
    config.out.mkdir(parents=True, exist_ok=True)
    keras.utils.set_random_seed(config.seed)
    train_split, val_split = load_splits(config)
    name = model_name(config, train_split.synthetic)
    out = config.out if is_chief() else config.out / "non_chief"
    out.mkdir(parents=True, exist_ok=True)
    log = out / f"{name}_log.csv"
    train_ds, val_ds = datasets(config, train_split, val_split)
    model = build_compiled(config, len(FAIRFACE[config.task]), strategy)
    cbs, backup = callbacks(config, name, log, out)
    if config.recipe == "frozen-features":
        history = fit_head_on_features(model, config, train_ds, val_ds, cbs + list(extra_callbacks), strategy,
                                       compile_for_training)
        # The full model's own optimizer never ran; building it saves a file that
        # loads without Keras warning about missing optimizer variables.
        with strategy.scope():
            model.optimizer.build(model.trainable_variables)
    else:
        # The dataset shuffles itself; fit's own shuffle does not apply to datasets.
        history = model.fit(train_ds, validation_data=val_ds, epochs=config.epochs, shuffle=False,
                            callbacks=cbs + list(extra_callbacks), verbose=2)
    metrics = validation_metrics(model, val_ds, val_split.labels(config.task), FAIRFACE[config.task])
    metrics["epochs_run"] = backup.resumed_from + len(history.history.get("loss", []))
    return _save(model, make_card(config, name, train_split, metrics), out, log, backup.resumed_from, metrics)


def _save(model, card, out: Path, log: Path, resumed_from: int, metrics) -> TrainResult:
    model_path = publish(model, card, out)
    plot_curves(log, out / card.name, card.name)
    return TrainResult(card.name, model_path, card, log, resumed_from, metrics["epochs_run"])


PARTIAL_DIR = ".partial"  # files being written; nothing in it is a model the registry lists


def publish(model, card: ModelCard, out: Path) -> Path:
    """Save <out>/<name>.keras and its card so that a kill at any moment leaves either
    the previous pair or the new one: both are written under out/.partial first, then
    renamed into place (atomic on one file system), the card before the model, since
    the registry lists a model by its .keras file and reads the card beside it."""
    partial = out / PARTIAL_DIR
    partial.mkdir(parents=True, exist_ok=True)
    staged_model, staged_card = partial / f"{card.name}.keras", partial / f"{card.name}.json"
    model.save(staged_model)
    card.save(staged_card)
    model_path = out / f"{card.name}.keras"
    staged_card.replace(model_path.with_suffix(".json"))
    staged_model.replace(model_path)
    return model_path


def config_from_args(args, task: str, biased: bool) -> TrainConfig:
    augment = Augmentation(rotation=args.rotation, horizontal_flip=not args.no_hflip, vertical_flip=not args.no_vflip)
    frozen = args.frozen_layers if args.frozen_layers in (None, "all") else int(args.frozen_layers)
    return TrainConfig(
        task=task, data=args.data, out=args.out, biased=biased, epochs=args.epochs, backbone=args.backbone,
        weights=args.weights, input_size=args.input_size, frozen_layers=frozen, batch_size=args.batch_size,
        learning_rate=args.lr, augment=augment, recipe=args.recipe, strategy=args.strategy, cache=args.cache,
        padding=args.padding, seed=args.seed, subset_seed=args.subset_seed,
    )


ALL_MODELS = (("race", False), ("race", True), ("gender", False), ("age", False))


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m training.train", description=__doc__.split("\n\n")[0])
    p.add_argument("--task", required=True, choices=["race", "gender", "age", "all"],
                   help="all: the four models (race, race --biased, gender, age)")
    p.add_argument("--biased", action="store_true", help="train on the census-biased subset (race only)")
    p.add_argument("--data", required=True, help="FairFace folder (CSV files + train/ val/)")
    p.add_argument("--out", required=True, help="folder for models, cards, logs, curves")
    p.add_argument("--epochs", type=int, default=100)
    p.add_argument("--backbone", default="resnet50", choices=sorted(BACKBONE_PREPROCESSING))
    p.add_argument("--weights", default="auto",
                   help="auto (ImageNet; none for small_cnn), imagenet, none, or a .h5 path")
    p.add_argument("--input-size", type=int, default=224)
    p.add_argument("--frozen-layers", default=None, help="default: the paper's 14; 'all' or a number")
    p.add_argument("--batch-size", type=int, default=128, help="global batch (default: the paper's 128)")
    p.add_argument("--lr", type=float, default=0.008)
    p.add_argument("--rotation", type=float, default=0.05, help="random rotation, fraction of a turn (0 = off)")
    p.add_argument("--no-hflip", action="store_true")
    p.add_argument("--no-vflip", action="store_true")
    p.add_argument("--recipe", default="finetune", choices=["finetune", "frozen-features"],
                   help="frozen-features: a different, fast CPU recipe (backbone frozen, features cached)")
    p.add_argument("--strategy", default="auto", choices=["auto", "default", "mirrored", "multiworker"])
    p.add_argument("--cache", default="file", choices=["file", "memory", "none"])
    p.add_argument("--padding", default="auto", help="FairFace release: 0.25, 1.25 or auto (from the image size)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--subset-seed", type=int, default=0)
    return p


def main(argv=None) -> list[TrainResult]:
    cli = parser()
    args = cli.parse_args(argv)
    if args.weights == "none":
        args.weights = None
    jobs = ALL_MODELS if args.task == "all" else ((args.task, args.biased),)
    try:
        strategy = choose_strategy(args.strategy)  # once: TensorFlow allows one multi-worker strategy
        # The models of --task all share the cached chips of the same split.
        results = [_train_and_report(config_from_args(args, task, biased), strategy) for task, biased in jobs]
    except ValueError as err:  # every error of ours (FairFaceError, ArchitectureError, ...) is one
        cli.exit(2, f"error: {err}\n")
    shutil.rmtree(Path(args.out) / "cache", ignore_errors=True)
    return results


def _train_and_report(config: TrainConfig, strategy) -> TrainResult:
    result = train(config, strategy=strategy)
    print(f"{result.name}: val accuracy {result.card.metrics['val_accuracy']:.3f} -> {result.model_path}")
    return result


if __name__ == "__main__":
    main()
