from tests.integration.bots.support import bots

__all__ = ["bots"]
