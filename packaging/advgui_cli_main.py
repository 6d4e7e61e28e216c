"""Bundle entry point of advgui-cli (PyInstaller needs a script, not a module path)."""

import sys

from advgui.cli.main import main

sys.exit(main())
