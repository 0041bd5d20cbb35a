"""Relief logistics: warehouses, the item catalogue and kits, stock by lot and expiry, requests, shipments and distributions."""
