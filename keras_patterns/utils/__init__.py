"""Utilities shared by every stage: image checks, file I/O, progress, sheets."""

from keras_patterns.utils.deprecation import alias_moved_module

# Renamed in 0.2.0 to say their job; the old paths warn and forward.
alias_moved_module("keras_patterns.utils.upsampling", "keras_patterns.utils.polyphase")
alias_moved_module("keras_patterns.utils.plots", "keras_patterns.utils.figures")
alias_moved_module("keras_patterns.utils.training", "keras_patterns.utils.budget")
