/*
 * Loaded only with the output-as-html fault switch: an "output highlighter" that re-renders
 * every output panel as HTML. Program output is untrusted, so this lets it inject markup
 * (the classic innerHTML bug); the page's CSP still stops inline scripts from running.
 */
(function () {
  'use strict';
  var options = { childList: true, characterData: true, subtree: true };
  document.querySelectorAll('.output-content').forEach(function (panel) {
    var observer = new MutationObserver(function () {
      observer.disconnect(); // our own change must not trigger us again
      panel.innerHTML = panel.textContent;
      observer.observe(panel, options);
    });
    observer.observe(panel, options);
  });
})();
