"""`python -m keras_patterns.cli`: the `keras-patterns` command."""

import sys

from keras_patterns.cli import main

sys.exit(main())
