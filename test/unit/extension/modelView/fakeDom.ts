/**
 * Just enough of a DOM to run the model view's bundled script in Node (node:vm): the elements of
 * the real HTML shell by id, element creation, text, attributes, classes and events. Text set on
 * an element is only ever a text node, as in the browser, so a test can see what would render.
 */

class FakeText {
  constructor(readonly data: string) {}
  get textContent(): string {
    return this.data;
  }
}

type Child = FakeElement | FakeText;

export class FakeElement {
  children: Child[] = [];
  readonly attributes = new Map<string, string>();
  className = '';
  hidden = false;
  value = '';
  private readonly listeners = new Map<string, ((event: unknown) => void)[]>();

  constructor(
    readonly tagName: string,
    readonly namespace?: string,
  ) {}

  get textContent(): string {
    return this.children.map((c) => c.textContent).join('');
  }

  set textContent(text: string) {
    this.children = text === '' ? [] : [new FakeText(text)];
  }

  get classList() {
    const classes = () => this.className.split(/\s+/).filter(Boolean);
    return {
      add: (c: string) => {
        if (!classes().includes(c)) this.className = [...classes(), c].join(' ');
      },
      remove: (c: string) => {
        this.className = classes()
          .filter((x) => x !== c)
          .join(' ');
      },
      contains: (c: string) => classes().includes(c),
    };
  }

  append(...nodes: Child[]): void {
    this.children.push(...nodes);
  }

  replaceChildren(...nodes: Child[]): void {
    this.children = [...nodes];
  }

  setAttribute(name: string, value: string): void {
    this.attributes.set(name, value);
    if (name === 'class') this.className = value;
  }

  addEventListener(type: string, listener: (event: unknown) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }

  dispatch(type: string, event: unknown): void {
    for (const l of this.listeners.get(type) ?? []) l(event);
  }

  /** Every element below this one (depth first) that `test` accepts. */
  findAll(test: (e: FakeElement) => boolean): FakeElement[] {
    const out: FakeElement[] = [];
    for (const c of this.children) {
      if (!(c instanceof FakeElement)) continue;
      if (test(c)) out.push(c);
      out.push(...c.findAll(test));
    }
    return out;
  }
}

/** Elements of tag `tag` with all of `classes` (a tiny `querySelectorAll('tag.a.b')`). */
export function having(tag: string, ...classes: string[]): (e: FakeElement) => boolean {
  return (e) => e.tagName === tag && classes.every((c) => e.classList.contains(c));
}

/** A page with one element per `id="…"` of `html` (the real shell), and the globals a webview script sees. */
export function fakePage(html: string) {
  const byId = new Map<string, FakeElement>();
  for (const m of html.matchAll(/<(\w+)[^>]*\sid="([^"]+)"/g)) byId.set(m[2], new FakeElement(m[1]));
  const window = new FakeElement('window');
  const posted: unknown[] = [];
  const warnings: unknown[][] = [];
  const globals = {
    document: {
      getElementById: (id: string) => byId.get(id) ?? null,
      createElement: (tag: string) => new FakeElement(tag),
      createElementNS: (ns: string, tag: string) => new FakeElement(tag, ns),
      createTextNode: (text: string) => new FakeText(text),
    },
    window,
    acquireVsCodeApi: () => ({ postMessage: (m: unknown) => posted.push(JSON.parse(JSON.stringify(m))) }),
    console: { warn: (...args: unknown[]) => warnings.push(args) },
  };
  const element = (id: string): FakeElement => {
    const e = byId.get(id);
    if (!e) throw new Error(`no #${id} in the page`);
    return e;
  };
  /** Delivers a message from the host, through JSON as postMessage does. */
  const receive = (message: unknown) => window.dispatch('message', { data: JSON.parse(JSON.stringify(message)) as unknown });
  return { globals, element, receive, posted, warnings };
}
