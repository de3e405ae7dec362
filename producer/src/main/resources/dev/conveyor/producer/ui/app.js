/*
 * Conveyor dashboard: plain DOM, no framework, nothing fetched but the status API of this ingress.
 * Every value from the API goes into the page as a text node or an attribute, never as markup.
 *
 * Routes (the part after '#'):
 *   /                      overview (GET /v1/stats)
 *   /tasks?status=&topic=&kind=&since=&until=&q=&cursor=   task list (GET /v1/tasks)
 *   /tasks/<id>            one task (GET /v1/tasks/{id}) with retry and cancel
 */
(function () {
  'use strict';

  var STATUSES = ['queued', 'running', 'rescheduled', 'done', 'failed', 'skipped', 'cancelled', 'dead'];
  var KINDS = ['background', 'interactive', 'scheduled', 'webhook'];
  var RETRYABLE = ['failed', 'dead', 'skipped', 'cancelled'];
  var CANCELLABLE = ['queued', 'rescheduled'];
  var LIST_FILTERS = ['status', 'topic', 'kind', 'since', 'until', 'q'];
  var REFRESH_MS = 5000;
  var TOKEN_KEY = 'conveyor.token';
  var PAUSED_KEY = 'conveyor.refreshPaused';

  var viewEl = document.getElementById('view');
  var errorEl = document.getElementById('error');
  var loginEl = document.getElementById('login');
  var updatedEl = document.getElementById('updated-at');
  var toggleEl = document.getElementById('refresh-toggle');
  var signOutEl = document.getElementById('sign-out');

  /* The current view's refresh function (overview and list only), and a generation counter so an
     answer that arrives after the user moved on is dropped. */
  var current = { refresh: null, generation: 0 };

  // ---- DOM helpers ----------------------------------------------------------------------------

  /** Builds an element. attrs: plain attributes, plus 'on<event>' handlers; children: nodes or text. */
  function h(tag, attrs) {
    var el = document.createElement(tag);
    setAttrs(el, attrs);
    for (var i = 2; i < arguments.length; i++) {
      append(el, arguments[i]);
    }
    return el;
  }

  function setAttrs(el, attrs) {
    if (!attrs) {
      return;
    }
    Object.keys(attrs).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) {
        return;
      }
      if (k.indexOf('on') === 0 && typeof v === 'function') {
        el.addEventListener(k.substring(2), v);
      } else if (k === 'text') {
        el.textContent = String(v);
      } else {
        el.setAttribute(k, v === true ? '' : String(v));
      }
    });
  }

  function append(el, child) {
    if (child === null || child === undefined || child === false) {
      return;
    }
    if (Array.isArray(child)) {
      child.forEach(function (c) { append(el, c); });
    } else if (child instanceof Node) {
      el.appendChild(child);
    } else {
      el.appendChild(document.createTextNode(String(child)));
    }
  }

  var SVG_NS = 'http://www.w3.org/2000/svg';

  function svg(tag, attrs) {
    var el = document.createElementNS(SVG_NS, tag);
    Object.keys(attrs || {}).forEach(function (k) { el.setAttribute(k, String(attrs[k])); });
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c instanceof Node) {
        el.appendChild(c);
      } else if (c !== null && c !== undefined) {
        el.appendChild(document.createTextNode(String(c)));
      }
    }
    return el;
  }

  /** Replaces an element's children with nodes or text (never markup). */
  function fill(el, children) {
    el.replaceChildren();
    append(el, children);
  }

  function badge(status) {
    var known = STATUSES.indexOf(status) >= 0;
    return h('span', { 'class': 'badge' + (known ? ' status-' + status : ''), 'data-testid': 'status-badge',
      'data-status': status }, status === null || status === undefined ? '—' : status);
  }

  function dash(v) {
    return v === null || v === undefined || v === '' ? '—' : v;
  }

  function pad(n) {
    return n < 10 ? '0' + n : String(n);
  }

  /** For tables: date and time to the second in the browser's zone (named in the column header by {@link zoneLabel}). */
  function shortTime(iso) {
    return time(iso);
  }

  /** " (Europe/Berlin)": the browser's time zone, in which the tables show times. */
  function zoneLabel() {
    try {
      var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
      return zone ? ' (' + zone + ')' : '';
    } catch (e) {
      return '';
    }
  }

  /** An RFC 3339 instant shown in the browser's time zone, the exact UTC value on hover. */
  function time(iso) {
    if (!iso) {
      return h('span', { 'class': 'muted' }, '—');
    }
    var d = new Date(iso);
    if (isNaN(d.getTime())) {
      return h('span', null, iso);
    }
    var text = d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' +
      pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
    return h('time', { datetime: iso, title: iso + ' (' + ago(d) + ')' }, text);
  }

  function ago(date) {
    return duration((Date.now() - date.getTime()) / 1000) + ' ago';
  }

  function duration(seconds) {
    var s = Math.abs(seconds);
    var text;
    if (s < 1) {
      text = Math.round(s * 1000) + ' ms';
    } else if (s < 90) {
      text = (s < 10 ? s.toFixed(1) : Math.round(s)) + ' s';
    } else if (s < 5400) {
      text = Math.round(s / 60) + ' min';
    } else if (s < 172800) {
      text = (s / 3600).toFixed(1) + ' h';
    } else {
      text = Math.round(s / 86400) + ' d';
    }
    return seconds < 0 ? 'in ' + text : text;
  }

  function number(n) {
    return n === null || n === undefined ? '—' : Number(n).toLocaleString('en-US');
  }

  function excerpt(text, max) {
    if (text === null || text === undefined) {
      return '';
    }
    var one = String(text).replace(/\s+/g, ' ').trim();
    return one.length > max ? one.substring(0, max - 1) + '…' : one;
  }

  // ---- routing --------------------------------------------------------------------------------

  function parseHash() {
    var raw = location.hash.replace(/^#/, '') || '/';
    var qi = raw.indexOf('?');
    var path = qi < 0 ? raw : raw.substring(0, qi);
    var params = new URLSearchParams(qi < 0 ? '' : raw.substring(qi + 1));
    return { path: path || '/', params: params };
  }

  function tasksHash(filters) {
    var p = new URLSearchParams();
    Object.keys(filters).forEach(function (k) {
      if (filters[k]) {
        p.set(k, filters[k]);
      }
    });
    var q = p.toString();
    return '#/tasks' + (q ? '?' + q : '');
  }

  function taskHash(id) {
    return '#/tasks/' + encodeURIComponent(id);
  }

  function route() {
    current.generation++;
    current.refresh = null;
    clearError();
    var r = parseHash();
    var m;
    document.getElementById('nav-overview').classList.toggle('active', r.path === '/');
    document.getElementById('nav-tasks').classList.toggle('active', r.path.indexOf('/tasks') === 0);
    if (r.path === '/') {
      overview();
    } else if (r.path === '/tasks') {
      taskList(r.params);
    } else if ((m = /^\/tasks\/([^/]+)$/.exec(r.path))) {
      taskDetail(decodeURIComponent(m[1]));
    } else {
      viewEl.replaceChildren(h('section', { 'class': 'panel' }, h('h1', null, 'Not found'),
        h('p', null, 'There is no page at ', h('code', null, r.path), '. ', h('a', { href: '#/' }, 'Go to the overview'))));
    }
  }

  // ---- API ------------------------------------------------------------------------------------

  function ApiError(status, error, detail) {
    this.status = status;
    this.error = error;
    this.detail = detail;
    this.message = detail ? error + ': ' + detail : error;
  }

  function AuthRequired() {
    this.message = 'a token is required';
  }

  /** Calls the status API; resolves with the JSON body, rejects with ApiError or AuthRequired. */
  function api(method, path) {
    var headers = { Accept: 'application/json' };
    var token = sessionStorage.getItem(TOKEN_KEY);
    if (token) {
      headers.Authorization = 'Bearer ' + token;
    }
    return fetch(path, { method: method, headers: headers, cache: 'no-store', credentials: 'same-origin' })
      .catch(function (e) {
        throw new ApiError(0, 'unreachable', 'the ingress did not answer (' + e.message + ')');
      })
      .then(function (res) {
        return res.text().then(function (body) {
          var json = null;
          try {
            json = body ? JSON.parse(body) : null;
          } catch (ignored) {
            json = null;
          }
          if (res.status === 401) {
            // An answer to a request made with a token that has since been replaced says nothing.
            if ((sessionStorage.getItem(TOKEN_KEY) || null) === (token || null)) {
              showLogin(token ? 'The token was not accepted; enter a valid one.' : null);
            }
            throw new AuthRequired();
          }
          if (!res.ok) {
            throw new ApiError(res.status, (json && json.error) || 'HTTP ' + res.status,
              (json && json.detail) || (json ? null : excerpt(body, 200)) || null);
          }
          return json;
        });
      });
  }

  function showError(e) {
    if (e instanceof AuthRequired) {
      return;
    }
    fill(errorEl, [
      h('strong', null, e instanceof ApiError && e.status ? e.status + ' ' + e.error : (e.error || 'Error')),
      e.detail ? h('span', { 'data-testid': 'error-detail' }, ' — ' + e.detail) : (e instanceof ApiError ? null : ' — ' + e.message)]);
    errorEl.hidden = false;
  }

  function clearError() {
    errorEl.hidden = true;
    errorEl.replaceChildren();
  }

  // ---- token ----------------------------------------------------------------------------------

  function showLogin(message) {
    var msg = document.getElementById('login-message');
    msg.textContent = message || '';
    msg.hidden = !message;
    loginEl.hidden = false;
    viewEl.hidden = true;
    document.getElementById('token-input').focus();
  }

  loginEl.addEventListener('submit', function (ev) {
    ev.preventDefault();
    var input = document.getElementById('token-input');
    var token = input.value.trim();
    if (!token) {
      return;
    }
    sessionStorage.setItem(TOKEN_KEY, token);
    input.value = '';
    loginEl.hidden = true;
    viewEl.hidden = false;
    updateSignOut();
    route();
  });

  signOutEl.addEventListener('click', function () {
    sessionStorage.removeItem(TOKEN_KEY);
    updateSignOut();
    route();
  });

  function updateSignOut() {
    signOutEl.hidden = !sessionStorage.getItem(TOKEN_KEY);
  }

  // ---- auto-refresh ---------------------------------------------------------------------------

  function paused() {
    return sessionStorage.getItem(PAUSED_KEY) === 'true';
  }

  function updateToggle() {
    toggleEl.textContent = paused() ? 'Resume auto-refresh' : 'Pause auto-refresh';
    toggleEl.setAttribute('aria-pressed', paused() ? 'true' : 'false');
  }

  toggleEl.addEventListener('click', function () {
    sessionStorage.setItem(PAUSED_KEY, paused() ? 'false' : 'true');
    updateToggle();
  });

  function stamp() {
    var d = new Date();
    updatedEl.textContent = 'Updated ' + pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds()) +
      (current.refresh ? (paused() ? ' · paused' : ' · every 5 s') : '');
  }

  /** Runs a view's load function now and, for refreshing views, again every 5 s until the route changes. */
  function load(fn, refreshing) {
    var generation = current.generation;
    var busy = false; // a slow answer is not asked for again while it is on its way
    current.refresh = refreshing ? run : null;
    function run() {
      if (busy || generation !== current.generation) {
        return;
      }
      busy = true;
      fn(function stillCurrent() { return generation === current.generation; })
        .then(function () { if (generation === current.generation) { clearError(); stamp(); } })
        .catch(function (e) {
          if (generation === current.generation) {
            showError(e);
            if (!(e instanceof AuthRequired)) {
              viewEl.querySelectorAll('.loading').forEach(function (el) {
                el.classList.remove('loading');
                el.textContent = 'Could not load this page; see the message above.';
              });
            }
          }
        })
        .then(function () { busy = false; });
    }
    run();
  }

  setInterval(function () {
    if (current.refresh && !paused() && !document.hidden && loginEl.hidden) {
      current.refresh();
    }
  }, REFRESH_MS);

  // ---- overview -------------------------------------------------------------------------------

  function overview() {
    var body = h('div', { 'data-testid': 'overview-body' }, h('p', { 'class': 'muted loading' }, 'Loading…'));
    viewEl.replaceChildren(h('section', { id: 'overview', 'data-testid': 'overview' },
      h('h1', null, 'Overview'), body));
    load(function (stillCurrent) {
      return api('GET', '/v1/stats').then(function (stats) {
        if (stillCurrent()) {
          fill(body, renderOverview(stats));
        }
      });
    }, true);
  }

  /** Status tables' total size, each table's share on hover, and the oldest task kept (retention). */
  function storageFact(storage) {
    if (!storage || !storage.tables) {
      return h('span', { 'class': 'muted' }, 'unknown');
    }
    var detail = storage.tables.map(function (t) {
      return t.table + ' ' + bytes(t.bytes) + (t.rowsEstimate === null || t.rowsEstimate === undefined ? ''
        : ' (~' + t.rowsEstimate + ' rows)');
    }).join(', ');
    return [h('span', { title: detail }, bytes(storage.bytes)), h('span', { 'class': 'muted' }, ' · oldest task '),
      storage.oldestTaskAt ? time(storage.oldestTaskAt) : h('span', { 'class': 'muted' }, 'none')];
  }

  function bytes(n) {
    var units = ['B', 'kB', 'MB', 'GB', 'TB'];
    var v = n || 0;
    var i = 0;
    while (v >= 1024 && i < units.length - 1) {
      v /= 1024;
      i++;
    }
    return (i === 0 ? v : v.toFixed(1)) + ' ' + units[i];
  }

  function renderOverview(stats) {
    var totals = stats.totals || {};
    var lag = stats.lag || {};
    var scheduled = stats.scheduled || {};
    var topics = (stats.topics || []).slice().sort(function (a, b) { return a.topic < b.topic ? -1 : 1; });

    var cards = h('div', { 'class': 'cards', 'data-testid': 'totals' }, STATUSES.map(function (s) {
      return h('a', { 'class': 'card card-' + s, href: tasksHash({ status: s }), 'data-testid': 'total-' + s },
        h('span', { 'class': 'card-value' }, number(totals[s] || 0)),
        h('span', { 'class': 'card-label' }, s));
    }));

    var oldest = stats.oldestQueuedAgeSeconds;
    var facts = h('div', { 'class': 'facts' },
      fact('Oldest queued task', 'oldest-queued',
        oldest === null || oldest === undefined ? h('span', { 'class': 'muted' }, 'none queued')
          : [duration(oldest), ' ', h('span', { 'class': 'muted' }, 'since '), time(stats.oldestQueuedAt)]),
      fact('Scheduled backlog', 'scheduled',
        [number(scheduled.pending), ' pending', scheduled.nextDueAt ? [h('span', { 'class': 'muted' }, ' · next due '),
          time(scheduled.nextDueAt)] : null]),
      fact('Consumer lag', 'lag', lag.available === false
        ? h('span', { 'class': 'warn-text' }, 'unavailable (Kafka unreachable)')
        : [number(lag.total), h('span', { 'class': 'muted' }, lag.group ? ' · group ' + lag.group : '')]),
      fact('Throughput (15 min)', 'throughput', sparkline(stats.throughput || [])),
      fact('Storage', 'storage', storageFact(stats.storage)));

    var head = h('tr', null, h('th', null, 'Topic'), STATUSES.map(function (s) {
      return h('th', { 'class': 'num' }, badge(s));
    }), h('th', { 'class': 'num' }, 'Lag'), h('th', { 'class': 'num', title: 'age of the topic\'s oldest queued task' },
      'Oldest queued'));
    var rows = topics.map(function (t) {
      var counts = t.counts || {};
      return h('tr', { 'data-testid': 'topic-row', 'data-topic': t.topic },
        h('th', { scope: 'row' }, h('a', { href: tasksHash({ topic: t.topic }) }, t.topic)),
        STATUSES.map(function (s) {
          var n = counts[s] || 0;
          return h('td', { 'class': 'num' + (n ? '' : ' zero') },
            h('a', { href: tasksHash({ status: s, topic: t.topic }), 'data-testid': 'count-' + s, 'data-count': n },
              number(n)));
        }),
        h('td', { 'class': 'num', 'data-testid': 'topic-lag' }, t.lag === null || t.lag === undefined
          ? h('span', { 'class': 'muted', title: lag.available === false ? 'Kafka unreachable' : 'no committed offsets' }, '—')
          : number(t.lag)),
        oldestQueuedCell(t, 'topic-oldest-queued', { status: 'queued', topic: t.topic }));
    });
    var foot = h('tr', { 'class': 'total-row' }, h('th', { scope: 'row' }, 'Total'), STATUSES.map(function (s) {
      return h('td', { 'class': 'num' }, h('a', { href: tasksHash({ status: s }) }, number(totals[s] || 0)));
    }), h('td', { 'class': 'num' }, lag.available === false ? '—' : number(lag.total)),
      oldestQueuedCell(stats, 'total-oldest-queued', { status: 'queued' }));

    var table = topics.length
      ? h('table', { 'class': 'grid', id: 'topics', 'data-testid': 'overview-topics' },
        h('thead', null, head), h('tbody', null, rows), h('tfoot', null, foot))
      : h('p', { 'class': 'empty', 'data-testid': 'overview-topics' }, 'No tasks yet.');

    return [cards, facts, h('h2', null, 'By topic'), h('div', { 'class': 'scroll' }, table)];
  }

  /** A cell with the age of the oldest queued task that 'from' (a topic, or the whole stats) reports, linking to the queued list. */
  function oldestQueuedCell(from, testid, filters) {
    var age = from.oldestQueuedAgeSeconds;
    if (age === null || age === undefined) {
      return h('td', { 'class': 'num zero', 'data-testid': testid }, h('span', { 'class': 'muted' }, '—'));
    }
    return h('td', { 'class': 'num nowrap', 'data-testid': testid, title: 'since ' + from.oldestQueuedAt },
      h('a', { href: tasksHash(filters) }, duration(age)));
  }

  function fact(label, testid, value) {
    return h('div', { 'class': 'fact', 'data-testid': testid }, h('div', { 'class': 'fact-label' }, label),
      h('div', { 'class': 'fact-value' }, value));
  }

  /** Finished and failed per minute as two lines in an inline SVG. */
  function sparkline(points) {
    if (!points.length) {
      return h('span', { 'class': 'muted' }, 'no data');
    }
    var w = 240, ht = 48, padY = 4;
    var max = 1;
    points.forEach(function (p) { max = Math.max(max, p.finished || 0, p.failed || 0); });
    var step = points.length > 1 ? w / (points.length - 1) : 0;
    function line(key) {
      return points.map(function (p, i) {
        var x = points.length > 1 ? i * step : w / 2;
        var y = ht - padY - ((p[key] || 0) / max) * (ht - 2 * padY);
        return x.toFixed(1) + ',' + y.toFixed(1);
      }).join(' ');
    }
    var chart = svg('svg', { 'class': 'sparkline', viewBox: '0 0 ' + w + ' ' + ht, width: w, height: ht,
      role: 'img', 'aria-label': 'tasks finished and failed per minute, last 15 minutes', 'data-testid': 'sparkline' },
      svg('polyline', { 'class': 'spark-finished', points: line('finished') }),
      svg('polyline', { 'class': 'spark-failed', points: line('failed') }));
    var bw = points.length > 1 ? step : w;
    points.forEach(function (p, i) {
      var x = points.length > 1 ? i * step - bw / 2 : 0;
      var d = new Date(p.minute);
      var label = (isNaN(d.getTime()) ? p.minute : pad(d.getHours()) + ':' + pad(d.getMinutes())) + ' — ' +
        number(p.finished) + ' finished, ' + number(p.failed) + ' failed';
      chart.appendChild(svg('rect', { x: Math.max(0, x), y: 0, width: bw, height: ht, 'class': 'spark-hit' },
        svg('title', null, label)));
    });
    var last = points[points.length - 1];
    var sum = points.reduce(function (a, p) { return a + (p.finished || 0); }, 0);
    var failed = points.reduce(function (a, p) { return a + (p.failed || 0); }, 0);
    return h('div', { 'class': 'spark-box' }, chart,
      h('div', { 'class': 'spark-legend' },
        h('span', { 'class': 'legend-finished' }, number(sum) + ' finished'),
        h('span', { 'class': 'legend-failed' }, number(failed) + ' failed'),
        h('span', { 'class': 'muted' }, 'last minute: ' + number(last.finished) + ' / ' + number(last.failed) +
          ' · peak ' + number(max) + '/min')));
  }

  // ---- task list ------------------------------------------------------------------------------

  function taskList(params) {
    var filters = {};
    LIST_FILTERS.forEach(function (k) { filters[k] = params.get(k) || ''; });
    var cursor = params.get('cursor') || '';

    var results = h('div', { 'data-testid': 'task-results' }, h('p', { 'class': 'muted loading' }, 'Loading…'));
    viewEl.replaceChildren(h('section', { id: 'tasks', 'data-testid': 'task-list' },
      h('h1', null, 'Tasks'), filterForm(filters), results));

    load(function (stillCurrent) {
      var query = new URLSearchParams();
      LIST_FILTERS.forEach(function (k) {
        if (filters[k]) {
          query.set(k, filters[k]);
        }
      });
      if (cursor) {
        query.set('cursor', cursor);
      }
      var qs = query.toString();
      return api('GET', '/v1/tasks' + (qs ? '?' + qs : '')).then(function (page) {
        if (stillCurrent()) {
          fill(results, renderTasks(page, filters, cursor));
        }
      });
    }, true);
  }

  function filterForm(filters) {
    var statusOptions = [''].concat(STATUSES);
    if (filters.status && statusOptions.indexOf(filters.status) < 0) {
      statusOptions.push(filters.status); // a comma-separated list from a link
    }
    function select(name, options) {
      return h('select', { name: name, id: 'filter-' + name, 'data-testid': 'filter-' + name },
        options.map(function (o) {
          return h('option', { value: o, selected: o === filters[name] }, o || 'any');
        }));
    }
    function field(label, name, control) {
      return h('label', { 'class': 'field', 'for': 'filter-' + name }, h('span', null, label), control);
    }
    function input(name, type, placeholder) {
      return h('input', { type: type, name: name, id: 'filter-' + name, 'data-testid': 'filter-' + name,
        placeholder: placeholder, step: type === 'datetime-local' ? 1 : null, value: type === 'datetime-local' ? toLocalInput(filters[name]) : filters[name] });
    }
    var form = h('form', { 'class': 'filters', id: 'filters', 'data-testid': 'filters' },
      field('Status', 'status', select('status', statusOptions)),
      field('Topic', 'topic', input('topic', 'text', 'any')),
      field('Kind', 'kind', select('kind', [''].concat(KINDS))),
      field('Created since', 'since', input('since', 'datetime-local')),
      field('Created before', 'until', input('until', 'datetime-local')),
      field('Id prefix or idempotency key', 'q', input('q', 'search', 'e.g. 0195f3a2')),
      h('div', { 'class': 'filter-actions' },
        h('button', { type: 'submit', 'data-testid': 'filter-apply' }, 'Apply'),
        h('a', { href: '#/tasks', 'class': 'button-link', 'data-testid': 'filter-clear' }, 'Clear')));
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var next = {};
      LIST_FILTERS.forEach(function (k) {
        var v = form.elements[k].value.trim();
        if (form.elements[k].type === 'datetime-local') {
          v = fromLocalInput(v);
        }
        next[k] = v;
      });
      var target = tasksHash(next);
      if (location.hash === target) {
        route();
      } else {
        location.hash = target;
      }
    });
    return form;
  }

  /** RFC 3339 → the value of a datetime-local input (browser time zone, seconds kept). */
  function toLocalInput(iso) {
    if (!iso) {
      return '';
    }
    var d = new Date(iso);
    if (isNaN(d.getTime())) {
      return '';
    }
    return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + 'T' + pad(d.getHours()) + ':' +
      pad(d.getMinutes()) + ':' + pad(d.getSeconds());
  }

  function fromLocalInput(value) {
    if (!value) {
      return '';
    }
    var d = new Date(value);
    return isNaN(d.getTime()) ? value : d.toISOString().replace('.000Z', 'Z');
  }

  function renderTasks(page, filters, cursor) {
    var tasks = page.tasks || [];
    var out = [];
    if (!tasks.length) {
      out.push(h('p', { 'class': 'empty', 'data-testid': 'no-tasks' },
        cursor ? 'No more tasks.' : 'No tasks match these filters.'));
    } else {
      out.push(h('div', { 'class': 'scroll' }, h('table', { 'class': 'grid tasks', id: 'task-table', 'data-testid': 'task-table' },
        h('thead', null, h('tr', null,
          h('th', null, 'Id'), h('th', null, 'Topic'), h('th', null, 'Kind'), h('th', null, 'Type'),
          h('th', null, 'Status'), h('th', { 'class': 'num' }, 'Attempt'), h('th', null, 'Created' + zoneLabel()),
          h('th', null, 'Updated' + zoneLabel()), h('th', null, 'Output'))),
        h('tbody', null, tasks.map(taskRow)))));
    }
    var nav = h('div', { 'class': 'pager' });
    if (cursor) {
      nav.appendChild(h('a', { href: tasksHash(filters), 'class': 'button-link', 'data-testid': 'first-page' }, 'Newest'));
    }
    if (page.nextCursor) {
      var next = Object.assign({}, filters, { cursor: page.nextCursor });
      nav.appendChild(h('a', { href: tasksHash(next), 'class': 'button-link', id: 'next-page', 'data-testid': 'next-page' },
        'Next page →'));
    }
    out.push(nav);
    return out;
  }

  function taskRow(t) {
    return h('tr', { 'data-testid': 'task-row', 'data-task-id': t.id },
      // The first 8 digits of a UUIDv7 are its time, alike for neighbouring rows: show 18 characters,
      // a prefix that `conveyor tasks show` takes as it is.
      h('td', null, h('a', { href: taskHash(t.id), title: t.id, 'class': 'mono nowrap', 'data-testid': 'task-link' },
        String(t.id).substring(0, 18))),
      h('td', null, t.topic),
      h('td', null, dash(t.kind)),
      h('td', { title: t.type || '' }, dash(t.type)),
      h('td', null, badge(t.status)),
      h('td', { 'class': 'num', 'data-testid': 'task-attempt' }, t.attempt),
      h('td', { 'class': 'nowrap' }, shortTime(t.createdAt)),
      h('td', { 'class': 'nowrap' }, shortTime(t.updatedAt)),
      h('td', { title: t.output || '', 'data-testid': 'task-output-excerpt' },
        h('span', { 'class': 'clip output' }, excerpt(t.output, 120))));
  }

  // ---- task detail ----------------------------------------------------------------------------

  function taskDetail(id) {
    var body = h('div', { 'data-testid': 'task-body' }, h('p', { 'class': 'muted loading' }, 'Loading…'));
    var message = h('div', { id: 'action-message', 'data-testid': 'action-message', 'class': 'banner', hidden: true });
    viewEl.replaceChildren(h('section', { id: 'task', 'data-testid': 'task-detail' },
      h('p', { 'class': 'crumbs' }, h('a', { href: '#/tasks' }, '← Tasks')), message, body));

    function reload() {
      load(function (stillCurrent) {
        return api('GET', '/v1/tasks/' + encodeURIComponent(id)).then(function (task) {
          if (stillCurrent()) {
            fill(body, renderTask(task, act, reload));
          }
        });
      }, false);
    }

    function act(action, button) {
      if (action === 'cancel' && !window.confirm('Cancel task ' + id + '? A worker that receives it later will not run it.')) {
        return;
      }
      button.disabled = true;
      message.hidden = true;
      api('POST', '/v1/tasks/' + encodeURIComponent(id) + '/' + action)
        .then(function (answer) {
          say(message, 'ok', action === 'retry'
            ? 'Retried: attempt ' + answer.attempt + ' is ' + answer.status + '.'
            : 'Cancelled.');
        }, function (e) {
          if (e instanceof AuthRequired) {
            return;
          }
          say(message, 'error', (action === 'retry' ? 'Retry' : 'Cancel') + ' refused: ' +
            (e.detail || e.error) + (e.status ? ' (' + e.status + ')' : ''));
        })
        .then(reload);
    }

    reload();
  }

  function say(el, kind, text) {
    el.className = 'banner banner-' + kind;
    el.textContent = text;
    el.hidden = false;
  }

  function renderTask(t, act, reload) {
    var actions = h('div', { 'class': 'actions' });
    if (RETRYABLE.indexOf(t.status) >= 0) {
      var retry = h('button', { type: 'button', id: 'retry', 'data-testid': 'retry' }, 'Retry');
      retry.addEventListener('click', function () { act('retry', retry); });
      actions.appendChild(retry);
    }
    if (CANCELLABLE.indexOf(t.status) >= 0) {
      var cancel = h('button', { type: 'button', id: 'cancel', 'class': 'button-danger', 'data-testid': 'cancel' }, 'Cancel');
      cancel.addEventListener('click', function () { act('cancel', cancel); });
      actions.appendChild(cancel);
    }
    actions.appendChild(h('button', { type: 'button', 'class': 'button-quiet', 'data-testid': 'reload', onclick: reload },
      'Reload'));

    var fields = [
      ['Status', 'status', badge(t.status)],
      ['Attempt', 'attempt', t.attempt],
      ['Reschedules', 'reschedules', t.reschedules],
      ['Topic', 'topic', h('a', { href: tasksHash({ topic: t.topic }) }, t.topic)],
      ['Kind', 'kind', dash(t.kind)],
      ['Type', 'type', dash(t.type)],
      ['Extension', 'extension', dash(t.extension)],
      ['Content type', 'contentType', dash(t.contentType)],
      ['Created', 'createdAt', time(t.createdAt)],
      ['Updated', 'updatedAt', time(t.updatedAt)],
      ['Started', 'startedAt', time(t.startedAt)],
      ['Finished', 'finishedAt', time(t.finishedAt)],
      ['Next run', 'nextRunAt', time(t.nextRunAt)],
      ['Idempotency key', 'idempotencyKey', dash(t.idempotencyKey)],
      ['Trace id', 'traceId', dash(t.traceId)],
      ['Callback URL', 'callbackUrl', dash(t.callbackUrl)]
    ];
    var dl = h('dl', { 'class': 'fields', 'data-testid': 'task-fields' }, fields.map(function (f) {
      return [h('dt', null, f[0]), h('dd', { 'data-testid': 'field-' + f[1] }, f[2])];
    }));

    return [
      h('div', { 'class': 'title-row' },
        h('h1', null, 'Task ', h('span', { 'class': 'mono', 'data-testid': 'task-id' }, t.id)),
        actions),
      dl,
      block('Output', 'task-output', t.output === null || t.output === undefined ? null : String(t.output), 'no output'),
      block('Result', 'task-result', t.result === null || t.result === undefined ? null : JSON.stringify(t.result, null, 2),
        'no result'),
      payloadBlock(t),
      h('h2', null, 'History'),
      timeline(t.transitions || []),
      deliveries(t.deliveries || [])
    ];
  }

  /** Callback and notification deliveries of the task's final status, with each one's last outcome. */
  function deliveries(list) {
    if (!list.length) {
      return null;
    }
    return h('section', { 'class': 'block' }, h('h2', null, 'Deliveries'),
      h('table', { 'class': 'grid', 'data-testid': 'deliveries' },
        h('thead', null, h('tr', null, ['Target', 'For', 'URL', 'State', 'Attempts', 'Last answer', 'When']
          .map(function (c) { return h('th', null, c); }))),
        h('tbody', null, list.map(function (d) {
          var last = d.lastStatus ? 'HTTP ' + d.lastStatus : '';
          if (d.lastError) {
            last = last ? last + ' · ' + d.lastError : d.lastError;
          }
          var when = d.state === 'delivered' ? ['delivered ', time(d.deliveredAt)]
            : d.state === 'pending' && d.nextAttemptAt ? ['next try ', time(d.nextAttemptAt)] : null;
          return h('tr', { 'data-testid': 'delivery' },
            h('td', null, d.target), h('td', null, badge(d.status)), h('td', { 'class': 'mono small' }, d.url),
            h('td', null, d.state), h('td', { 'class': 'num' }, String(d.attempts)), h('td', null, dash(last || null)),
            h('td', null, when));
        }))));
  }

  function block(title, testid, text, empty) {
    return h('section', { 'class': 'block' }, h('h2', null, title),
      text === null ? h('p', { 'class': 'muted', 'data-testid': testid }, empty)
        : h('pre', { 'data-testid': testid }, text));
  }

  function payloadBlock(t) {
    var note;
    var text = null;
    if (t.payloadPreview !== null && t.payloadPreview !== undefined) {
      text = t.payloadPreview;
      if (!t.payloadTruncated && /json/i.test(t.contentType || '')) {
        try {
          text = JSON.stringify(JSON.parse(text), null, 2);
        } catch (ignored) {
          text = t.payloadPreview;
        }
      }
      note = t.payloadTruncated ? 'first 4 KiB of ' + number(t.payloadBytes) + ' bytes' : number(t.payloadBytes) + ' bytes';
    } else if (t.payloadBytes !== null && t.payloadBytes !== undefined) {
      note = number(t.payloadBytes) + ' bytes of ' + (t.contentType || 'binary data') + '; no text preview';
    } else {
      note = 'no payload stored';
    }
    return h('section', { 'class': 'block' }, h('h2', null, 'Payload ', h('span', { 'class': 'muted small' }, '(' + note + ')')),
      text === null ? null : h('pre', { 'data-testid': 'task-payload' }, text));
  }

  function timeline(transitions) {
    if (!transitions.length) {
      return h('p', { 'class': 'muted' }, 'No transitions recorded.');
    }
    return h('ol', { 'class': 'timeline', 'data-testid': 'transitions' }, transitions.map(function (tr) {
      return h('li', { 'data-testid': 'transition' },
        h('div', { 'class': 'tl-head' },
          tr.from ? badge(tr.from) : h('span', { 'class': 'muted' }, 'new'), h('span', { 'class': 'arrow' }, ' → '),
          badge(tr.to),
          h('span', { 'class': 'tl-meta' }, time(tr.at), ' · attempt ' + dash(tr.attempt),
            tr.node ? ' · node ' + tr.node : '')),
        tr.reason ? h('div', { 'class': 'tl-reason' }, tr.reason) : null);
    }));
  }

  // ---- start ----------------------------------------------------------------------------------

  updateToggle();
  updateSignOut();
  window.addEventListener('hashchange', route);
  route();
}());
