// otel-replay UI: copy buttons, confirmations, the live session list, lazy span trees.
"use strict";

function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    return navigator.clipboard.writeText(text);
  }
  const area = document.createElement("textarea");
  area.value = text;
  document.body.appendChild(area);
  area.select();
  document.execCommand("copy");
  area.remove();
  return Promise.resolve();
}

document.addEventListener("click", (event) => {
  const button = event.target.closest("button.copy");
  if (!button) return;
  event.preventDefault();
  copyText(button.dataset.copy).then(
    () => {
      button.classList.add("copied");
      setTimeout(() => button.classList.remove("copied"), 1200);
    },
    () => button.classList.add("copy-failed")
  );
});

document.addEventListener("submit", (event) => {
  const form = event.target.closest("form[data-confirm]");
  if (form && !window.confirm(form.dataset.confirm)) event.preventDefault();
});

// The first page of the session list asks for its rows again every few seconds, while the
// tab is visible, and swaps them in when they changed.
function startLiveRows(body) {
  const seconds = Math.max(1, Number(body.dataset.liveSeconds) || 3);
  let last = body.innerHTML.trim();
  let busy = false;
  setInterval(() => {
    if (busy || document.hidden) return;
    busy = true;
    fetch(body.dataset.liveSrc, { headers: { Accept: "text/html" } })
      .then((response) => (response.ok ? response.text() : null))
      .then((html) => {
        if (html !== null && html.trim() !== last) {
          last = html.trim();
          body.innerHTML = html;
        }
      })
      .catch(() => {})
      .finally(() => {
        busy = false;
      });
  }, seconds * 1000);
}

// A trace's span tree loads when its <details> opens.
function loadLazy(details) {
  if (!details.open || details.dataset.loaded) return;
  details.dataset.loaded = "1";
  const target = details.querySelector(".lazy-body");
  target.textContent = "loading…";
  fetch(details.dataset.src)
    .then((response) => response.text())
    .then((html) => {
      target.innerHTML = html;
    })
    .catch(() => {
      target.textContent = "could not load the span tree";
    });
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-live-src]").forEach(startLiveRows);
  document.querySelectorAll("details[data-src]").forEach((details) => {
    details.addEventListener("toggle", () => loadLazy(details));
  });
  // Opening a page at #span-ID unfolds that span.
  const target = location.hash && document.getElementById(location.hash.slice(1));
  if (target) {
    target.classList.add("target");
    const inner = target.querySelector("details");
    if (inner) inner.open = true;
  }
});
