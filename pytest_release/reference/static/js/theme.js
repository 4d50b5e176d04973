/* Applies the saved colour theme before the page paints (loaded in <head>). */
(function () {
  'use strict';
  var theme = null;
  try {
    theme = window.localStorage.getItem('ume-theme');
  } catch (e) {
    theme = null; // storage disabled: fall back to the system preference
  }
  if (theme !== 'dark' && theme !== 'light') {
    theme = window.matchMedia && window.matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
  }
  document.documentElement.setAttribute('data-theme', theme);
})();
