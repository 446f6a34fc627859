"""Integrated Gradients' defaults, defined once for xai, vqa, the app, the CLIs and training.

IG_BASELINE is "blur" by measurement (`python -m benchmarks.vqa --baselines`,
docs/notes/ig-baseline.md): a black photo cannot credit pixels that are
already dark, so on darker skin it hides much of the face; a blurred copy of
the photo keeps its colours and removes only the detail.
"""
IG_TOLERANCE = 0.01  # adaptive IG stops at |sum(attr) - (F(x) - F(x'))| <= 1% of |F(x) - F(x')|
IG_MAX_STEPS = 256  # adaptive IG's budget of gradient evaluations per image
IG_STEPS = 32  # the fixed-step quadratures' default m (the paper's Riemann sum)
IG_BATCH_SIZE = 16  # path points per model call
IG_BASELINE = "blur"
IG_BASELINES = ("black", "white", "blur")  # the named baselines x' (xai.baselines.make_baseline)

# Faithfulness (xai.metrics.faithfulness): points per deletion/insertion curve after
# the start, and what removed pixels become. Five steps gave the same verdict as ten
# on 73 of 75 maps (5 pretrained models x 5 astronaut variants x 3 methods) at less
# than half the rows: 2 + 2 (steps - 1) (maps + 1) forward rows per face.
FAITHFULNESS_STEPS = 5
FAITHFULNESS_FILL = "blur"
# Rows per model call in the faithfulness curves: the activations of one call are
# what a server holds at its peak (128 rows of a 224 px CNN took 2 GB on six faces).
FAITHFULNESS_BATCH_SIZE = 16
