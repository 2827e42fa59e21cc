"""Applications built on the library: the demo and the training recipes.

`keras_patterns.apps.recipes` trains each stage's model from scratch on the
synthetic data, against a budget of steps and seconds;
`keras_patterns.apps.demo` runs the whole method end to end (the
`keras-patterns demo` command). They sit above the library: they may print
and decide budgets, and nothing in the library imports them.
"""
