"""Label spaces, image intake, face detection and alignment, face regions, cards,
the model zoo, and (in importers/) the importers of pretrained models.

    limits.py      size caps (upload, decode ceiling, detection), defined once
    intake.py      uploads to upright RGB uint8, one typed error per bad case
    faces.py       detection (dlib HOG, MTCNN, dlib CNN), 5- and 68-point landmarks
    alignment.py   dlib-identical 5-point chips with their photo<->chip transform
    regions.py     face regions on a chip from 68 landmarks, region shares of a heatmap
    cards.py       model cards (and the terms of helper models); card_data/ holds their text
    registry.py    the zoo: which models exist, where, in which order, what failed
    handle.py      ModelHandle: one model on disk, loaded and compiled on first use
    keras_file.py  reading a .keras file's config without TensorFlow
    importers/     importing dlib's, GEAR's and the other human-models into the cache (ensure_pretrained)
    graph_layers.py  the few Keras layers the TF.js importer needs beyond Keras' own; here,
                   not in importers/, because handle.py needs them to load those models
    cli.py         python -m models list|import
    pretrained.py  python -m models.pretrained: the import command's older name (run, not imported)
    quiet.py       silence_tf() (defined in xai/quiet.py): no TensorFlow start-up lines
"""
