"""Running the grouper inside other frameworks, each an optional extra.

`keras_patterns.integrations.ray` embeds a catalogue on a Ray cluster
(`pip install "keras-patterns[ray]"`). Each integration imports its
framework only when called, so this package costs nothing without them.
"""
