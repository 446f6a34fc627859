"""FairFace training and the bias audit: reader (fairface), census-biased subset
(subset), tf.data pipeline (pipeline), training CLI (train), audit CLI
(evaluate), synthetic FairFace-format data (synthetic)."""
