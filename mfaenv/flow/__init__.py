"""The login flow: the request and its context (login), the MFA device and the one code (mfa), the chain of credential steps (steps: MFA session, role sessions, each cached), and rotate.

It may import aws, store, shells and the core; only cli imports it.
This file stays free of code, so importing a submodule costs only that submodule.
"""
