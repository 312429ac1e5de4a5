"""Entry point for `python -m bot`."""
from .cli import main

raise SystemExit(main())
