"""The `keyuan` command line: `main` assembles the groups; one module per area. Each command
parses, calls bootstrap and one service, prints."""
