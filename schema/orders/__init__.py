"""Orders subgraph: cart, checkout, orders with their sagas, refunds, points, HUBs
(ORD-1..ORD-8, ID-14). One module per kind: types, inputs, queries, mutations, subscriptions;
access holds who may see which order."""

from schema.orders.mutations import OrdersMutation
from schema.orders.queries import OrdersQuery
from schema.orders.subscriptions import OrdersSubscription

__all__ = ["OrdersMutation", "OrdersQuery", "OrdersSubscription"]
