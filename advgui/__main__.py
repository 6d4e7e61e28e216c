from advgui.ui.app import main

raise SystemExit(main())
