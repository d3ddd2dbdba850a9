// keymint Developer Portal: plain JS on the Developer Portal REST API.
// Credentials and secrets live only in the `session` variable below: never in
// localStorage, sessionStorage or cookies; reloading the page forgets them.
'use strict';

(function () {
  const API = '/api/am/devportal/v2';

  /** Everything the page knows; reset on sign-out. */
  let session = emptySession();

  function emptySession() {
    return {
      authorization: null,
      username: null,
      applications: [],
      current: null, // the open application (with its keys)
      keyType: 'PRODUCTION',
      secrets: {}, // keyMappingId -> consumer secret, this page load only
      freshSecret: null, // keyMappingId whose secret was just generated (shown once)
      editing: null, // applicationId being edited, or null for a new one
    };
  }

  const $ = (id) => document.getElementById(id);

  // ---------- HTTP ----------

  const { ApiError, requestJson, say, showError, signInHandler } = window.keymintPage;

  function api(method, path, body) {
    return requestJson(API + path, { method, authorization: session.authorization, body, unreachable: 'The server cannot be reached.' });
  }

  // ---------- messages ----------

  /** Runs an action, reporting its failure; a 401 after sign-in ends the session. */
  async function attempt(action) {
    showError('');
    try {
      await action();
    } catch (error) {
      if (error instanceof ApiError && error.status === 401 && session.authorization) {
        signOut();
        showError('Your session is no longer valid. Please sign in again.');
        return;
      }
      showError(error.message || String(error));
    }
  }

  // ---------- sign in / out ----------

  const signIn = signInHandler({
    authorize: (authorization) => (session.authorization = authorization),
    check: () => loadApplications(),
    forbidden: 'This user may not use the Developer Portal (it needs the subscriber or admin role).',
    opened: (username) => {
      session.username = username;
      $('portal').hidden = false;
      say('Signed in as ' + username + '.');
      $('applications-heading').focus();
    },
  });

  function signOut() {
    session = emptySession();
    $('session').hidden = true;
    $('portal').hidden = true;
    $('application-detail').hidden = true;
    $('application-form-section').hidden = true;
    $('sign-in-section').hidden = false;
    clearKeyView();
    $('applications-body').replaceChildren();
    say('Signed out.');
    $('sign-in-username').focus();
  }

  // ---------- applications ----------

  async function loadApplications() {
    const page = await api('GET', '/applications?limit=100&sortBy=name&sortOrder=asc');
    session.applications = page.list || [];
    renderApplications();
  }

  function renderApplications() {
    const body = $('applications-body');
    const rows = session.applications.map((application) => {
      const row = document.createElement('tr');
      const nameCell = document.createElement('th');
      nameCell.scope = 'row';
      const open = document.createElement('button');
      open.type = 'button';
      open.className = 'link';
      open.textContent = application.name;
      open.setAttribute('aria-label', 'Open application ' + application.name);
      open.addEventListener('click', () => attempt(() => openApplication(application.applicationId)));
      nameCell.append(open);
      row.append(nameCell, cell(application.tokenType), cell(application.throttlingPolicy), cell(application.description || ''));
      const actions = document.createElement('td');
      actions.className = 'actions';
      actions.append(
        smallButton('Edit', 'Edit application ' + application.name, () => attempt(() => editApplication(application.applicationId))),
        smallButton('Delete', 'Delete application ' + application.name, () => attempt(() => deleteApplication(application))),
      );
      row.append(actions);
      return row;
    });
    body.replaceChildren(...rows);
    $('applications-empty').hidden = rows.length > 0;
    $('applications-table').hidden = rows.length === 0;
  }

  function cell(text) {
    const td = document.createElement('td');
    td.textContent = text;
    return td;
  }

  function smallButton(text, label, onClick) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = text === 'Delete' ? 'danger small' : 'secondary small';
    button.textContent = text;
    button.setAttribute('aria-label', label);
    button.addEventListener('click', onClick);
    return button;
  }

  function showApplicationForm(application) {
    session.editing = application ? application.applicationId : null;
    $('application-form-heading').textContent = application ? 'Edit application ' + application.name : 'Add new application';
    $('application-name').value = application ? application.name : '';
    $('application-description').value = application ? application.description || '' : '';
    $('application-token-type').value = application ? application.tokenType : 'JWT';
    $('application-throttling').value = application ? application.throttlingPolicy : 'Unlimited';
    $('application-form-section').hidden = false;
    $('application-name').focus();
  }

  async function editApplication(applicationId) {
    const application = await api('GET', '/applications/' + encodeURIComponent(applicationId));
    showApplicationForm(application);
  }

  async function saveApplication(event) {
    event.preventDefault();
    const name = $('application-name').value.trim();
    if (!name) {
      showError('The application name is required.');
      $('application-name').focus();
      return;
    }
    const body = {
      name,
      description: $('application-description').value,
      tokenType: $('application-token-type').value,
      throttlingPolicy: $('application-throttling').value,
    };
    await attempt(async () => {
      let saved;
      const editing = Boolean(session.editing);
      if (editing) {
        // PUT replaces every writable field: keep the attributes the page does not edit.
        const existing = await api('GET', '/applications/' + encodeURIComponent(session.editing));
        body.attributes = existing.attributes || {};
        saved = await api('PUT', '/applications/' + encodeURIComponent(session.editing), body);
      } else {
        saved = await api('POST', '/applications', body);
      }
      $('application-form-section').hidden = true;
      session.editing = null;
      await loadApplications();
      await openApplication(saved.applicationId);
      // Announce once the page shows the change.
      say('Application ' + saved.name + (editing ? ' saved.' : ' created.'));
    });
  }

  async function deleteApplication(application) {
    if (!window.confirm('Delete application ' + application.name + '? Its keys and tokens stop working.')) return;
    await api('DELETE', '/applications/' + encodeURIComponent(application.applicationId));
    if (session.current && session.current.applicationId === application.applicationId) {
      session.current = null;
      $('application-detail').hidden = true;
    }
    // Refresh the list before announcing, so the message never describes a list that still shows the application.
    await loadApplications();
    say('Application ' + application.name + ' deleted.');
  }

  async function openApplication(applicationId) {
    const application = await api('GET', '/applications/' + encodeURIComponent(applicationId));
    const changed = !session.current || session.current.applicationId !== application.applicationId;
    session.current = application;
    if (changed) {
      session.keyType = 'PRODUCTION';
      session.freshSecret = null;
      $('token-result').hidden = true;
    }
    $('detail-heading').textContent = application.name;
    $('detail-meta').textContent =
      'Owner ' + application.owner + ' · token type ' + application.tokenType + ' · ' + application.throttlingPolicy +
      (application.description ? ' · ' + application.description : '');
    $('application-detail').hidden = false;
    renderKeyTab();
    if (changed) $('detail-heading').focus();
  }

  // ---------- keys ----------

  function currentKey() {
    const keys = (session.current && session.current.keys) || [];
    return keys.find((key) => key.keyType === session.keyType) || null;
  }

  function selectTab(keyType, focus) {
    session.keyType = keyType;
    session.freshSecret = null;
    $('token-result').hidden = true;
    renderKeyTab();
    if (focus) (keyType === 'PRODUCTION' ? $('tab-production') : $('tab-sandbox')).focus();
  }

  function renderKeyTab() {
    for (const tab of document.querySelectorAll('[role="tab"]')) {
      const selected = tab.dataset.keyType === session.keyType;
      tab.setAttribute('aria-selected', String(selected));
      tab.tabIndex = selected ? 0 : -1;
    }
    $('keys-panel').setAttribute('aria-labelledby', session.keyType === 'PRODUCTION' ? 'tab-production' : 'tab-sandbox');
    const key = currentKey();
    const grants = key ? key.supportedGrantTypes || [] : [];
    for (const box of document.querySelectorAll('input[name="grantType"]')) box.checked = grants.includes(box.value);
    $('key-scopes').value = key ? (key.scopes || []).join(' ') : '';
    $('key-validity').value = key ? String(key.validityTime) : '3600';
    $('key-callback').value = key && key.callbackUrl ? key.callbackUrl : '';
    $('key-resources').value = key ? (key.resources || []).join('\n') : '';
    const methods = key ? key.tokenEndpointAuthMethods || [] : ['client_secret_basic', 'client_secret_post'];
    for (const box of document.querySelectorAll('input[name="authMethod"]')) box.checked = methods.includes(box.value);
    $('key-jwks').value = key && key.jwks ? JSON.stringify(key.jwks, null, 2) : '';
    $('key-subject-dn').value = key && key.tlsClientAuthSubjectDn ? key.tlsClientAuthSubjectDn : '';
    $('key-require-dpop').checked = Boolean(key && key.requireDpop);
    showCredentialFields();
    $('generate-keys').hidden = Boolean(key);
    $('update-keys').hidden = !key;
    $('regenerate-secret').hidden = !key;
    if (!key) {
      clearKeyView();
      return;
    }
    $('key-details').hidden = false;
    $('consumer-key').value = key.consumerKey;
    const secret = session.secrets[key.keyMappingId];
    const showSecret = Boolean(secret) && session.freshSecret === key.keyMappingId;
    $('secret-box').hidden = !showSecret;
    $('consumer-secret').value = showSecret ? secret : '';
    $('token-secret').value = secret || '';
    $('token-validity').value = String(key.validityTime || 3600);
    renderCurl(key, secret);
    void attempt(() => loadSecrets(key));
  }

  // ---------- consumer secrets (several per key) ----------

  /** A secret that expires within this many days gets a warning. */
  const EXPIRY_WARNING_DAYS = 7;
  const DAY_MS = 24 * 3600 * 1000;

  function keyPath(key) {
    return '/applications/' + encodeURIComponent(session.current.applicationId) + '/oauth-keys/' + encodeURIComponent(key.keyMappingId);
  }

  /** Times as UTC minutes, the same for every viewer. */
  function shownTime(value) {
    return value === null || value === undefined ? '' : new Date(value).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
  }

  async function loadSecrets(key) {
    const secrets = await api('GET', keyPath(key) + '/secrets');
    // The tab may have changed while the list was on its way.
    if (currentKey() !== key) return;
    renderSecrets(key, secrets.list || []);
  }

  function renderSecrets(key, secrets) {
    const rows = $('secrets-rows');
    rows.textContent = '';
    const now = Date.now();
    let expiringSoon = 0;
    for (const secret of secrets) {
      const row = document.createElement('tr');
      const expiresAt = secret.expiresAt === null || secret.expiresAt === undefined ? null : new Date(secret.expiresAt).getTime();
      const soon = secret.status === 'ACTIVE' && expiresAt !== null && expiresAt - now < EXPIRY_WARNING_DAYS * DAY_MS;
      if (soon) expiringSoon += 1;
      const cells = [
        secret.description || '',
        shownTime(secret.createdAt),
        expiresAt === null ? 'never' : shownTime(secret.expiresAt) + (soon ? ' (soon)' : ''),
        secret.lastUsedAt ? shownTime(secret.lastUsedAt) : 'not yet',
        secret.status,
      ];
      for (const text of cells) {
        const cell = document.createElement('td');
        cell.textContent = text;
        row.appendChild(cell);
      }
      const actions = document.createElement('td');
      if (secret.status === 'ACTIVE') {
        const revoke = document.createElement('button');
        revoke.type = 'button';
        revoke.className = 'danger';
        revoke.textContent = 'Revoke';
        revoke.setAttribute('aria-label', 'Revoke secret ' + (secret.description || 'created ' + shownTime(secret.createdAt)));
        revoke.addEventListener('click', () => attempt(() => revokeSecret(key, secret)));
        actions.appendChild(revoke);
      }
      row.appendChild(actions);
      rows.appendChild(row);
    }
    $('secrets-warning').hidden = expiringSoon === 0;
    $('secrets-warning').textContent =
      expiringSoon === 1
        ? 'A secret expires within ' + EXPIRY_WARNING_DAYS + ' days: add a new one and deploy it before then.'
        : expiringSoon + ' secrets expire within ' + EXPIRY_WARNING_DAYS + ' days: add a new one and deploy it before then.';
  }

  async function addSecret(event) {
    event.preventDefault();
    await attempt(async () => {
      const key = currentKey();
      if (!key) throw new Error('Generate keys first.');
      const description = $('secret-description').value.trim();
      const days = $('secret-expiry').value.trim();
      if (days && !/^[1-9][0-9]*$/.test(days)) throw new Error('The expiry must be a positive whole number of days, or empty for none.');
      const body = {};
      if (description) body.description = description;
      if (days) body.expiresIn = Number(days) * 24 * 3600;
      $('add-secret').disabled = true;
      try {
        const added = await api('POST', keyPath(key) + '/generate-secret', body);
        session.secrets[key.keyMappingId] = added.consumerSecret;
        session.freshSecret = key.keyMappingId;
        $('secret-description').value = '';
        $('secret-expiry').value = '';
        renderKeyTab();
        say('New consumer secret added; the others keep working. Copy it now: it is shown only once.');
        $('consumer-secret').focus();
      } finally {
        $('add-secret').disabled = false;
      }
    });
  }

  async function revokeSecret(key, secret) {
    const name = secret.description ? '"' + secret.description + '"' : 'created ' + shownTime(secret.createdAt);
    if (!window.confirm('Revoke the secret ' + name + '? It stops working at once; tokens already issued with it keep working until they expire.')) return;
    await api('POST', keyPath(key) + '/revoke-secret', { secretId: secret.secretId });
    await loadSecrets(key);
    say('Secret ' + name + ' revoked.');
  }

  function clearKeyView() {
    $('key-details').hidden = true;
    $('secret-box').hidden = true;
    $('consumer-secret').value = '';
    $('consumer-key').value = '';
    $('token-secret').value = '';
    $('access-token').value = '';
    $('curl-command').value = '';
    $('secrets-rows').textContent = '';
    $('secrets-warning').hidden = true;
  }

  /** The command exactly as WSO2's Developer Portal shows it. */
  function renderCurl(key, secret) {
    const tokenUrl = document.body.dataset.tokenUrl || 'https://localhost:8243/token';
    const credentials = secret ? btoa(key.consumerKey + ':' + secret) : '<Base64(consumer-key:consumer-secret)>';
    $('curl-command').value =
      'curl -k -d "grant_type=client_credentials" -H "Authorization: Basic ' + credentials + '" ' +
      '-H "Content-Type: application/x-www-form-urlencoded" ' + tokenUrl;
    $('curl-hint').textContent = secret
      ? 'Get a token with client credentials from the token endpoint:'
      : 'The consumer secret is not known to this page any more: fill in the Base64 of key:secret, or regenerate the secret.';
  }

  /** The JWK Set box shows while a private key or a registered certificate is ticked, the subject DN while a CA-issued certificate is. */
  function showCredentialFields() {
    $('jwks-field').hidden = !$('auth-private-key-jwt').checked && !$('auth-self-signed-tls-client-auth').checked;
    $('subject-dn-field').hidden = !$('auth-tls-client-auth').checked;
  }

  /**
   * The client authentication part of the key form: the methods, the JWK Set when a private key or a registered
   * certificate is allowed, the subject DN when a CA-issued certificate is (an emptied one: '' removes it), and
   * whether DPoP is required.
   */
  function authenticationValues() {
    const methods = [...document.querySelectorAll('input[name="authMethod"]:checked')].map((box) => box.value);
    if (methods.length === 0) throw new Error('Choose at least one way for the client to authenticate.');
    const values = { tokenEndpointAuthMethods: methods, requireDpop: $('key-require-dpop').checked };
    const text = $('key-jwks').value.trim();
    if (methods.includes('private_key_jwt') || methods.includes('self_signed_tls_client_auth')) {
      if (!text) throw new Error('Paste the public keys (a JWK Set) the private key signs for, or of the registered certificates.');
      try {
        values.jwks = JSON.parse(text);
      } catch (error) {
        throw new Error('The public keys must be JSON: a JWK Set {"keys": [ ... ]}.');
      }
    }
    const subjectDn = $('key-subject-dn').value.trim();
    if (methods.includes('tls_client_auth') && !subjectDn) throw new Error("Fill in the subject DN of the client's certificates.");
    values.tlsClientAuthSubjectDn = subjectDn;
    return values;
  }

  function keyFormValues() {
    const grantTypes = [...document.querySelectorAll('input[name="grantType"]:checked')].map((box) => box.value);
    const scopes = $('key-scopes').value.split(/[\s,]+/).filter(Boolean);
    const validity = $('key-validity').value.trim();
    if (grantTypes.length === 0) throw new Error('Choose at least one grant type.');
    if (!/^[1-9][0-9]*$/.test(validity)) throw new Error('The token validity period must be a positive whole number of seconds.');
    // One URI per line, blank lines ignored; the registry says what is wrong with one that is not a resource.
    const resources = $('key-resources').value.split('\n').map((line) => line.trim()).filter(Boolean);
    return { grantTypes, scopes, validityTime: Number(validity), callbackUrl: $('key-callback').value.trim(), resources, ...authenticationValues() };
  }

  /**
   * The settings generate-keys and the update send alike (each names the grant types its own way). The optional
   * text fields go when filled in, or, on an update, when the key had one (an emptied field removes it).
   */
  function keySettings(values, key) {
    const settings = {
      scopes: values.scopes,
      validityTime: values.validityTime,
      tokenEndpointAuthMethods: values.tokenEndpointAuthMethods,
      resources: values.resources,
      requireDpop: values.requireDpop,
    };
    if (values.jwks) settings.jwks = values.jwks;
    for (const name of ['tlsClientAuthSubjectDn', 'callbackUrl']) if (values[name] || (key && key[name])) settings[name] = values[name];
    return settings;
  }

  async function generateKeys(event) {
    event.preventDefault();
    if (currentKey()) return updateKeys();
    await attempt(async () => {
      const values = keyFormValues();
      const applicationId = session.current.applicationId;
      const body = { keyType: session.keyType, grantTypesToBeSupported: values.grantTypes, ...keySettings(values, null) };
      $('generate-keys').disabled = true;
      try {
        const generated = await api('POST', '/applications/' + encodeURIComponent(applicationId) + '/generate-keys', body);
        session.secrets[generated.keyMappingId] = generated.consumerSecret;
        session.freshSecret = generated.keyMappingId;
        await openApplication(applicationId);
        say(label(session.keyType) + ' keys generated. Copy the consumer secret now: it is shown only once.');
        $('consumer-secret').focus();
      } finally {
        $('generate-keys').disabled = false;
      }
    });
  }

  async function updateKeys() {
    await attempt(async () => {
      const key = currentKey();
      const values = keyFormValues();
      const body = { supportedGrantTypes: values.grantTypes, ...keySettings(values, key) };
      await api('PUT', '/applications/' + encodeURIComponent(session.current.applicationId) + '/oauth-keys/' + encodeURIComponent(key.keyMappingId), body);
      await openApplication(session.current.applicationId);
      say(label(session.keyType) + ' keys updated.');
    });
  }

  async function regenerateSecret() {
    const key = currentKey();
    if (!key) return;
    if (!window.confirm('Regenerate the consumer secret? Every other secret of this key and the tokens issued with it stop working at once (to rotate without downtime, add a secret instead).')) return;
    await attempt(async () => {
      const result = await api(
        'POST',
        '/applications/' + encodeURIComponent(session.current.applicationId) + '/oauth-keys/' + encodeURIComponent(key.keyMappingId) + '/regenerate-secret',
      );
      session.secrets[key.keyMappingId] = result.consumerSecret;
      session.freshSecret = key.keyMappingId;
      renderKeyTab();
      say('New consumer secret generated. Copy it now: it is shown only once.');
      $('consumer-secret').focus();
    });
  }

  async function generateToken(event) {
    event.preventDefault();
    await attempt(async () => {
      const key = currentKey();
      if (!key) throw new Error('Generate keys first.');
      const secret = $('token-secret').value;
      if (!secret) throw new Error('Enter the consumer secret.');
      const validity = $('token-validity').value.trim();
      if (validity && !/^[1-9][0-9]*$/.test(validity)) throw new Error('The validity period must be a positive whole number of seconds.');
      const body = {
        consumerSecret: secret,
        validityPeriod: validity ? Number(validity) : -1,
        scopes: $('token-scopes').value.split(/[\s,]+/).filter(Boolean),
      };
      $('generate-token').disabled = true;
      try {
        const token = await api(
          'POST',
          '/applications/' + encodeURIComponent(session.current.applicationId) + '/oauth-keys/' + encodeURIComponent(key.keyMappingId) + '/generate-token',
          body,
        );
        $('access-token').value = token.accessToken;
        $('token-info').textContent =
          'Scopes: ' + ((token.tokenScopes || []).join(' ') || '(none)') + ' · valid for ' + token.validityTime + ' seconds.';
        $('token-result').hidden = false;
        say('Access token generated.');
        $('access-token').focus();
      } finally {
        $('generate-token').disabled = false;
      }
    });
  }

  function label(keyType) {
    return keyType === 'PRODUCTION' ? 'Production' : 'Sandbox';
  }

  // ---------- copy buttons ----------

  async function copyFrom(id, button) {
    const field = $(id);
    let copied = false;
    try {
      if (navigator.clipboard && window.isSecureContext) {
        await navigator.clipboard.writeText(field.value);
        copied = true;
      }
    } catch (error) {
      copied = false;
    }
    if (!copied) {
      field.select();
      copied = document.execCommand('copy');
    }
    const original = button.textContent;
    button.textContent = copied ? 'Copied' : 'Press Ctrl+C';
    say(copied ? 'Copied to the clipboard.' : 'Selected: press Ctrl+C to copy.');
    setTimeout(() => (button.textContent = original), 1500);
  }

  // ---------- wiring ----------

  function onTabKey(event) {
    const order = ['PRODUCTION', 'SANDBOX'];
    const index = order.indexOf(session.keyType);
    let next = null;
    if (event.key === 'ArrowRight' || event.key === 'ArrowDown') next = order[(index + 1) % order.length];
    else if (event.key === 'ArrowLeft' || event.key === 'ArrowUp') next = order[(index + order.length - 1) % order.length];
    else if (event.key === 'Home') next = order[0];
    else if (event.key === 'End') next = order[order.length - 1];
    if (next) {
      event.preventDefault();
      selectTab(next, true);
    }
  }

  document.addEventListener('DOMContentLoaded', () => {
    $('sign-in-form').addEventListener('submit', signIn);
    $('sign-out').addEventListener('click', signOut);
    $('new-application').addEventListener('click', () => showApplicationForm(null));
    $('application-form').addEventListener('submit', saveApplication);
    $('application-cancel').addEventListener('click', () => {
      $('application-form-section').hidden = true;
      session.editing = null;
      $('new-application').focus();
    });
    $('detail-edit').addEventListener('click', () => session.current && showApplicationForm(session.current));
    $('detail-delete').addEventListener('click', () => session.current && attempt(() => deleteApplication(session.current)));
    for (const tab of document.querySelectorAll('[role="tab"]')) {
      tab.addEventListener('click', () => selectTab(tab.dataset.keyType, false));
      tab.addEventListener('keydown', onTabKey);
    }
    $('key-form').addEventListener('submit', generateKeys);
    $('update-keys').addEventListener('click', updateKeys);
    $('regenerate-secret').addEventListener('click', regenerateSecret);
    $('secret-form').addEventListener('submit', addSecret);
    for (const id of ['auth-private-key-jwt', 'auth-tls-client-auth', 'auth-self-signed-tls-client-auth']) $(id).addEventListener('change', showCredentialFields);
    $('token-form').addEventListener('submit', generateToken);
    for (const button of document.querySelectorAll('button[data-copy]')) {
      button.addEventListener('click', () => copyFrom(button.dataset.copy, button));
    }
    $('sign-in-username').focus();
  });

})();
