"""Identity use cases, by subject: sign-up, login and sessions, passwords, roles, account
status, the directory (read side) and the audit log (ID-1..ID-4, ID-11..ID-17).

Use cases take the unit of work and only add and flush; its owner commits (the request, once
per mutation field, or a command's `db.transaction()`)."""
