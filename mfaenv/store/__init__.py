"""What lives on disk: the AWS files read as botocore reads them (config, roles) and written byte for byte (credfile, atomic), the session cache (cachedir, cache, cleanup, usedcodes) and the key stores (keystore, oskeyring, passstore, keyfile).

It may import only the core (errors, plan, inputs, terminal); everything above may import it.
This file stays free of code.
"""
