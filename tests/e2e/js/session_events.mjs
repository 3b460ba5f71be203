// Subscribes to sessionEvents with the real graphql-ws client and prints one JSON line per
// happening: {"connected"}, {"next": ...}, {"closed": code, "reason": ...}.
import { createClient } from "graphql-ws";
import WebSocket from "ws";

const [url, token] = process.argv.slice(2);
const print = (line) => process.stdout.write(JSON.stringify(line) + "\n");

const client = createClient({
  url,
  webSocketImpl: WebSocket,
  connectionParams: { authorization: `Bearer ${token}` },
  retryAttempts: 0,
  lazy: false,
  on: {
    connected: () => print({ connected: true }),
    closed: (event) => {
      print({ closed: event.code, reason: event.reason });
      process.exit(0);
    },
  },
});

client.subscribe(
  { query: "subscription SessionEvents { sessionEvents { kind reason at } }" },
  {
    next: (value) => print({ next: value }),
    error: (error) => print({ error: String(error?.message ?? error?.reason ?? error) }),
    complete: () => print({ complete: true }),
  },
);
