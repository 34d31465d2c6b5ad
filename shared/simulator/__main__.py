"""``python -m shared.simulator``: see :mod:`shared.simulator.demo`."""

from shared.simulator.demo import main

raise SystemExit(main())
