"""Orders statements, by subject: `loaders` (batched reads for DataLoaders), `orders` (orders,
payments, shipments, status), `carts`, `points`, `hubs`, `customers` (withdrawal)."""
