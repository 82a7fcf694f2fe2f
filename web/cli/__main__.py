"""`python -m web.cli`: the `communa` command."""
from web.cli import main

main()
