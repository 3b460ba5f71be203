// A real Apollo Gateway in front of Tessera's subgraphs, from a static supergraph (no
// IntrospectAndCompose: the supergraph is composed ahead, as in production).
// Usage: node gateway.mjs SUPERGRAPH_FILE PORT. Prints {"ready": URL} once it listens.
import { readFileSync } from "node:fs";
import { ApolloGateway, RemoteGraphQLDataSource } from "@apollo/gateway";
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";
import { GraphQLError } from "graphql";

// What the subgraphs need from the client's request: who calls and in which language.
const FORWARDED = ["authorization", "accept-language"];

class ForwardingDataSource extends RemoteGraphQLDataSource {
  willSendRequest({ request, context }) {
    for (const name of FORWARDED) {
      const value = context?.headers?.[name];
      if (value) request.http.headers.set(name, value);
    }
  }
}

// Apollo Gateway executes queries and mutations only; a subscription gets a clear refusal
// (not the gateway's INTERNAL_SERVER_ERROR) that names where to subscribe instead.
const subscriptionsOnSubgraphs = {
  async requestDidStart() {
    return {
      async didResolveOperation({ operation }) {
        if (operation?.operation === "subscription") {
          throw new GraphQLError(
            "Subscribe on the WebSocket of the subgraph that owns the field, not through the gateway.",
            { extensions: { code: "VALIDATION", reason: "SUBSCRIBE_ON_SUBGRAPH", http: { status: 400 } } },
          );
        }
      },
    };
  },
};

const [supergraphFile, port] = process.argv.slice(2);
const gateway = new ApolloGateway({
  supergraphSdl: readFileSync(supergraphFile, "utf8"),
  buildService: ({ url }) => new ForwardingDataSource({ url }),
});
const server = new ApolloServer({
  gateway,
  plugins: [subscriptionsOnSubgraphs],
  includeStacktraceInErrorResponses: false,
});
const { url } = await startStandaloneServer(server, {
  listen: { host: "127.0.0.1", port: Number(port) },
  context: async ({ req }) => ({ headers: req.headers }),
});
console.log(JSON.stringify({ ready: url }));

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, async () => {
    await server.stop();
    process.exit(0);
  });
}
