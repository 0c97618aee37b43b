"""The argparse wiring of `python -m ops <command>`: one module per group of subcommands, each `register(commands)`."""
