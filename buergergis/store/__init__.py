"""Everything that talks SQL: catalog, features, tiles, layer versions. Never sees Flask."""
