// A WCAG 2.x contrast check run inside the page (as an expression string, so the tests type-check
// without the DOM library): every visible element with text of its own, its computed colour
// against the first opaque background behind it. Answers the elements below 4.5:1.

export interface LowContrast {
  readonly text: string;
  readonly color: string;
  readonly background: string;
  readonly ratio: number;
}

export const FIND_LOW_CONTRAST = `(() => {
  const parse = (css) => {
    const m = css.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const [r, g, b, a = '1'] = m[1].split(/[ ,\\/]+/).filter(Boolean);
    return { rgb: [Number(r), Number(g), Number(b)], alpha: Number(a) };
  };
  const luminance = ([r, g, b]) => {
    const channel = (v) => { const s = v / 255; return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  };
  const backgroundOf = (element) => {
    for (let node = element; node; node = node.parentElement) {
      const bg = parse(getComputedStyle(node).backgroundColor);
      if (bg && bg.alpha >= 0.99) return bg.rgb;
    }
    return [255, 255, 255];
  };
  const low = [];
  for (const element of document.querySelectorAll('body *')) {
    const own = [...element.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim() !== '');
    if (!own || element.closest('[hidden]') || element.getClientRects().length === 0) continue;
    const style = getComputedStyle(element);
    if (style.visibility === 'hidden' || style.display === 'none') continue;
    const fg = parse(style.color);
    if (!fg) continue;
    const bg = backgroundOf(element);
    const [hi, lo] = [luminance(fg.rgb), luminance(bg)].sort((a, b) => b - a);
    const ratio = (hi + 0.05) / (lo + 0.05);
    if (ratio < 4.5) low.push({ text: element.textContent.trim().slice(0, 40), color: style.color, background: 'rgb(' + bg.join(', ') + ')', ratio: Math.round(ratio * 100) / 100 });
  }
  return low;
})()`;
