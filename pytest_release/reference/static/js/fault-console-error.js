/* Loaded only with the console-error fault switch: an uncaught error on every page. */
(function () {
  'use strict';
  var settings = window.__exampleAnalyticsSettings;
  // Throws a TypeError, the way a script written against a missing global would.
  settings.endpoint.toString();
})();
