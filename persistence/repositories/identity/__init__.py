"""Identity's SQL, by subject: accounts (users, password history), roles (RBAC, effective
permissions), audit (the append-only log) and signing keys. Functions take a session (use
cases pass `uow.session`) or a connection (loaders) and return rows or plain values;
constraint violations come back as return values, never as driver exceptions."""
