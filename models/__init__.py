"""Label spaces, face detection and alignment, model builders, cards and registry."""
