"""`python -m keyuan.cli`: the same command line as the `keyuan` script."""

from keyuan.cli.main import main

main()
