// Kefu visitor widget loader. Embed with one tag:
//   <script src="https://kefu.example.com/static/widget.js" defer
//           data-kefu-title="Help" data-kefu-lang="zh"></script>
// This file stays a classic script (no module syntax) so the snippet works on any page; it
// loads the widget's modules from the same place it was loaded from.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__kefuWidget) return;
  window.__kefuWidget = true;
  var data = script.dataset;
  var assets = new URL(".", script.src).href;
  var options = {
    server: data.kefuServer || new URL("/", script.src).href,
    title: data.kefuTitle || "",
    lang: data.kefuLang || "",
    name: data.kefuName || "",
    position: data.kefuPosition === "left" ? "left" : "right",
    open: data.kefuOpen === "true",
  };
  function start() {
    import(new URL("widget/main.js", assets).href).then(function (module) {
      module.mount(options, assets);
    });
  }
  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();
