"""Tool layer: the report's tables as pandas data, ranking queries and the report's index method."""
