"""The command line: the entry point (main), the click-free fast path (fast), the click app (app, options, keyapp) and the commands' bodies (commands, info, keys, output).

Thin: it parses, calls the flow and writes the result once. It may import
everything below it (flow, aws, store, shells, the core); nothing imports it.
This file stays free of code, so importing a submodule costs only that submodule.
"""
