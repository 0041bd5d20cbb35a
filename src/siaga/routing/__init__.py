"""Road routing: road-network import, CCH engine, travel-time tables, routes, closures."""
