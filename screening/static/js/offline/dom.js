/* The page the app draws into: its root element, its strings and language, and small DOM
   helpers. The page is built with textContent and attributes, never from HTML strings. */

import { makeTranslator, timeFormatter } from "./text.js";

export const root = document.querySelector("[data-offline-app]");
export const LANG = document.documentElement.lang === "en" ? "en" : "da";
export const t = makeTranslator(root ? JSON.parse(root.dataset.strings) : {});
export const formatTime = timeFormatter(LANG);

export function $(id) {
  return document.getElementById(id);
}

/** A small element builder: h("li", {class: "x", onclick: fn}, "text", child, ...). */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "text") el.textContent = value;
    else if (name.slice(0, 2) === "on") el.addEventListener(name.slice(2), value);
    else if (value === true) el.setAttribute(name, "");
    else el.setAttribute(name, value);
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    el.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return el;
}

/** The message line under the sync bar (empty hides it). */
export function flash(text) {
  const el = $("app-message");
  el.textContent = text || "";
  el.hidden = !text;
}
