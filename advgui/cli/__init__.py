"""advgui-cli: the command line (one module a command group), above the core."""
