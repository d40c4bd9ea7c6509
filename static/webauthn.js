// Security keys and passkeys: the browser's side of the WebAuthn ceremonies, for the buttons marked
// data-webauthn="register" (account page) and data-webauthn="login" (second step of the login). The server makes
// the options and checks the answers; this file only turns their base64url fields into bytes and back.
(function () {
  "use strict";

  function toBytes(text) {
    const base64 = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
    return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  }

  function toText(buffer) {
    if (!buffer) return null;
    let binary = "";
    new Uint8Array(buffer).forEach((b) => { binary += String.fromCharCode(b); });
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  async function post(button, url, body) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": button.dataset.csrf },
      body: JSON.stringify(body || {}),
    });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok || answer.error) throw new Error(answer.error || button.dataset.failed);
    return answer;
  }

  function say(button, text) {
    const status = document.getElementById(button.dataset.status);
    if (status) { status.textContent = text; status.hidden = !text; }
  }

  async function register(button) {
    const options = await post(button, button.dataset.options);
    options.challenge = toBytes(options.challenge);
    options.user.id = toBytes(options.user.id);
    (options.excludeCredentials || []).forEach((c) => { c.id = toBytes(c.id); });
    const made = await navigator.credentials.create({ publicKey: options });
    const name = document.getElementById(button.dataset.name);
    return post(button, button.dataset.submit, {
      name: name ? name.value : "",
      credential: {
        id: made.id,
        rawId: toText(made.rawId),
        type: made.type,
        response: {
          clientDataJSON: toText(made.response.clientDataJSON),
          attestationObject: toText(made.response.attestationObject),
          transports: made.response.getTransports ? made.response.getTransports() : [],
        },
        clientExtensionResults: made.getClientExtensionResults(),
      },
    });
  }

  async function signIn(button) {
    const options = await post(button, button.dataset.options);
    options.challenge = toBytes(options.challenge);
    (options.allowCredentials || []).forEach((c) => { c.id = toBytes(c.id); });
    const signed = await navigator.credentials.get({ publicKey: options });
    return post(button, button.dataset.submit, {
      id: signed.id,
      rawId: toText(signed.rawId),
      type: signed.type,
      response: {
        clientDataJSON: toText(signed.response.clientDataJSON),
        authenticatorData: toText(signed.response.authenticatorData),
        signature: toText(signed.response.signature),
        userHandle: toText(signed.response.userHandle),
      },
      clientExtensionResults: signed.getClientExtensionResults(),
    });
  }

  document.querySelectorAll("[data-webauthn]").forEach((button) => {
    if (!window.PublicKeyCredential) {
      button.disabled = true;
      say(button, button.dataset.unsupported);
      return;
    }
    button.addEventListener("click", async () => {
      button.disabled = true;
      say(button, "");
      try {
        const answer = await (button.dataset.webauthn === "register" ? register(button) : signIn(button));
        window.location.assign(answer.next);
      } catch (error) {
        say(button, error && error.name === "NotAllowedError" ? button.dataset.cancelled : (error.message || button.dataset.failed));
        button.disabled = false;
      }
    });
  });
})();
