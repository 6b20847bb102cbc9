"""mfaenv: AWS MFA sessions in your shell."""

__version__ = "0.1.0"
