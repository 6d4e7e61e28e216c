"""The window's Qt-free state: the one WindowState, the attack record and what the inspection view shows."""
