"""advgui-cli install-desktop: advgui in this user's application menu (Linux: launcher, icons
and MIME types in ~/.local/share; Windows: a Start-menu shortcut; macOS: ~/Applications/advgui.app),
or its removal."""

from __future__ import annotations

import argparse


def add_parser(sub) -> None:
    p = sub.add_parser("install-desktop", help="add advgui to the desktop's application menu")
    p.add_argument("--uninstall", action="store_true", help="remove the launcher and icons")
    p.set_defaults(func=cmd_install_desktop)


def cmd_install_desktop(args: argparse.Namespace) -> int:
    from advgui import desktop  # noqa: PLC0415

    paths = desktop.uninstall() if args.uninstall else desktop.install()
    verb = "removed" if args.uninstall else "installed"
    for path in paths:
        print(f"{verb} {path}")
    if not paths:
        print("nothing to remove" if args.uninstall else "nothing installed")
    return 0
