// Passkeys in the browser (WebAuthn): the Security page's Continue creates the passkey
// the server asked for and posts it with the form; Sign in with a passkey (a link, shown
// only when the browser can) and Use a passkey on the second step ask the browser for
// one of this portal's passkeys and sign in with it. The server's options and the browser's answers travel as JSON with
// binary fields in base64url.
(function () {
  'use strict';

  function bytesOf(text) {
    const base64 = text.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(text.length / 4) * 4, '=');
    const binary = atob(base64);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes.buffer;
  }

  function textOf(buffer) {
    let binary = '';
    for (const byte of new Uint8Array(buffer)) binary += String.fromCharCode(byte);
    return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  function creationOptions(options) {
    const key = options.publicKey;
    key.challenge = bytesOf(key.challenge);
    key.user.id = bytesOf(key.user.id);
    (key.excludeCredentials || []).forEach((credential) => { credential.id = bytesOf(credential.id); });
    // Kept on the authenticator, so that it can sign in without a login.
    key.authenticatorSelection = Object.assign({}, key.authenticatorSelection, {
      residentKey: 'required', requireResidentKey: true, userVerification: 'required',
    });
    return { publicKey: key };
  }

  function requestOptions(options) {
    const key = options.publicKey;
    key.challenge = bytesOf(key.challenge);
    (key.allowCredentials || []).forEach((credential) => { credential.id = bytesOf(credential.id); });
    // Asked for by a button press: the browser's own dialog, not autofill.
    return { publicKey: key };
  }

  function created(credential) {
    return {
      id: credential.id,
      rawId: textOf(credential.rawId),
      type: credential.type,
      response: {
        attestationObject: textOf(credential.response.attestationObject),
        clientDataJSON: textOf(credential.response.clientDataJSON),
      },
      extensions: credential.getClientExtensionResults(),
    };
  }

  function asserted(credential) {
    const response = credential.response;
    return {
      id: credential.id,
      rawId: textOf(credential.rawId),
      type: credential.type,
      response: {
        authenticatorData: textOf(response.authenticatorData),
        clientDataJSON: textOf(response.clientDataJSON),
        signature: textOf(response.signature),
        userHandle: response.userHandle ? textOf(response.userHandle) : null,
      },
      extensions: credential.getClientExtensionResults(),
    };
  }

  function say(scope, message) {
    const alert = scope.querySelector('[data-passkey-error]');
    if (!alert) return;
    alert.textContent = message;
    alert.hidden = false;
  }

  const CANCELLED = 'The passkey was not used: the browser or device said no, or it was cancelled.';

  function setUpCreate(form) {
    const button = form.querySelector('[data-passkey-create]');
    button.addEventListener('click', async () => {
      try {
        const credential = await navigator.credentials.create(creationOptions(JSON.parse(form.dataset.options)));
        form.querySelector('input[name="credential"]').value = JSON.stringify(created(credential));
        form.submit();
      } catch (error) {
        say(form.parentElement, CANCELLED);
      }
    });
  }

  function setUpSignIn(button) {
    const scope = button.closest('[data-passkey-scope]') || document;
    button.hidden = false;
    button.addEventListener('click', async (event) => {
      // A link on the sign-in page (so that **Sign in** stays the only button of that
      // name), a button on the second step: either way, no navigation.
      event.preventDefault();
      const token = document.querySelector('input[name="csrf_token"]').value;
      try {
        const begun = await fetch('/login/passkey/begin', { method: 'POST', headers: { 'X-CSRF-Token': token } });
        const options = await begun.json();
        if (!begun.ok) return say(scope, options.error);
        const credential = await navigator.credentials.get(requestOptions(options));
        const finished = await fetch('/login/passkey/finish', {
          method: 'POST',
          headers: { 'X-CSRF-Token': token, 'Content-Type': 'application/json' },
          body: JSON.stringify(asserted(credential)),
        });
        const answer = await finished.json();
        if (!finished.ok) return say(scope, answer.error);
        window.location.assign(answer.location);
      } catch (error) {
        say(scope, CANCELLED);
      }
    });
  }

  document.addEventListener('DOMContentLoaded', () => {
    if (!window.PublicKeyCredential) return;
    document.querySelectorAll('form[data-options]').forEach(setUpCreate);
    document.querySelectorAll('[data-passkey-sign-in]').forEach(setUpSignIn);
  });
})();
