// keymint admin dashboard: plain JS on the analytics REST API, charts by Chart.js.
// The admin's credentials live only in the `session` variable below: never in
// localStorage, sessionStorage or cookies; reloading the page forgets them.
'use strict';

(function () {
  const API = '/api/analytics/v1';
  const GRANTS = [
    { id: 'client_credentials', label: 'Client credentials', color: '#0b5cad' },
    { id: 'password', label: 'Password', color: '#b3261e' },
    { id: 'refresh_token', label: 'Refresh token', color: '#2e7d32' },
  ];
  const HOUR = 3600 * 1000;
  const STEP = { minute: 60 * 1000, hour: HOUR, day: 24 * HOUR };

  let session = { authorization: null, username: null };
  const charts = { issuance: null, registered: null };
  let loading = false;

  const $ = (id) => document.getElementById(id);

  // ---------- HTTP ----------

  const { requestJson, say, showError, signInHandler } = window.keymintPage;

  function api(path) {
    return requestJson(API + path, { authorization: session.authorization, unreachable: 'The analytics service cannot be reached.' });
  }

  // ---------- sign in / out ----------

  const signIn = signInHandler({
    authorize: (authorization) => (session.authorization = authorization),
    check: () => api('/summary'), // the credentials and the admin right
    forbidden: 'Only administrators can see the analytics.',
    opened: async (username) => {
      session.username = username;
      $('dashboard').hidden = false;
      await refresh();
      $('range').focus();
    },
  });

  function signOut() {
    session = { authorization: null, username: null };
    for (const name of Object.keys(charts)) {
      if (charts[name]) charts[name].destroy();
      charts[name] = null;
    }
    for (const id of ['issuance-body', 'registered-body', 'top-users-body']) $(id).replaceChildren();
    $('dashboard').hidden = true;
    $('session').hidden = true;
    $('sign-in-section').hidden = false;
    say('Signed out.');
    $('sign-in-username').focus();
  }

  // ---------- time range ----------

  /** The chosen range and a granularity that keeps the line chart readable. */
  function chosenRange() {
    const choice = $('range').value;
    const now = Date.now();
    if (choice === '1h') return { from: new Date(now - HOUR), to: new Date(now), granularity: 'minute' };
    if (choice === '7d') return { from: new Date(now - 7 * 24 * HOUR), to: new Date(now), granularity: 'hour' };
    if (choice === 'custom') {
      const fromValue = $('range-from').value;
      const toValue = $('range-to').value;
      if (!fromValue || !toValue) throw new Error('Choose both the start and the end of the custom range.');
      const from = new Date(fromValue); // datetime-local is the browser's local time
      const to = new Date(toValue);
      if (isNaN(from.getTime()) || isNaN(to.getTime())) throw new Error('The custom range is not a valid date and time.');
      if (from > to) throw new Error('The start of the range must not be after its end.');
      const span = to - from;
      return { from, to, granularity: span <= 6 * HOUR ? 'minute' : span <= 10 * 24 * HOUR ? 'hour' : 'day' };
    }
    return { from: new Date(now - 24 * HOUR), to: new Date(now), granularity: 'hour' };
  }

  function toLocalInput(date) {
    const pad = (n) => String(n).padStart(2, '0');
    return date.getFullYear() + '-' + pad(date.getMonth() + 1) + '-' + pad(date.getDate()) + 'T' + pad(date.getHours()) + ':' + pad(date.getMinutes());
  }

  function onRangeChange() {
    const custom = $('range').value === 'custom';
    $('custom-from-field').hidden = !custom;
    $('custom-to-field').hidden = !custom;
    if (custom && !$('range-from').value) {
      const now = new Date();
      $('range-from').value = toLocalInput(new Date(now.getTime() - 24 * HOUR));
      $('range-to').value = toLocalInput(now);
    }
    if (!custom) void refresh();
  }

  // ---------- data ----------

  async function refresh() {
    if (!session.authorization || loading) return;
    showError('');
    let range;
    try {
      range = chosenRange();
    } catch (error) {
      showError(error.message);
      return;
    }
    loading = true;
    $('refresh').disabled = true;
    const query = 'from=' + encodeURIComponent(range.from.toISOString()) + '&to=' + encodeURIComponent(range.to.toISOString());
    try {
      const [summary, issuance, registered, topUsers] = await Promise.all([
        api('/summary?' + query),
        api('/token-issuance?' + query + '&granularity=' + range.granularity + '&limit=1000'),
        api('/applications/registered-users?' + query + '&limit=25'),
        api('/top-users?limit=5'),
      ]);
      renderSummary(summary);
      renderIssuance(issuance, range);
      renderRegistered(registered);
      renderTopUsers(topUsers);
      $('range-summary').textContent =
        'From ' + range.from.toLocaleString() + ' to ' + range.to.toLocaleString() + ' (' + range.granularity + ' buckets).';
      say('Updated at ' + new Date().toLocaleTimeString() + '.');
    } catch (error) {
      if (error.status === 401) {
        signOut();
        showError('Your session is no longer valid. Please sign in again.');
      } else {
        showError(error.message);
      }
    } finally {
      loading = false;
      $('refresh').disabled = false;
    }
  }

  function renderSummary(summary) {
    for (const grant of GRANTS) $('count-' + grant.id).textContent = String(summary.served[grant.id] || 0);
    $('count-reused').textContent = String(summary.reused);
    $('count-registered-users').textContent = String(summary.registeredUsers);
    $('count-applications').textContent = String(summary.applications);
    // Tokens handed out (reused ones included), like the tiles above; `unknown` shows only when there are such tokens.
    const methods = summary.clientAuthMethods || {};
    for (const method of ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'tls_client_auth', 'self_signed_tls_client_auth', 'unknown']) {
      $('method-' + method).textContent = String((methods[method] && methods[method].served) || 0);
    }
    $('method-unknown-tile').hidden = !(methods.unknown && methods.unknown.served > 0);
    const bindings = summary.tokenBindings || {};
    for (const binding of ['bearer', 'dpop', 'mtls']) {
      $('binding-' + binding).textContent = String((bindings[binding] && bindings[binding].served) || 0);
    }
  }

  /** The API's series is sparse: every bucket of the range gets a point, zero when empty. */
  function bucketStarts(range) {
    const step = STEP[range.granularity];
    const starts = [];
    for (let time = Math.floor(range.from.getTime() / step) * step; time <= range.to.getTime(); time += step) starts.push(time);
    return starts;
  }

  function bucketLabel(time, granularity) {
    const date = new Date(time);
    if (granularity === 'day') return date.toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
    return date.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
  }

  function renderIssuance(issuance, range) {
    const starts = bucketStarts(range);
    const index = new Map(starts.map((time, position) => [time, position]));
    const series = Object.fromEntries(GRANTS.map((grant) => [grant.id, starts.map(() => 0)]));
    for (const point of issuance.list) {
      const position = index.get(Date.parse(point.time));
      if (position !== undefined && series[point.grantType]) series[point.grantType][position] = point.served;
    }
    const labels = starts.map((time) => bucketLabel(time, range.granularity));

    const rows = starts
      .map((time, position) => ({ time, position }))
      .filter(({ position }) => GRANTS.some((grant) => series[grant.id][position] > 0))
      .map(({ time, position }) => tableRow([bucketLabel(time, range.granularity), ...GRANTS.map((grant) => String(series[grant.id][position]))], 1));
    $('issuance-body').replaceChildren(...(rows.length ? rows : [emptyRow(4, 'No tokens in this range.')]));

    if (!window.Chart) return;
    const datasets = GRANTS.map((grant) => ({
      label: grant.label,
      data: series[grant.id],
      borderColor: grant.color,
      backgroundColor: grant.color,
      pointRadius: starts.length > 80 ? 0 : 2,
      tension: 0,
    }));
    if (charts.issuance) charts.issuance.destroy();
    charts.issuance = new window.Chart($('issuance-chart'), {
      type: 'line',
      data: { labels, datasets },
      options: {
        animation: false,
        maintainAspectRatio: false,
        interaction: { mode: 'index', intersect: false },
        scales: { y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: 'Tokens' } }, x: { ticks: { maxTicksLimit: 12 } } },
      },
    });
  }

  function renderRegistered(result) {
    const list = result.list || [];
    const name = (row) => row.applicationName || row.applicationId;
    const rows = list.map((row) => tableRow([name(row), row.owner || '', String(row.registeredUsers)], 2));
    $('registered-body').replaceChildren(...(rows.length ? rows : [emptyRow(3, 'No applications yet.')]));
    if (!window.Chart) return;
    if (charts.registered) charts.registered.destroy();
    charts.registered = new window.Chart($('registered-chart'), {
      type: 'bar',
      data: {
        labels: list.map(name),
        datasets: [{ label: 'Registered users', data: list.map((row) => row.registeredUsers), backgroundColor: '#0b5cad', maxBarThickness: 80 }],
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        plugins: { legend: { display: false } },
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
      },
    });
  }

  function renderTopUsers(result) {
    const rows = [];
    for (const application of result.list || []) {
      for (const user of application.users) {
        rows.push(tableRow([application.applicationName || application.applicationId, user.username, String(user.tokenCount)], 2));
      }
    }
    $('top-users-body').replaceChildren(...(rows.length ? rows : [emptyRow(3, 'No user has a token yet (client credentials tokens have no user).')]));
  }

  /** A row whose first cell is its header; cells from `numberFrom` on are right-aligned numbers. */
  function tableRow(values, numberFrom) {
    const row = document.createElement('tr');
    values.forEach((value, position) => {
      const cell = document.createElement(position === 0 ? 'th' : 'td');
      if (position === 0) cell.scope = 'row';
      if (position >= numberFrom) cell.className = 'number';
      cell.textContent = value;
      row.append(cell);
    });
    return row;
  }

  function emptyRow(columns, message) {
    const row = document.createElement('tr');
    const cell = document.createElement('td');
    cell.colSpan = columns;
    cell.className = 'hint';
    cell.textContent = message;
    row.append(cell);
    return row;
  }

  document.addEventListener('DOMContentLoaded', () => {
    $('sign-in-form').addEventListener('submit', signIn);
    $('sign-out').addEventListener('click', signOut);
    $('range').addEventListener('change', onRangeChange);
    $('range-form').addEventListener('submit', (event) => {
      event.preventDefault();
      void refresh();
    });
    if (!window.Chart) say('The charting library did not load: the data is shown as tables.');
    $('sign-in-username').focus();
  });
})();
