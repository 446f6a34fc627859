"""The benchmarks' tests: their rows, tables and ground truth on tiny models
(timings are printed by the benchmarks, never asserted). The fixtures are the
vqa tests' tiny models and photo, reused rather than built a second time."""
from tests.vqa.conftest import astronaut, tiny_dir, tiny_registry  # noqa: F401 - fixtures, found by name
