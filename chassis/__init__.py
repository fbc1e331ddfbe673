"""The WorkLB service chassis: the one shared piece every service and the gateway stand on.

Services import only this package and their own; see docs/ARCHITECTURE.md.
"""

import warnings

# eventlet warns on import that it is in maintenance mode; nameko 2 needs it all the same.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
warnings.filterwarnings("ignore", category=DeprecationWarning, module="eventlet")
