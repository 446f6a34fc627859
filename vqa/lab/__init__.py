"""The bias lab, for the app (which may not import training).

driver.py runs `python -m training.demo` in a subprocess, follows its progress
lines and stops it at a hard deadline; folders.py reads what it made (the two
synthetic race models, the audit, a gallery of held-out test images);
compare.py puts the fair and the census-biased model side by side on one of
those images. The app reaches the lab through the Engine (Engine.lab,
lab_gallery, compare_lab) and, for the Audit tab's button, build_lab.

    from vqa import lab
    built = lab.build_lab(progress=lambda fraction, desc: ...)   # a vqa.progress.Progress
    built.models, built.report      # folders: the registry's and the Audit tab's
                                    # (one build at a time per process; stopped after BUILD_DEADLINE_S)
    lab.gallery(3)                  # [GalleryImage(path, race, gender, age)], 3 per race
    lab.class_accuracy()            # {model: {race: accuracy on the val split}}
"""
from __future__ import annotations

from vqa.lab.compare import LabComparison, LabMissingError
from vqa.lab.driver import (
    BUILD_DEADLINE_S,
    PROGRESS_PREFIX,
    Finished,
    LabBuildError,
    LabProgress,
    build_lab,
    parse_progress,
    run_with_deadline,
)
from vqa.lab.folders import (
    BIASED_MODEL,
    FAIR_MODEL,
    TEST_CSV,
    GalleryImage,
    Lab,
    class_accuracy,
    gallery,
    lab,
    lab_dir,
    summary,
)

__all__ = ["BIASED_MODEL", "BUILD_DEADLINE_S", "FAIR_MODEL", "PROGRESS_PREFIX", "TEST_CSV", "Finished", "GalleryImage",
           "Lab", "LabBuildError", "LabComparison", "LabMissingError", "LabProgress", "build_lab", "class_accuracy",
           "gallery", "lab", "lab_dir", "parse_progress", "run_with_deadline", "summary"]
