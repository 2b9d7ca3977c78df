/**
 * The portal's own style sheet and its one script, served from the portal (no third-party assets;
 * the Content-Security-Policy allows nothing else). Kept as modules so the compiled form carries them.
 */

/** Colours meet WCAG 2.1 AA contrast (4.5:1 for text) on their backgrounds; focus is always visible. */
export const PORTAL_CSS = `
:root { --ink: #1a1a1a; --muted: #4a4a4a; --line: #c8c8c8; --link: #0b57d0; --bg: #ffffff; --soft: #f4f6f8; }
* { box-sizing: border-box; }
body { margin: 0; font: 1rem/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
a { color: var(--link); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, summary:focus-visible {
  outline: 3px solid var(--link); outline-offset: 2px; }
.skip { position: absolute; left: -9999px; top: 0; background: var(--ink); color: #fff; padding: .5rem 1rem; }
.skip:focus { left: 1rem; z-index: 10; color: #fff; }
header.site { border-bottom: 1px solid var(--line); background: var(--soft); }
.bar { max-width: 64rem; margin: 0 auto; padding: .75rem 1rem; display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; justify-content: space-between; }
.brand { font-weight: 700; font-size: 1.15rem; color: var(--ink); text-decoration: none; }
nav ul { list-style: none; margin: 0; padding: 0; display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; }
nav a[aria-current="page"] { font-weight: 700; }
.languages { display: flex; gap: .75rem; }
.languages a[aria-current="true"] { font-weight: 700; color: var(--ink); }
.who { color: var(--muted); }
main { max-width: 64rem; margin: 0 auto; padding: 1rem 1rem 3rem; }
footer { border-top: 1px solid var(--line); color: var(--muted); font-size: .9rem; }
footer p { max-width: 64rem; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.75rem; margin: 1rem 0 .5rem; }
h2 { font-size: 1.25rem; margin: 1.5rem 0 .5rem; }
h3 { font-size: 1.1rem; margin: 0 0 .25rem; }
button, .button { font: inherit; padding: .5rem 1rem; border-radius: 4px; border: 1px solid #0842a0; background: var(--link); color: #fff; cursor: pointer; text-decoration: none; display: inline-block; }
button.secondary, .button.secondary { background: #fff; color: var(--link); border-color: var(--link); }
form.inline { display: inline; }
.notice { border-left: 4px solid #8a5300; background: #fff4e0; padding: .5rem 1rem; margin: .5rem 0; }
.notice.info { border-color: var(--link); background: #e8f0fe; }
.notice.error { border-color: #a50e0e; background: #fde8e8; }
fieldset { border: 1px solid var(--line); border-radius: 4px; padding: .75rem 1rem; margin: 1rem 0; }
.fields { display: flex; flex-wrap: wrap; gap: 1rem; align-items: flex-end; }
.fields label { display: flex; flex-direction: column; gap: .25rem; font-weight: 600; }
input, select { font: inherit; padding: .35rem .5rem; border: 1px solid #767676; border-radius: 4px; background: #fff; color: var(--ink); }
ol.entries { list-style: none; padding: 0; margin: 0; }
ol.entries > li { border: 1px solid var(--line); border-radius: 6px; padding: .75rem 1rem; margin: .75rem 0; }
ol.entries h2 { margin-top: 0; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; margin: .5rem 0; }
dl.facts dt { font-weight: 600; color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.check { display: inline-block; padding: .1rem .5rem; border-radius: 999px; font-weight: 600; font-size: .9rem; }
.check.verified { background: #e6f4ea; color: #0a5c24; }
.check.pending { background: #fff4e0; color: #6e4400; }
.check.failed { background: #fde8e8; color: #8c0b0b; }
.paging { display: flex; gap: 1rem; align-items: center; flex-wrap: wrap; margin: 1rem 0; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
caption { text-align: left; font-weight: 600; padding: .5rem 0; }
code, pre { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: .9rem; overflow-wrap: anywhere; }
pre { background: var(--soft); padding: .75rem; overflow-x: auto; white-space: pre-wrap; }
progress { width: 100%; height: 1.25rem; }
.muted { color: var(--muted); }
.choice { display: block; margin: .25rem 0; }
`;

/**
 * Progress of a log verification: polls the job's status and updates the page in place, so the
 * auditor sees it advance without reloading (the page works without it: a refresh link is there).
 */
export const JOB_PROGRESS_JS = `
(function () {
  var root = document.querySelector('[data-job-status]');
  if (!root) return;
  var url = root.getAttribute('data-job-status');
  var bar = root.querySelector('progress');
  var text = root.querySelector('[data-job-text]');
  function tick() {
    fetch(url, { credentials: 'same-origin', headers: { accept: 'application/json' } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) {
        if (!s) return;
        if (bar && s.percent !== null) { bar.value = s.percent; bar.textContent = s.percent + '%'; }
        if (text) text.textContent = s.text;
        if (s.done) { window.location.reload(); return; }
        setTimeout(tick, 700);
      })
      .catch(function () { setTimeout(tick, 2000); });
  }
  setTimeout(tick, 500);
})();
`;
