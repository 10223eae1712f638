import { useState } from "preact/hooks";
import { html } from "../html.js";
import { ApiError, login } from "../session.js";
import { Message } from "./kit.js";

function reason(exc) {
  if (!(exc instanceof ApiError)) return "Walang koneksyon sa server. Kailangan ng internet para mag-login.";
  if (exc.status === 429) return "Masyadong maraming maling subok. Maghintay muna bago subukan ulit.";
  if (/disabled/i.test(exc.message)) return "Naka-disable ang account na ito. Kausapin ang admin.";
  if (exc.status === 401 || exc.status === 403) return "Mali ang username o password.";
  return `Hindi naka-login: ${exc.message}`;
}

export function Login({ onDone }) {
  const [form, setForm] = useState({ username: "", password: "", device: "" });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  const field = (name) => ({ value: form[name], onInput: (e) => setForm({ ...form, [name]: e.currentTarget.value }) });

  const submit = async (event) => {
    event.preventDefault();
    setBusy(true);
    setError("");
    try {
      const device = form.device.trim() || `Phone ni ${form.username.trim()}`;
      await login(form.username.trim(), form.password, device);
      await onDone();
    } catch (exc) {
      setError(reason(exc));
    } finally {
      setBusy(false);
    }
  };

  return html`<main class="screen login">
    <h1 class="brand">Bodega</h1>
    <p class="lead">Mag-login para magamit ang phone na ito sa bodega. Isang beses lang ito; gumagana ang app kahit offline pagkatapos.</p>
    <form onSubmit=${submit} class="stack">
      <label>Username<input class="input" name="username" autocomplete="username" autocapitalize="none" required ...${field("username")} /></label>
      <label>Password<input class="input" name="password" type="password" autocomplete="current-password" required ...${field("password")} /></label>
      <label>Pangalan ng phone <small>(optional, hal. "Receiving phone 2")</small>
        <input class="input" name="device" maxlength="128" ...${field("device")} />
      </label>
      ${error && html`<${Message} kind="bad" testid="login-error">${error}</${Message}>`}
      <button class="btn btn-primary btn-big" type="submit" disabled=${busy}>${busy ? "Naglo-login…" : "Mag-login"}</button>
    </form>
  </main>`;
}
