"""`python -m earshot` runs the same CLI as the `earshot` command."""

from earshot.cli import main

main()
