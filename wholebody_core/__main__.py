"""``python -m wholebody_core``: the capture command line."""
import sys

from .cli import main

sys.exit(main())
