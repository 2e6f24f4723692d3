from tradebridge.cli import main

raise SystemExit(main())
