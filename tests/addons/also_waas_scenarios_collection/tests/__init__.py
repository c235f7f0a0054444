from . import test_collection_chain
