// The API reference at /api/docs: Redoc 2 (static/vendor/redoc) renders
// /api/openapi.json into #redoc. An external script, as no CSP here allows inline ones.
//
// The page asks nothing of any other origin:
// - Redoc 2 names fonts (Roboto, Montserrat) but loads none; the theme below asks for
//   the system's own;
// - its search index runs in a Worker made from a blob: URL, which the page's CSP
//   allows with `worker-src blob:`;
// - its styles are <style> elements: an empty one that styled-components fills through
//   the CSSOM, and perfect-scrollbar's fixed CSS. The page's `style-src` allows exactly
//   those two by their hashes (sha256 of "" and of that CSS), no 'unsafe-inline';
// - its sidebar ends with "API docs by Redocly" and a logo from cdn.redoc.ly, which no
//   option turns off. So an image Redoc makes gets an empty src instead of one from
//   another origin (React sets src both as an attribute and as a property): the
//   browser fetches nothing, and Redoc's own onerror handler then drops the logo.
(function () {
  "use strict";
  var setAttribute = Element.prototype.setAttribute;
  HTMLImageElement.prototype.setAttribute = function (name, value) {
    if (String(name).toLowerCase() === "src" && !sameOrigin(value)) value = "";
    return setAttribute.call(this, name, value);
  };
  var src = Object.getOwnPropertyDescriptor(HTMLImageElement.prototype, "src");
  Object.defineProperty(HTMLImageElement.prototype, "src", {
    configurable: true,
    enumerable: src.enumerable,
    get: src.get,
    set: function (value) {
      src.set.call(this, sameOrigin(value) ? value : "");
    },
  });

  function sameOrigin(value) {
    try {
      var url = new URL(String(value), document.baseURI);
      return url.protocol === "data:" || url.origin === window.location.origin;
    } catch (e) {
      return false;
    }
  }

  document.body.style.margin = "0";

  var systemFont = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
  window.Redoc.init(
    "/api/openapi.json",
    {
      hideDownloadButton: false,
      // HTML in the document's Markdown goes through DOMPurify first.
      sanitize: true,
      theme: {
        typography: {
          fontFamily: systemFont,
          headings: { fontFamily: systemFont },
          code: { fontFamily: 'ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace' },
        },
      },
    },
    document.getElementById("redoc")
  );
})();
