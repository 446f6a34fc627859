"""The audit summary's schema for the app (which imports vqa, never models):
models.audit_summary, re-exported."""
from models.audit_summary import (
    LANDMARK_SOURCES,
    RANDOM_MODEL,
    SUMMARY_FILE,
    AuditSummary,
    Comparison,
    LocalizationScore,
    ModelAudit,
    ModelEntry,
    RaceRow,
    RandomizationCheck,
    SummaryError,
)

__all__ = ["LANDMARK_SOURCES", "RANDOM_MODEL", "SUMMARY_FILE", "AuditSummary", "Comparison", "LocalizationScore",
           "ModelAudit", "ModelEntry", "RaceRow", "RandomizationCheck", "SummaryError"]
