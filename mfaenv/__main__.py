"""`python -m mfaenv`: the same entry point as the mfaenv command (cli.main)."""

from mfaenv.cli.main import run

if __name__ == "__main__":
    run()
