// The office's web console: one page at /console, online only (no service worker), desktop-first.
import { render } from "preact";
import { html } from "../html.js";
import { App } from "./app.js";
import "./console.css";

render(html`<${App} />`, document.getElementById("console"));
document.documentElement.dataset.ready = "1";
