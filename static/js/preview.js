// The one way the UI shows a Markdown preview: HTML rendered and sanitized by the API (the saved
// document's `/preview`, or `POST /api/render` for the editor's unsaved text), parsed inert and
// checked again. This is the only place the UI inserts HTML.

import { h } from './dom.js';

/** The API's preview fragment as a DocumentFragment, with anything active removed. */
export function previewFragment(html) {
  const template = document.createElement('template');
  template.innerHTML = html;
  const frag = template.content;
  for (const el of frag.querySelectorAll('script, style, iframe, object, embed, link, meta, base, form')) el.remove();
  for (const el of frag.querySelectorAll('*')) {
    for (const attr of [...el.attributes]) {
      const n = attr.name.toLowerCase();
      const v = attr.value.trim().toLowerCase();
      if (n.startsWith('on') || n === 'style' || ((n === 'href' || n === 'src') && !/^(https?:|mailto:|#|\/(?!\/)|data:image\/)/.test(v) && /^[a-z][a-z0-9+.-]*:/.test(v))) {
        el.removeAttribute(attr.name);
      }
    }
    if (el.tagName === 'A' && /^https?:/i.test(el.getAttribute('href') ?? '')) {
      el.setAttribute('target', '_blank');
      el.setAttribute('rel', 'noopener noreferrer');
    }
  }
  // Images only from https: or inline data: a relative src would be fetched from this app.
  for (const img of frag.querySelectorAll('img')) {
    if (!/^(https:|data:image\/)/i.test(img.getAttribute('src') ?? '')) {
      img.replaceWith(h('span', { class: 'md-unsafe-link', text: img.getAttribute('alt') ? `[image: ${img.getAttribute('alt')}]` : '[image]' }));
    }
  }
  for (const table of frag.querySelectorAll('table')) {
    const wrap = h('div', { class: 'table-wrap' });
    table.replaceWith(wrap);
    wrap.append(table);
  }
  return frag;
}
