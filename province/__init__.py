"""The province node: customers, catalog, orders, work orders, billing and tickets."""
