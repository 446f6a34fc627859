"""The audit summary's schema for the app (which imports vqa, never models):
models.audit_summary, re-exported, with what models.skin_tone says about skin tone."""
from models.audit_summary import (
    CALIBRATION_NOTE,
    CONFORMAL_NOTE,
    INTERVALS_NOTE,
    LANDMARK_SOURCES,
    RANDOM_MODEL,
    SUMMARY_FILE,
    AuditSummary,
    Comparison,
    LocalizationScore,
    ModelAudit,
    ModelEntry,
    Proportion,
    RaceRow,
    RandomizationCheck,
    SummaryError,
    gap_text,
    interval_text,
)
from models.skin_tone import SKIN_TONE_NOTE

__all__ = ["CALIBRATION_NOTE", "CONFORMAL_NOTE", "INTERVALS_NOTE", "LANDMARK_SOURCES", "RANDOM_MODEL",
           "SKIN_TONE_NOTE", "SUMMARY_FILE", "AuditSummary", "Comparison", "LocalizationScore", "ModelAudit",
           "ModelEntry", "Proportion", "RaceRow", "RandomizationCheck", "SummaryError", "gap_text", "interval_text"]
