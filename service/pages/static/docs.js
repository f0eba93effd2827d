// The API docs page (/docs): Swagger UI on the service's own OpenAPI document, with the settings the page carries
// (data-spec-url, data-config). A file of this service rather than an inline script, so that the page's
// Content-Security-Policy can allow scripts from this service only.
window.addEventListener("load", function () {
  "use strict";

  var container = document.getElementById("swagger-ui-container");
  var config = { url: container.getAttribute("data-spec-url"), dom_id: "#swagger-ui-container" };
  var settings = JSON.parse(container.getAttribute("data-config"));
  for (var name in settings) config[name] = settings[name];
  window.ui = SwaggerUIBundle(config);
});
