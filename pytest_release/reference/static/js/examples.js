/*
 * Interactive code examples: mounts a Monaco editor in every .interactive-code-example,
 * keeps edits in localStorage, and wires the run/reset/copy/format/fullscreen/clear-output
 * buttons. Configuration comes from data attributes on <body> (set by the server), so
 * this file has no inline counterpart and runs under a CSP without 'unsafe-inline'.
 */
(function () {
  'use strict';

  var body = document.body;
  var config = {
    storagePrefix: body.getAttribute('data-storage-prefix') || 'ume-code-example-',
    apiPath: body.getAttribute('data-api-path') || '/api/run',
    persist: body.getAttribute('data-persist') !== 'false',
    monacoBase: body.getAttribute('data-monaco-base') || '/static/monaco/vs'
  };
  var LINE_HEIGHT = 19;
  var announcer = document.getElementById('sr-announcer');
  var examples = Array.prototype.slice.call(document.querySelectorAll('.interactive-code-example'));

  /* Screen-reader announcement: clear first so repeating the same text is read again. */
  function announce(text) {
    if (!announcer) {
      return;
    }
    announcer.textContent = '';
    window.setTimeout(function () {
      announcer.textContent = text;
    }, 30);
  }

  function storageGet(key) {
    try {
      return window.localStorage.getItem(key);
    } catch (e) {
      return null; // storage blocked (privacy mode): behave as if nothing was saved
    }
  }

  function storageSet(key, value) {
    if (!config.persist) {
      return;
    }
    try {
      window.localStorage.setItem(key, value);
    } catch (e) {
      /* quota exceeded or storage blocked: the edit stays in the editor only */
    }
  }

  function storageRemove(key) {
    try {
      window.localStorage.removeItem(key);
    } catch (e) {
      /* nothing to remove when storage is blocked */
    }
  }

  /* One example: its elements, its editor (once Monaco is up) and its behaviour. */
  function Example(root) {
    this.root = root;
    this.id = root.getAttribute('data-example-id');
    this.key = config.storagePrefix + this.id;
    this.container = root.querySelector('.monaco-editor[data-code]');
    this.language = this.container.getAttribute('data-language');
    this.original = this.container.getAttribute('data-code');
    this.status = root.querySelector('.editor-status');
    this.output = root.querySelector('.output-panel .output-content');
    this.title = (root.querySelector('h2') || {}).textContent || this.id;
    this.editor = null;
    this.fallbackText = null;
    this.suppressSave = false;
  }

  Example.prototype.setStatus = function (text, isError) {
    this.status.textContent = text;
    this.status.classList.toggle('is-error', Boolean(isError));
  };

  Example.prototype.initialCode = function () {
    var stored = storageGet(this.key);
    return stored === null ? this.original : stored;
  };

  Example.prototype.code = function () {
    if (this.editor) {
      return this.editor.getValue();
    }
    return this.fallbackText === null ? this.initialCode() : this.fallbackText;
  };

  Example.prototype.fitHeight = function () {
    if (this.root.classList.contains('fullscreen')) {
      return;
    }
    var lines = this.editor.getModel().getLineCount();
    var height = Math.max(120, Math.min(480, (lines + 2) * LINE_HEIGHT));
    this.container.style.height = height + 'px';
    this.editor.layout();
  };

  Example.prototype.mount = function (monaco, theme) {
    var self = this;
    var code = this.initialCode();
    this.editor = monaco.editor.create(this.container, {
      value: code,
      language: this.language,
      theme: theme,
      automaticLayout: true,
      minimap: { enabled: false },
      scrollBeyondLastLine: false,
      fontSize: 14,
      lineHeight: LINE_HEIGHT,
      tabSize: 4,
      // Tab moves focus instead of inserting a tab: keyboard users must not get trapped.
      tabFocusMode: true,
      ariaLabel: 'Code editor for ' + this.title
    });
    this.fitHeight();
    this.editor.onDidChangeModelContent(function () {
      self.fitHeight();
      if (self.suppressSave) {
        return;
      }
      var value = self.editor.getValue();
      if (value === self.original) {
        storageRemove(self.key);
      } else {
        storageSet(self.key, value);
      }
      self.setStatus(config.persist ? 'Saved' : 'Edited');
    });
    this.editor.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.Enter, function () {
      self.run();
    });
    this.setStatus(code === this.original ? 'Ready' : 'Restored your saved edits');
  };

  /* Monaco did not load: show the code read-only so the page stays useful. */
  Example.prototype.mountFallback = function (reason) {
    var pre = document.createElement('pre');
    pre.className = 'editor-fallback';
    pre.textContent = this.initialCode();
    this.fallbackText = pre.textContent;
    this.container.textContent = '';
    this.container.appendChild(pre);
    this.setStatus('Editor failed to load (' + reason + '); showing the code read-only', true);
  };

  Example.prototype.showOutput = function (text, isError) {
    this.output.textContent = text; // text, never HTML: program output is untrusted
    this.output.classList.toggle('output-error', Boolean(isError));
  };

  Example.prototype.run = function () {
    var self = this;
    var button = this.root.querySelector('button[data-action="run"]');
    if (button.disabled) {
      return;
    }
    button.disabled = true;
    this.setStatus('Running…');
    this.showOutput('', false);
    announce('Running ' + this.title);
    var request = {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ code: this.code(), language: this.language, example_id: this.id })
    };
    window.fetch(config.apiPath, request)
      .then(function (response) {
        return response.text().then(function (text) {
          var data = null;
          try {
            data = JSON.parse(text);
          } catch (e) {
            data = null;
          }
          return { response: response, data: data };
        });
      })
      .then(function (result) {
        var data = result.data;
        var response = result.response;
        if (!response.ok || data === null) {
          var detail = data && typeof data.error === 'string' ? data.error : response.statusText || 'no details';
          var hint = response.status === 429 ? ' Please wait a moment and try again.' : '';
          self.showOutput('The code runner answered ' + response.status + ': ' + detail + '.' + hint, true);
          self.setStatus('Error', true);
          announce('Run failed: the server answered ' + response.status);
          return;
        }
        var text = data.output || '';
        if (data.error) {
          text = text + (text && text.slice(-1) !== '\n' ? '\n' : '') + data.error;
          self.showOutput(text, true);
          self.setStatus('Error', true);
          announce('Run finished with an error');
          return;
        }
        self.showOutput(text || '(no output)', false);
        self.setStatus('Done');
        announce('Run finished; output is ready');
      })
      .catch(function (error) {
        self.showOutput('Could not reach the code runner: ' + (error && error.message ? error.message : error), true);
        self.setStatus('Error', true);
        announce('Run failed: the code runner could not be reached');
      })
      .then(function () {
        button.disabled = false;
      });
  };

  Example.prototype.reset = function () {
    if (!window.confirm('Reset "' + this.title + '" to its original code? Your edits will be lost.')) {
      return;
    }
    if (this.editor) {
      this.suppressSave = true;
      try {
        this.editor.setValue(this.original);
      } finally {
        this.suppressSave = false;
      }
    } else if (this.fallbackText !== null) {
      this.fallbackText = this.original;
      this.container.querySelector('.editor-fallback').textContent = this.original;
    }
    storageRemove(this.key);
    this.setStatus('Reset to the original code');
    announce('Example reset to its original code');
  };

  Example.prototype.copy = function () {
    var self = this;
    var text = this.code();
    if (!navigator.clipboard || !navigator.clipboard.writeText) {
      this.setStatus('Copy is not available in this browser', true);
      return;
    }
    navigator.clipboard.writeText(text).then(
      function () {
        self.setStatus('Copied');
        announce('Code copied to the clipboard');
      },
      function () {
        self.setStatus('Copy failed: the browser refused clipboard access', true);
        announce('Copy failed');
      }
    );
  };

  Example.prototype.format = function () {
    var self = this;
    if (!this.editor) {
      this.setStatus('Formatting needs the editor, which failed to load', true);
      return;
    }
    var action = this.editor.getAction('editor.action.formatDocument');
    if (!action) {
      this.setStatus('No formatter for ' + this.language);
      return;
    }
    Promise.resolve()
      .then(function () {
        return action.run();
      })
      .then(
        function () {
          self.setStatus('Formatted');
          announce('Code formatted');
        },
        function () {
          self.setStatus('Could not format this code', true);
        }
      );
  };

  Example.prototype.toggleFullscreen = function () {
    var on = this.root.classList.toggle('fullscreen');
    var button = this.root.querySelector('button[data-action="fullscreen"]');
    button.setAttribute('aria-pressed', on ? 'true' : 'false');
    button.textContent = on ? 'Exit fullscreen' : 'Fullscreen';
    if (this.editor) {
      if (on) {
        this.container.style.height = '';
        this.editor.layout();
      } else {
        this.fitHeight();
      }
      this.editor.focus();
    }
    announce(on ? 'Fullscreen on; press Escape to leave' : 'Fullscreen off');
  };

  Example.prototype.clearOutput = function () {
    this.showOutput('', false);
    this.setStatus('Output cleared');
    announce('Output cleared');
  };

  Example.prototype.bindButtons = function () {
    var self = this;
    var handlers = {
      run: function () { self.run(); },
      reset: function () { self.reset(); },
      copy: function () { self.copy(); },
      format: function () { self.format(); },
      fullscreen: function () { self.toggleFullscreen(); },
      'clear-output': function () { self.clearOutput(); }
    };
    this.root.addEventListener('click', function (event) {
      var button = event.target.closest('button[data-action]');
      if (!button || !self.root.contains(button)) {
        return;
      }
      var handler = handlers[button.getAttribute('data-action')];
      if (handler) {
        handler();
      }
    });
    this.root.addEventListener('keydown', function (event) {
      if (event.key === 'Escape' && self.root.classList.contains('fullscreen')) {
        self.toggleFullscreen();
      }
    });
  };

  /* A minimal formatter for languages Monaco has none for: tabs to spaces, no trailing blanks. */
  function registerWhitespaceFormatter(monaco, language) {
    monaco.languages.registerDocumentFormattingEditProvider(language, {
      provideDocumentFormattingEdits: function (model) {
        var lines = model.getLinesContent().map(function (line) {
          return line.replace(/\t/g, '    ').replace(/\s+$/, '');
        });
        var text = lines.join(model.getEOL()).replace(/\s+$/, '') + model.getEOL();
        return [{ range: model.getFullModelRange(), text: text }];
      }
    });
  }

  function currentTheme() {
    return document.documentElement.getAttribute('data-theme') === 'dark' ? 'vs-dark' : 'vs';
  }

  var instances = examples.map(function (root) {
    var example = new Example(root);
    example.bindButtons();
    return example;
  });

  /* Theme toggle (header button): page colours and Monaco's theme together. */
  var themeButton = document.querySelector('button[data-action="toggle-theme"]');
  function syncThemeButton() {
    if (!themeButton) {
      return;
    }
    var dark = document.documentElement.getAttribute('data-theme') === 'dark';
    themeButton.setAttribute('aria-pressed', dark ? 'true' : 'false');
    themeButton.textContent = dark ? 'Light theme' : 'Dark theme';
  }
  if (themeButton) {
    syncThemeButton();
    themeButton.addEventListener('click', function () {
      var next = document.documentElement.getAttribute('data-theme') === 'dark' ? 'light' : 'dark';
      document.documentElement.setAttribute('data-theme', next);
      try {
        window.localStorage.setItem('ume-theme', next);
      } catch (e) {
        /* the theme simply is not remembered */
      }
      if (window.monaco) {
        window.monaco.editor.setTheme(currentTheme());
      }
      syncThemeButton();
      announce(next === 'dark' ? 'Dark theme on' : 'Light theme on');
    });
  }

  function failAll(reason) {
    instances.forEach(function (example) {
      example.mountFallback(reason);
    });
    announce('The code editor failed to load');
  }

  if (instances.length === 0) {
    return;
  }
  if (typeof window.require !== 'function' || typeof window.require.config !== 'function') {
    failAll('the Monaco loader is missing');
    return;
  }
  window.require.config({ paths: { vs: config.monacoBase } });
  window.require(
    ['vs/editor/editor.main'],
    function () {
      var monaco = window.monaco;
      var languages = {};
      instances.forEach(function (example) {
        languages[example.language] = true;
      });
      Object.keys(languages).forEach(function (language) {
        registerWhitespaceFormatter(monaco, language);
      });
      var theme = currentTheme();
      instances.forEach(function (example) {
        example.mount(monaco, theme);
      });
      body.setAttribute('data-editors-ready', 'true');
      announce('Code editors ready');
    },
    function (error) {
      failAll(error && error.message ? error.message : 'unknown error');
    }
  );
})();
