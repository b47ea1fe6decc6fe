"""``python -m audit.export``: see :func:`audit.export.main`."""

from audit.export import main

raise SystemExit(main())
