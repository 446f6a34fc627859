"""What the training tests share besides fixtures (conftest.py). Not a test module:
test modules import from it, never from one another or from a conftest."""

# Small-CPU settings: small_cnn at 48 px, no augmentation, 4 epochs. The paper's
# recipe is unchanged otherwise (Nadam, categorical cross-entropy, callbacks).
FAST_ARGS = ["--backbone", "small_cnn", "--input-size", "48", "--batch-size", "32", "--lr", "0.004",
             "--rotation", "0", "--no-hflip", "--no-vflip", "--cache", "memory"]
