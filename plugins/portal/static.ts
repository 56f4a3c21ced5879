/**
 * The console's stylesheet, served from `/portal/static/`. It lives in the
 * code rather than in a file so that the single binary carries it; the
 * console has no script at all, so every page works without JavaScript.
 *
 * @module
 */
export const STYLESHEET = `
:root { color-scheme: light; --ink: #1b1f24; --muted: #555f6b; --line: #c9d1d9;
  --accent: #0b5cad; --bad: #a4161a; --good: #1a6e2e; --bg: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, sans-serif; color: var(--ink); background: #fff; }
.skip { position: absolute; left: -999px; }
.skip:focus { left: 1rem; top: 1rem; background: #fff; padding: .5rem; z-index: 1; }
header { background: var(--bg); border-bottom: 1px solid var(--line); padding: .5rem 1.5rem; }
.brand { font-weight: 700; margin: 0 0 .25rem; }
nav ul { list-style: none; display: flex; flex-wrap: wrap; gap: .25rem 1rem;
  margin: 0; padding: 0; }
nav a[aria-current="page"] { font-weight: 700; text-decoration: underline 2px; }
.sign-out { display: flex; gap: .5rem; align-items: center; justify-content: flex-end; }
main { padding: 1rem 1.5rem 3rem; max-width: 72rem; }
main:focus { outline: none; }
h1 { font-size: 1.5rem; margin-top: .5rem; }
h2 { font-size: 1.2rem; margin-top: 2rem; }
a { color: var(--accent); }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--line);
  vertical-align: top; }
th { background: var(--bg); }
td.wrap, code.wrap { word-break: break-all; }
form { margin: .5rem 0 1rem; }
form.inline { display: inline-block; margin: 0 .25rem 0 0; }
fieldset { border: 1px solid var(--line); padding: .75rem 1rem; margin: 0 0 1rem; }
.field { margin: 0 0 .75rem; }
.field label { display: block; font-weight: 600; }
.field input:not([type="checkbox"]), .field select, .field textarea { width: 100%;
  max-width: 36rem; padding: .35rem; font: inherit; border: 1px solid var(--muted); }
.field textarea { font-family: ui-monospace, monospace; font-size: .85rem; }
.field.invalid input, .field.invalid textarea, .field.invalid select {
  border: 2px solid var(--bad); }
.hint { color: var(--muted); margin: 0; font-size: .9rem; }
.error { color: var(--bad); font-weight: 600; margin: .25rem 0 0; }
.alert { color: var(--bad); border-left: 4px solid var(--bad); padding: .5rem .75rem;
  background: #fdecea; }
.notice { border-left: 4px solid var(--good); padding: .5rem .75rem; background: #e8f5ec; }
.secret { font-family: ui-monospace, monospace; background: var(--bg); padding: .5rem;
  border: 1px dashed var(--muted); word-break: break-all; }
button, a.button { font: inherit; padding: .35rem .9rem; border: 1px solid var(--accent);
  background: var(--accent); color: #fff; cursor: pointer; text-decoration: none;
  display: inline-block; }
button.secondary, a.button.secondary { background: #fff; color: var(--accent); }
button.danger, a.button.danger { background: var(--bad); border-color: var(--bad); color: #fff; }
.actions { display: flex; gap: .75rem; align-items: center; flex-wrap: wrap; }
.actions form { margin: 0; }
td.none { color: var(--muted); font-style: italic; }
.status-ok { color: var(--good); font-weight: 600; }
.status-bad { color: var(--bad); font-weight: 600; }
dl.details { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }
dl.details dt { font-weight: 600; }
dl.details dd { margin: 0; word-break: break-all; }
.problem { padding: 2rem; }
`;
