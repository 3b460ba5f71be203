// Composes a static supergraph from Tessera's subgraph SDLs with Apollo's own composition
// library (what Apollo Gateway, the router and rover run). Input on stdin: a JSON list of
// {name, url, sdl}. Output: the supergraph SDL on stdout; composition errors on stderr and
// exit code 1, so a subgraph that stops composing fails loudly.
import { readFileSync } from "node:fs";
import { composeServices } from "@apollo/composition";
import { parse } from "graphql";

const subgraphs = JSON.parse(readFileSync(0, "utf8"));
const result = composeServices(
  subgraphs.map(({ name, url, sdl }) => ({ name, url, typeDefs: parse(sdl) })),
);
if (result.errors) {
  for (const error of result.errors) {
    console.error(`${error.extensions?.code ?? "ERROR"}: ${error.message}`);
  }
  process.exit(1);
}
for (const hint of result.hints ?? []) {
  console.error(`hint ${hint.definition.code}: ${hint.message}`);
}
process.stdout.write(result.supergraphSdl);
