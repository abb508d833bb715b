// Loaded on pages with widgets, after require.js and before the widget manager (embed-amd.js),
// from the same folder as embed-amd.js (see nb_ipywidgets_js in _config.yml and the Makefile).
(function () {
  // This folder's URL, e.g. https://host/book/_static/html-manager (or file:///...).
  var here = document.currentScript.src.replace(/\/[^/]*$/, "");
  // embed-amd.js defines the AMD modules @jupyter-widgets/base, .../controls, .../html-manager
  // and .../html-manager/dist/libembed-amd, and each finds the icon fonts bundled with it
  // relative to its module's URL, which RequireJS would otherwise put next to the page
  // (book/@jupyter-widgets/...: 404s). Map them all to this folder, where the fonts are.
  window.requirejs.config({
    paths: {
      "@jupyter-widgets": here,
      "@jupyter-widgets/html-manager/dist": here,
    },
  });
  // ipywidgets' own widgets (base, controls, output) are bundled in embed-amd.js. Any other
  // widget module it would fetch from the "CDN" this attribute names (default: jsDelivr);
  // point it at this book instead, so such a page fails visibly offline, not only sometimes.
  document.currentScript.setAttribute("data-jupyter-widgets-cdn", here + "/modules/");

  // The widget manager typesets widget labels with MathJax 2's call,
  // MathJax.Hub.Queue(["Typeset", MathJax.Hub, element]); the book loads MathJax 3, which has
  // no Hub (a TypeError per widget). Give MathJax 3 that one call, once its deferred script
  // has run (before DOMContentLoaded, and so before the widgets render on "load").
  document.addEventListener("DOMContentLoaded", function () {
    var mj = window.MathJax;
    if (!mj || !mj.startup || mj.Hub) return;
    mj.Hub = {
      Queue: function () {
        Array.prototype.forEach.call(arguments, function (job) {
          if (Array.isArray(job) && job[0] === "Typeset" && job[2]) {
            mj.startup.promise.then(function () {
              return mj.typesetPromise([job[2]]);
            });
          }
        });
      },
    };
  });
})();
