"""``python -m knowledge.embedding --out DIR``: materialise the model folder (install time)."""

import sys

from knowledge.embedding.install import main

sys.exit(main())
