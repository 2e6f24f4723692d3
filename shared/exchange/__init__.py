"""The exchange layer: one async adapter protocol, the ccxt adapter, resilience wrappers.

ccxt exceptions are caught only inside this package and re-raised as the classes in
`shared.exchange.errors`; nothing outside it imports ccxt.
"""
