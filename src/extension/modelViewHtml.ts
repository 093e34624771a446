/**
 * The model view's HTML shell: a strict Content-Security-Policy (no inline code, no remote
 * anything; one script allowed by a fresh nonce; styles and images only from the extension's
 * files), the stylesheet and the script. Everything shown is built by the script
 * (src/extension/modelView/webview.ts) from data posted to it, as text, never as HTML.
 */
import * as crypto from 'node:crypto';

export interface ViewAssets {
  /** webview.cspSource */
  cspSource: string;
  scriptUri: string;
  styleUri: string;
}

export function makeNonce(): string {
  return crypto.randomBytes(16).toString('base64');
}

export function modelViewHtml(assets: ViewAssets, nonce: string): string {
  const csp = [
    "default-src 'none'",
    `img-src ${assets.cspSource} data:`,
    `style-src ${assets.cspSource}`,
    `script-src 'nonce-${nonce}'`,
    `font-src ${assets.cspSource}`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${assets.styleUri}">
<title>Charm: Model</title>
</head>
<body>
<main>
  <header><h1>Charm model</h1><p id="subtitle" class="muted">Loading…</p></header>
  <section id="training" hidden></section>
  <section>
    <h2>Loss</h2>
    <div id="chart" class="chart" role="img" aria-label="Training and validation loss per step"></div>
  </section>
  <div class="columns">
    <section><h2>Model</h2><table id="model"></table></section>
    <section><h2>Corpus</h2><table id="corpus"></table></section>
  </div>
  <section>
    <h2>Samples</h2>
    <form id="sample-form">
      <label for="prime">Start from</label>
      <input id="prime" type="text" placeholder="(empty: start of a file)" spellcheck="false">
      <button id="refresh" type="submit">Refresh samples</button>
    </form>
    <div id="samples" class="samples"></div>
  </section>
</main>
<script nonce="${nonce}" src="${assets.scriptUri}"></script>
</body>
</html>`;
}
