/// <reference lib="dom" />
/** The model view's DOM helpers. Data are only ever set as text, never as HTML. */

export function byId(id: string): HTMLElement {
  const e = document.getElementById(id);
  if (!e) throw new Error(`The model view's page has no #${id}.`);
  return e;
}

export function el(tag: string, text?: string, cls?: string): HTMLElement {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

/** Replaces the rows of `table` with one row (label, value) per entry. */
export function fillTable(table: HTMLElement, rows: [string, string][]): void {
  table.replaceChildren(
    ...rows.map(([k, v]) => {
      const tr = el('tr');
      tr.append(el('th', k), el('td', v));
      return tr;
    }),
  );
}
