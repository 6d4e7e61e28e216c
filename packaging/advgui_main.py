"""Bundle entry point (PyInstaller needs a script, not a module path)."""

import sys

from advgui.ui.app import main

sys.exit(main())
