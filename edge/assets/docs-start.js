// Swagger UI over this edge's OpenAPI document. No validator badge: it would
// send the document to validator.swagger.io.
window.ui = SwaggerUIBundle({
  url: "/api/v1/openapi.json",
  dom_id: "#swagger-ui",
  validatorUrl: null,
  deepLinking: true,
  persistAuthorization: true,
});
