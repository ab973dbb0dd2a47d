// Building the page's elements. Text always goes in as text (textContent), never as markup, so a
// run id or tag value can never become HTML; no `style` attribute either (the CSP forbids it).

type Child = Node | string | null | undefined | false;
type Attributes = Readonly<Record<string, string | number | boolean | null | undefined>>;

/** el('a', { href: '#/runs' }, 'All runs'): attributes set as strings, `true` as present, false/null left off. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: readonly Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

export function append(parent: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
  }
}

/** Replace what an element holds. */
export function fill(parent: Element, ...children: readonly Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

/**
 * Redraw inside `container` without losing the keyboard's place: a focused link or button is
 * focused again in the new content when one with the same href (or data-focus) is there.
 */
export function keepFocus(container: Element, redraw: () => void): void {
  const focused = document.activeElement;
  const key = focused instanceof HTMLElement && container.contains(focused) ? focusKey(focused) : null;
  redraw();
  if (key === null) return;
  const again = container.querySelector<HTMLElement>(key);
  again?.focus();
}

function focusKey(element: HTMLElement): string | null {
  const href = element.getAttribute('href');
  if (href !== null) return `a[href="${CSS.escape(href)}"]`;
  const data = element.getAttribute('data-focus');
  if (data !== null) return `[data-focus="${CSS.escape(data)}"]`;
  return null;
}
