"""`python -m models.bench`: the old name of `python -m benchmarks.models`, kept as an alias (docs/benchmarks.md).

Run, not imported: the product rooms import nothing from benchmarks/ (.importlinter)."""
import runpy

if __name__ == "__main__":
    runpy.run_module("benchmarks.models", run_name="__main__", alter_sys=True)
