// Navigation between pages, without a page load (hash routes).

let renderer = () => {};
let flashText = null;

export function setRenderer(render) {
  renderer = render;
}

/** Navigates to `#path` (e.g. "/search?q=덩크"). */
export function go(path) {
  if (location.hash === `#${path}`) renderer();
  else location.hash = path;
}

/** A message shown at the top of the next page. */
export function flash(text) {
  flashText = text;
}

export function takeFlash() {
  const text = flashText;
  flashText = null;
  return text;
}
