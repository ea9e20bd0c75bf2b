// GraphiQL against this edge: queries and mutations POST to /graphql,
// subscriptions use the graphql-transport-ws websocket at /graphql/ws. The
// Headers pane's values go with every request and, for subscriptions, in the
// websocket's connection_init payload (where the edge reads `authorization`).
(function () {
  const http = new URL("/graphql", window.location.href);
  const ws = new URL("/graphql/ws", window.location.href);
  ws.protocol = ws.protocol === "https:" ? "wss:" : "ws:";
  const fetcher = GraphiQL.createFetcher({
    url: http.toString(),
    subscriptionUrl: ws.toString(),
    fetch: (url, options = {}) => fetch(url, { ...options, credentials: "same-origin" }),
  });
  ReactDOM.createRoot(document.getElementById("graphiql")).render(
    React.createElement(GraphiQL, { fetcher, defaultEditorToolsVisibility: true }),
  );
})();
