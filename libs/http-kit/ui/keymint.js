// Shared by keymint's pages, served in front of each page's own app.js: JSON over
// fetch with Basic credentials that the page keeps in memory only, and the
// page's status and error boxes (#status, #error).
'use strict';

window.keymintPage = (function () {
  class ApiError extends Error {
    constructor(status, description) {
      super(description);
      this.status = status;
    }
  }

  /** fetch + JSON; a failure becomes an ApiError carrying the server's description. */
  async function requestJson(url, { method = 'GET', authorization, body, unreachable }) {
    const headers = { Accept: 'application/json', Authorization: authorization };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let response;
    try {
      // credentials 'omit': no cookies, and no browser password prompt on 401.
      response = await fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: 'omit',
        cache: 'no-store',
      });
    } catch (error) {
      throw new ApiError(0, unreachable);
    }
    const text = await response.text();
    let data = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch (error) {
        data = null;
      }
    }
    if (!response.ok) {
      throw new ApiError(response.status, (data && (data.description || data.message)) || 'The request failed (HTTP ' + response.status + ').');
    }
    return data;
  }

  function basicAuthorization(username, password) {
    const bytes = new TextEncoder().encode(username + ':' + password);
    let binary = '';
    bytes.forEach((byte) => (binary += String.fromCharCode(byte)));
    return 'Basic ' + btoa(binary);
  }

  function say(message) {
    document.getElementById('status').textContent = message;
  }

  function showError(message) {
    const box = document.getElementById('error');
    box.textContent = message;
    box.hidden = !message;
  }

  /** The sign-in form's username and Basic authorization, or null (with a message) when a field is empty. */
  function readSignInForm() {
    showError('');
    const username = document.getElementById('sign-in-username').value.trim();
    const password = document.getElementById('sign-in-password').value;
    if (!username || !password) {
      showError('Enter your username and password.');
      return null;
    }
    return { username, authorization: basicAuthorization(username, password) };
  }

  /**
   * The sign-in form's submit handler. `authorize` keeps (or, on failure, drops) the
   * page's credentials; `check` is the signed-in page's first request, which proves the
   * credentials and the role; `opened` shows the page's own section. A 401 or 403 becomes
   * a plain message (`forbidden` says what the role is missing for).
   */
  function signInHandler({ authorize, check, forbidden, opened }) {
    return async function (event) {
      event.preventDefault();
      const credentials = readSignInForm();
      if (!credentials) return;
      authorize(credentials.authorization);
      const button = document.getElementById('sign-in-button');
      button.disabled = true;
      try {
        await check();
        document.getElementById('sign-in-password').value = '';
        document.getElementById('session-user').textContent = credentials.username;
        document.getElementById('session').hidden = false;
        document.getElementById('sign-in-section').hidden = true;
        await opened(credentials.username);
      } catch (error) {
        authorize(null);
        if (error instanceof ApiError && error.status === 401) showError('Wrong username or password.');
        else if (error instanceof ApiError && error.status === 403) showError(forbidden);
        else showError(error.message);
      } finally {
        button.disabled = false;
      }
    };
  }

  return { ApiError, requestJson, say, showError, signInHandler };
})();
