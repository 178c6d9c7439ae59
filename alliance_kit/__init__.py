"""alliance-kit: keep strategic alliances from failing.

The package holds all the logic; notebooks, reports and dashboards only call it.
"""

import pandas as _pd

__version__ = "0.1.0"

# pandas 3 stores text in pyarrow when pyarrow is installed (it is: the CSV reader uses
# it). Arrow strings cannot hold a lone surrogate (U+D800..U+DFFF), which a browser's
# form input can carry: building the frame would fail before the intake could refuse the
# text in place. Python-backed strings keep such text as data to be validated.
_pd.set_option("mode.string_storage", "python")
