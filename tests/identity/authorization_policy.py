"""The authorization policy (ID-12, ID-13, ID-14, ID-17), declared in ONE table.

Each row is a root field of the supergraph, the outcome each caller gets, and the call the
test makes (`tests/identity/test_authorization_matrix.py` runs every cell through the real
API; a root field without a row fails it). Outcomes:

  A  allowed: the gate let the call through (it may still fail a business rule, e.g. a
     refund already under way answers VALIDATION: that is past authorization)
  F  FORBIDDEN          N  NOT_FOUND (or nothing returned: the object is hidden)
  U  UNAUTHENTICATED

Callers: `anonymous` (no token); `owner`, a customer who owns the order, the ticket and the
reservation every call names; one column per built-in role (auth/rbac.py BUILTIN_ROLES),
each a different user who owns none of them (`customer` is the non-owner; `vendor_staff`
works for the other vendor, not the product's); `withdrawn`, a
withdrawn customer; `disabled`, a customer whose account was disabled while its session was
still live (the directive refuses it and ends that session).

Objects: `$user` is the owner; `$victim` a customer the operator mutations act on; the HUB
`$hub` is run by the hub_manager; `$reservation` is the owner's HELD concert seat (its
`$ticket` the hold's ticket), `$seat` another seat of that `$event`. To add a field: one row, with its call.
"""

from __future__ import annotations

from dataclasses import dataclass

CALLERS = (
    "anonymous",
    "owner",
    "customer",
    "support",
    "order_agent",
    "hub_manager",
    "catalog_manager",
    "vendor_staff",
    "admin",
    "withdrawn",
    "disabled",
)

# The type of every variable a call may use; the test declares those a call mentions.
VARIABLE_TYPES = {
    "user": "ID!",
    "victim": "ID!",
    "order": "ID!",
    "product": "ID!",
    "variant": "ID!",
    "vendor": "ID!",
    "category": "ID!",
    "hub": "ID!",
    "origin": "ID!",
    "inventory": "ID!",
    "ticket": "ID!",
    "reservation": "ID!",
    "event": "ID!",
    "seat": "ID!",
    "key": "String!",
    "email": "String!",
    "refresh": "String!",
    "address": "AddressInput!",
    "representations": "[_Any!]!",
}


@dataclass(frozen=True)
class Rule:
    field: str  # "Query.me", "Mutation.assignRole", "Subscription.orderUpdates"
    outcomes: str  # one letter per caller, in CALLERS order
    call: str  # the root selection
    last: bool = False  # ends the caller's session or account: runs after every other row

    def expected(self) -> dict[str, str]:
        letters = self.outcomes.split()
        assert len(letters) == len(CALLERS), self.field
        return dict(zip(CALLERS, letters, strict=True))


# fmt: off
POLICY: tuple[Rule, ...] = (
    #     field                              anon own cust supp agent hub cat vend admin wdr dis
    # --- identity ---
    Rule("Query.me",                         "U   A   A    A    A     A   A   A    A     A   U", "me { id }"),
    Rule("Query.user",                       "U   F   F    A    A     F   F   F    A     F   U", "user(id: $user) { id email }"),
    Rule("Query.users",                      "U   F   F    A    A     F   F   F    A     F   U", "users(first: 1) { edges { node { id } } }"),
    Rule("Query.roles",                      "U   F   F    A    A     F   F   F    A     F   U", "roles { name }"),
    Rule("Query.auditLog",                   "U   F   F    A    A     F   F   F    A     F   U", "auditLog(first: 1) { edges { node { id } } }"),
    Rule("Query._entities",                  "U   A   N    A    A     N   N   N    A     N   U", '_entities(representations: $representations) { ... on User { id email } }'),
    Rule("Query._service",                   "A   A   A    A    A     A   A   A    A     A   A", "_service { sdl }"),
    Rule("Mutation.signUp",                  "A   A   A    A    A     A   A   A    A     A   A", 'signUp(input: {email: $email, password: "Correct-Horse-42!", displayName: "x"}) { user { id } }'),
    Rule("Mutation.login",                   "A   A   A    A    A     A   A   A    A     A   A", 'login(input: {email: "not-an-address", password: "x", deviceId: "d"}) { mfaRequired }'),
    Rule("Mutation.refreshSession",          "A   A   A    A    A     A   A   A    A     A   A", "refreshSession(refreshToken: $refresh) { expiresIn }"),
    Rule("Mutation.changePassword",          "U   A   A    A    A     A   A   A    A     A   U", 'changePassword(currentPassword: "wrong", newPassword: "Another-Horse-43!")'),
    Rule("Mutation.assignRole",              "U   F   F    F    F     F   F   F    A     F   U", 'assignRole(userId: $user, role: "customer") { id }'),
    Rule("Mutation.revokeRole",              "U   F   F    F    F     F   F   F    A     F   U", 'revokeRole(userId: $user, role: "hub_manager") { id }'),
    Rule("Mutation.disableAccount",          "U   F   F    F    F     F   F   F    A     F   U", "disableAccount(userId: $victim) { id }"),
    Rule("Mutation.enableAccount",           "U   F   F    F    F     F   F   F    A     F   U", "enableAccount(userId: $victim) { id }"),
    Rule("Mutation.endAccountSessions",      "U   F   F    F    F     F   F   F    A     F   U", "endAccountSessions(userId: $victim)"),
    Rule("Subscription.sessionEvents",       "U   A   A    A    A     A   A   A    A     A   U", "sessionEvents { kind }"),
    # --- catalog ---
    Rule("Query.products",                   "A   A   A    A    A     A   A   A    A     A   A", "products(first: 1) { edges { node { id } } }"),
    Rule("Query.product",                    "A   A   A    A    A     A   A   A    A     A   A", "product(id: $product) { id }"),
    Rule("Query.categories",                 "A   A   A    A    A     A   A   A    A     A   A", "categories { id }"),
    Rule("Query.vendors",                    "A   A   A    A    A     A   A   A    A     A   A", "vendors { id }"),
    Rule("Mutation.createProduct",           "U   F   F    F    F     F   A   F    A     F   U", 'createProduct(input: {vendorId: $vendor, categoryId: $category, name: "Matrix", saleType: REALTIME, price: {amount: "1", currency: "KRW"}}) { product { id } }'),
    Rule("Mutation.changeProductPrice",      "U   F   F    F    F     F   A   F    A     F   U", 'changeProductPrice(id: $product, price: {amount: "1", currency: "KRW"}, expectedVersion: 999) { product { id } }'),
    Rule("Mutation.transitionProduct",       "U   F   F    F    F     F   A   F    A     F   U", "transitionProduct(id: $product, to: DRAFT) { product { id } }"),
    Rule("Mutation.adjustStock",             "U   F   F    F    F     F   A   F    A     F   U", 'adjustStock(variantId: $variant, delta: 1, reason: "count", idempotencyKey: $key) { variant { id } }'),
    Rule("Mutation.createCategory",          "U   F   F    F    F     F   A   F    A     F   U", 'createCategory(name: "") { id }'),
    Rule("Mutation.createVendor",            "U   F   F    F    F     F   A   F    A     F   U", 'createVendor(name: "", firstParty: false) { id }'),
    Rule("Mutation.addVendorStaff",          "U   F   F    F    F     F   A   F    A     F   U", "addVendorStaff(vendorId: $vendor, userId: $victim) { id }"),
    Rule("Query.stockLedger",                "U   F   F    F    F     F   A   F    A     F   U", "stockLedger(productId: $product, first: 1) { edges { cursor } }"),
    # --- orders ---
    Rule("Query.myCart",                     "U   A   A    A    A     A   A   A    A     A   U", "myCart { id }"),
    Rule("Query.shippingOrigins",            "A   A   A    A    A     A   A   A    A     A   A", "shippingOrigins(variantId: $variant) { id }"),
    Rule("Query.order",                      "U   A   N    A    A     N   N   N    A     N   U", "order(id: $order) { id }"),
    Rule("Query.myOrders",                   "U   A   A    A    A     A   A   A    A     A   U", "myOrders(first: 1) { edges { node { id } } }"),
    Rule("Query.myPoints",                   "U   A   A    A    A     A   A   A    A     A   U", "myPoints { balance }"),
    Rule("Mutation.addToCart",               "U   A   A    A    A     A   A   A    A     F   U", "addToCart(variantId: $variant, quantity: 1) { cart { id } }"),
    Rule("Mutation.checkout",                "U   A   A    A    A     A   A   A    A     F   U", 'checkout(input: {shippingOriginId: $origin, shippingAddress: $address, paymentMethod: "no-such-method", idempotencyKey: $key}) { order { id } }'),
    Rule("Mutation.requestRefund",           "U   A   N    F    A     N   N   N    A     N   U", 'requestRefund(orderId: $order, reason: "matrix", idempotencyKey: $key) { order { id } }'),
    Rule("Mutation.updateOrderShipping",     "U   A   N    F    A     N   N   N    A     N   U", "updateOrderShipping(orderId: $order, address: $address, expectedVersion: 999) { order { id } }"),
    Rule("Mutation.grantPoints",             "U   F   F    A    A     F   F   F    A     F   U", "grantPoints(userId: $user, points: 1, idempotencyKey: $key) { balance }"),
    Rule("Mutation.transferStock",           "U   F   F    F    F     A   F   F    F     F   U", "transferStock(hubId: $hub, fromOriginId: $origin, variantId: $variant, quantity: 1, idempotencyKey: $key) { id }"),
    Rule("Query.hubs",                       "U   F   F    F    F     F   F   F    A     F   U", "hubs(first: 1) { edges { node { id } } }"),
    Rule("Query.myHubs",                     "U   A   A    A    A     A   A   A    A     A   U", "myHubs(first: 1) { edges { node { id } } }"),
    Rule("Mutation.createHub",               "U   F   F    F    F     F   F   F    A     F   U", 'createHub(input: {code: "", type: ORG, name: "", owner: "", location: ""}) { id }'),
    Rule("Mutation.addHubManager",           "U   F   F    F    F     F   F   F    A     F   U", "addHubManager(hubId: $hub, userId: $victim) { id }"),
    Rule("Mutation.removeHubManager",        "U   F   F    F    F     F   F   F    A     F   U", "removeHubManager(hubId: $hub, userId: $victim) { id }"),
    Rule("Mutation.withdraw",                "U   A   A    A    A     A   A   A    A     A   U", 'withdraw(reason: "matrix") { withdrawnAt }', last=True),
    Rule("Subscription.orderUpdates",        "U   A   N    A    A     N   N   N    A     N   U", "orderUpdates(orderId: $order) { status }"),
    # --- reservations ---
    Rule("Query.reservationTicket",          "U   A   N    N    N     N   N   N    N     N   U", "reservationTicket(id: $ticket) { id }"),
    Rule("Query.myReservations",             "U   A   A    A    A     A   A   A    A     A   U", "myReservations(first: 1) { edges { node { id } } }"),
    Rule("Query.event",                      "A   A   A    A    A     A   A   A    A     A   A", "event(id: $event) { id }"),
    Rule("Mutation.requestReservation",      "U   A   A    A    A     A   A   A    A     F   U", "requestReservation(input: {inventoryId: $inventory, quantity: 1, idempotencyKey: $key}) { ticket { id } }"),
    Rule("Mutation.cancelReservation",       "U   A   N    N    N     N   N   N    N     N   U", "cancelReservation(id: $reservation, idempotencyKey: $key) { ticket { id } }"),
    Rule("Mutation.holdSeats",               "U   A   A    A    A     A   A   A    A     F   U", "holdSeats(eventId: $event, seatIds: [$seat], idempotencyKey: $key) { ticket { id } }"),
    Rule("Mutation.payReservation",          "U   A   N    N    N     N   N   N    N     F   U", 'payReservation(reservationId: $reservation, paymentMethod: "card", idempotencyKey: $key) { reservation { id } }'),
    Rule("Mutation.createInventory",         "U   F   F    F    F     F   F   F    A     F   U", 'createInventory(name: "matrix", total: 1)'),
    Rule("Mutation.createResource",          "U   F   F    F    F     F   F   F    A     F   U", 'createResource(name: "matrix")'),
    Rule("Mutation.createEvent",             "U   F   F    F    F     F   F   F    A     F   U", 'createEvent(name: "", bookingOpensAt: "2030-01-01T00:00:00Z", bookingClosesAt: "2030-01-02T00:00:00Z", paymentWindowMinutes: 10, price: {amount: "1", currency: "KRW"}, sections: []) { id }'),
    Rule("Subscription.reservationTicket",   "U   A   N    N    N     N   N   N    N     N   U", "reservationTicket(id: $ticket) { id }"),
    Rule("Subscription.seatMap",             "A   A   A    A    A     A   A   A    A     A   U", "seatMap(eventId: $event) { seatId }"),
    # --- last: ends the caller's session ---
    Rule("Mutation.logout",                  "U   A   A    A    A     A   A   A    A     A   U", "logout", last=True),
)
# fmt: on
