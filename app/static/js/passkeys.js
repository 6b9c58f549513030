// Passkeys (WebAuthn): adding one on /account/security and signing in with one on /login.
// The server (app/routes/passkeys.py) sends the options as JSON with binary fields in base64url;
// this file turns them into ArrayBuffers for navigator.credentials, and the answer back into JSON.
// Every request carries the page's CSRF token in the X-CSRFToken header.
(function () {
  "use strict";

  // base64url <-> ArrayBuffer, by hand (RFC 4648 section 5, no padding).
  function toBuffer(base64url) {
    var base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) {
      base64 += "=";
    }
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) {
      bytes[i] = binary.charCodeAt(i);
    }
    return bytes.buffer;
  }

  function toBase64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) {
      binary += String.fromCharCode(bytes[i]);
    }
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  // POST JSON; resolves to the parsed answer, or rejects with a message a person can read.
  function postJSON(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body || {}),
    }).then(function (response) {
      return response
        .json()
        .catch(function () {
          return {};
        })
        .then(function (data) {
          if (!response.ok) {
            throw new Error(data.error || "Something went wrong (" + response.status + "). Reload the page and try again.");
          }
          return data;
        });
    });
  }

  function descriptors(list) {
    return (list || []).map(function (item) {
      return Object.assign({}, item, { id: toBuffer(item.id) });
    });
  }

  function creationOptions(options) {
    return Object.assign({}, options, {
      challenge: toBuffer(options.challenge),
      user: Object.assign({}, options.user, { id: toBuffer(options.user.id) }),
      excludeCredentials: descriptors(options.excludeCredentials),
    });
  }

  function requestOptions(options) {
    return Object.assign({}, options, {
      challenge: toBuffer(options.challenge),
      allowCredentials: descriptors(options.allowCredentials),
    });
  }

  // A PublicKeyCredential as JSON: its binary fields (those named in `fields`) in base64url.
  function credentialJSON(credential, fields) {
    var response = {};
    fields.forEach(function (field) {
      if (credential.response[field]) {
        response[field] = toBase64url(credential.response[field]);
      }
    });
    return {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || undefined,
      clientExtensionResults: credential.getClientExtensionResults(),
      response: response,
    };
  }

  function registrationJSON(credential) {
    var json = credentialJSON(credential, ["clientDataJSON", "attestationObject"]);
    json.response.transports = credential.response.getTransports ? credential.response.getTransports() : [];
    return json;
  }

  function authenticationJSON(credential) {
    return credentialJSON(credential, ["clientDataJSON", "authenticatorData", "signature", "userHandle"]);
  }

  // What went wrong, in words: the browser's own errors name the ceremony, not the person's choice.
  function explain(error) {
    if (error && error.name === "NotAllowedError") {
      return "The passkey request was cancelled or timed out.";
    }
    if (error && error.name === "InvalidStateError") {
      return "This device already holds a passkey for your account.";
    }
    if (error && error.name === "SecurityError") {
      return "Passkeys do not work at this address. Open the site by its name (for instance localhost).";
    }
    return (error && error.message) || "The passkey could not be used.";
  }

  function show(status, message, isError) {
    status.textContent = message;
    status.classList.toggle("text-danger", Boolean(isError));
  }

  var supported = Boolean(window.PublicKeyCredential && navigator.credentials);

  var registerForm = document.getElementById("passkey-register-form");
  if (registerForm) {
    var registerStatus = document.getElementById("passkey-register-status");
    if (!supported) {
      show(registerStatus, "This browser cannot create passkeys.", true);
      registerForm.querySelector("[type=submit]").disabled = true;
    }
    registerForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = registerForm.querySelector("[type=submit]");
      button.disabled = true;
      show(registerStatus, "Follow your browser's prompt to create the passkey…", false);
      var name = registerForm.querySelector('input[name="name"]').value;
      postJSON(registerForm.dataset.optionsUrl, { name: name })
        .then(function (options) {
          return navigator.credentials.create({ publicKey: creationOptions(options) });
        })
        .then(function (credential) {
          return postJSON(registerForm.dataset.registerUrl, { credential: registrationJSON(credential) });
        })
        .then(function (data) {
          window.location.assign(data.redirect);
        })
        .catch(function (error) {
          show(registerStatus, explain(error), true);
          button.disabled = false;
        });
    });
  }

  var signIn = document.getElementById("passkey-sign-in");
  if (signIn && supported) {
    var signInStatus = document.getElementById("passkey-sign-in-status");
    var signInButton = signIn.querySelector("button");
    signIn.hidden = false;
    signInButton.addEventListener("click", function () {
      signInButton.disabled = true;
      show(signInStatus, "Follow your browser's prompt to use your passkey…", false);
      var remember = document.querySelector('input[name="remember"]');
      postJSON(signIn.dataset.optionsUrl, {})
        .then(function (options) {
          return navigator.credentials.get({ publicKey: requestOptions(options) });
        })
        .then(function (credential) {
          return postJSON(signIn.dataset.signInUrl, {
            credential: authenticationJSON(credential),
            remember: Boolean(remember && remember.checked),
            next: signIn.dataset.next,
          });
        })
        .then(function (data) {
          window.location.assign(data.redirect);
        })
        .catch(function (error) {
          show(signInStatus, explain(error), true);
          signInButton.disabled = false;
        });
    });
  }
})();
