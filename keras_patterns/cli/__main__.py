"""`python -m keras_patterns.cli`: the `keras-patterns` command."""

import sys

from keras_patterns.cli import main

if __name__ == "__main__":
    sys.exit(main())
