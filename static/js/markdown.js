// A small Markdown renderer for the editor's live preview. It builds DOM nodes directly and puts
// every piece of source text in with text nodes, so nothing typed can become markup: raw HTML
// shows as text, and links or images are only made for absolute http(s) URLs.
//
// Covers what briefs and drafts use: ATX headings, paragraphs with hard breaks, bullet, ordered
// and task lists (nested by indentation), block quotes, fenced and indented code, rules, GFM
// tables, and inline code, strong, emphasis, strikethrough, links, images and bare URLs.
// The saved document's preview comes from the API (`/preview`), which is authoritative.

const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)/;
const HEADING = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const RULE = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
const QUOTE = /^ {0,3}>[ ]?/;
const LIST_ITEM = /^( *)([-*+]|\d{1,9}[.)])([ \t]+|$)(.*)$/;
const TABLE_DIVIDER = /^ *\|? *:?-+:? *(\| *:?-+:? *)*\|? *$/;

/** Renders Markdown `source` into a DocumentFragment. */
export function renderMarkdown(source) {
  const frag = document.createDocumentFragment();
  const lines = String(source).replace(/\r\n?/g, '\n').replace(/\t/g, '    ').split('\n');
  renderBlocks(lines, frag);
  return frag;
}

/** Returns the URL if it is an absolute http(s) URL, otherwise null. */
export function safeUrl(raw) {
  try {
    const url = new URL(raw);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

const el = (tag, ...children) => {
  const node = document.createElement(tag);
  node.append(...children);
  return node;
};

const indentOf = (line) => line.match(/^ */)[0].length;
const isBlank = (line) => line.trim() === '';

function startsBlock(line, next) {
  return FENCE.test(line) || HEADING.test(line) || RULE.test(line) || QUOTE.test(line) ||
    /^ {0,3}([-*+]|1[.)])[ \t]+\S/.test(line) || isTableStart(line, next);
}

function isTableStart(line, next) {
  return line.includes('|') && next !== undefined && TABLE_DIVIDER.test(next) && next.includes('-');
}

function renderBlocks(lines, parent) {
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (isBlank(line)) { i++; continue; }
    let m;
    if ((m = line.match(FENCE))) {
      i = renderFence(lines, i, m, parent);
    } else if ((m = line.match(HEADING))) {
      const heading = el(`h${m[1].length}`);
      renderInline(m[2] ?? '', heading);
      parent.append(heading);
      i++;
    } else if (RULE.test(line)) {
      parent.append(el('hr'));
      i++;
    } else if (QUOTE.test(line)) {
      const inner = [];
      while (i < lines.length && QUOTE.test(lines[i])) inner.push(lines[i++].replace(QUOTE, ''));
      const quote = el('blockquote');
      renderBlocks(inner, quote);
      parent.append(quote);
    } else if (LIST_ITEM.test(line)) {
      i = renderList(lines, i, parent);
    } else if (isTableStart(line, lines[i + 1])) {
      i = renderTable(lines, i, parent);
    } else if (indentOf(line) >= 4) {
      const code = [];
      while (i < lines.length && (indentOf(lines[i]) >= 4 || isBlank(lines[i]))) code.push(lines[i++].slice(4));
      while (code.length && isBlank(code[code.length - 1])) code.pop();
      parent.append(el('pre', el('code', code.join('\n'))));
    } else {
      i = renderParagraph(lines, i, parent);
    }
  }
}

function renderFence(lines, start, match, parent) {
  const fence = match[1];
  const body = [];
  let i = start + 1;
  const closing = new RegExp(`^ {0,3}${fence[0] === '`' ? '`' : '~'}{${fence.length},}\\s*$`);
  while (i < lines.length && !closing.test(lines[i])) body.push(lines[i++]);
  const code = el('code', body.join('\n'));
  if (match[2]) code.className = `language-${match[2].replace(/[^\w+-]/g, '')}`;
  parent.append(el('pre', code));
  return i + 1;
}

function renderParagraph(lines, start, parent) {
  const para = [];
  let i = start;
  while (i < lines.length && !isBlank(lines[i]) && (i === start || !startsBlock(lines[i], lines[i + 1]))) {
    para.push(lines[i++]);
  }
  const p = el('p');
  para.forEach((line, n) => {
    const hard = / {2,}$/.test(line) || /\\$/.test(line);
    renderInline(line.trim().replace(/\\$/, ''), p);
    if (n < para.length - 1) p.append(hard ? el('br') : '\n');
  });
  parent.append(p);
  return i;
}

function renderList(lines, start, parent) {
  const first = lines[start].match(LIST_ITEM);
  const ordered = /\d/.test(first[2]);
  const baseIndent = first[1].length;
  const list = el(ordered ? 'ol' : 'ul');
  if (ordered && parseInt(first[2], 10) !== 1) list.start = parseInt(first[2], 10);
  let i = start;
  let loose = false;
  const items = [];
  while (i < lines.length) {
    const m = lines[i].match(LIST_ITEM);
    if (!m || m[1].length !== baseIndent || /\d/.test(m[2]) !== ordered) break;
    const contentIndent = baseIndent + m[2].length + Math.max(1, Math.min(m[3].length, 4));
    const body = [m[4]];
    i++;
    while (i < lines.length) {
      const line = lines[i];
      if (isBlank(line)) {
        // A blank line continues the item only if indented content follows.
        const next = lines.slice(i + 1).find((l) => !isBlank(l));
        if (next === undefined || indentOf(next) < contentIndent) break;
        body.push('');
        loose = true;
        i++;
      } else if (indentOf(line) >= contentIndent) {
        body.push(line.slice(contentIndent));
        i++;
      } else if (indentOf(line) > baseIndent && LIST_ITEM.test(line)) {
        body.push(line.slice(Math.min(indentOf(line), contentIndent)));
        i++;
      } else if (!LIST_ITEM.test(line) && !startsBlock(line, lines[i + 1]) && !isBlank(body[body.length - 1])) {
        body.push(line.trim()); // lazy continuation of the item's paragraph
        i++;
      } else {
        break;
      }
    }
    items.push(body);
    // Blank lines between items make the list loose.
    if (i < lines.length && isBlank(lines[i])) {
      const next = lines.slice(i).find((l) => !isBlank(l));
      const nm = next && next.match(LIST_ITEM);
      if (nm && nm[1].length === baseIndent && /\d/.test(nm[2]) === ordered) {
        loose = true;
        while (isBlank(lines[i])) i++;
      }
    }
  }
  for (const body of items) list.append(renderListItem(body, loose));
  parent.append(list);
  return i;
}

function renderListItem(body, loose) {
  const li = el('li');
  const task = body[0].match(/^\[([ xX])\][ \t]+(.*)$/);
  if (task) {
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.disabled = true;
    box.checked = task[1] !== ' ';
    li.className = 'task';
    li.append(box, ' ');
    body = [task[2], ...body.slice(1)];
  }
  const frag = document.createDocumentFragment();
  renderBlocks(body, frag);
  // Tight lists show their paragraphs inline.
  if (!loose) {
    for (const p of [...frag.childNodes].filter((n) => n.nodeName === 'P')) p.replaceWith(...p.childNodes);
  }
  li.append(frag);
  return li;
}

function splitRow(line) {
  let row = line.trim();
  if (row.startsWith('|')) row = row.slice(1);
  if (row.endsWith('|') && !row.endsWith('\\|')) row = row.slice(0, -1);
  const cells = [];
  let cell = '';
  for (let i = 0; i < row.length; i++) {
    if (row[i] === '\\' && row[i + 1] === '|') { cell += '|'; i++; }
    else if (row[i] === '|') { cells.push(cell.trim()); cell = ''; }
    else cell += row[i];
  }
  cells.push(cell.trim());
  return cells;
}

function renderTable(lines, start, parent) {
  const header = splitRow(lines[start]);
  const aligns = splitRow(lines[start + 1]).map((c) => {
    const left = c.startsWith(':');
    const right = c.endsWith(':');
    return left && right ? 'center' : right ? 'right' : left ? 'left' : '';
  });
  const cell = (tag, text, col) => {
    const node = el(tag);
    renderInline(text, node);
    if (aligns[col]) node.className = `align-${aligns[col]}`;
    return node;
  };
  const headRow = el('tr', ...header.map((t, c) => cell('th', t, c)));
  const tbody = el('tbody');
  let i = start + 2;
  while (i < lines.length && !isBlank(lines[i]) && lines[i].includes('|')) {
    const cells = splitRow(lines[i++]);
    tbody.append(el('tr', ...header.map((_, c) => cell('td', cells[c] ?? '', c))));
  }
  const wrap = el('div', el('table', el('thead', headRow), tbody));
  wrap.className = 'table-wrap';
  parent.append(wrap);
  return i;
}

// ---- inline ----

const INLINE_RULES = [
  { re: /\\([!-/:-@[-`{-~])/y, render: (m, out) => out.append(m[1]) },
  { re: /(`+)([\s\S]*?[^`])\1(?!`)/y, render: (m, out) => out.append(el('code', m[2].replace(/^ (.+) $/, '$1'))) },
  { re: /!\[([^\]]*)\]\(\s*<?([^)\s>]+)>?(?:\s+"([^"]*)")?\s*\)/y, render: renderImage },
  { re: /\[((?:[^[\]\\]|\\.|\[[^\]]*\])*)\]\(\s*<?((?:[^()\s<>]|\([^()\s]*\))*)>?(?:\s+"([^"]*)")?\s*\)/y, render: renderLink },
  { re: /<(https?:\/\/[^>\s]+)>/y, render: (m, out) => out.append(link(m[1], m[1])) },
  { re: /\*\*(?=\S)([\s\S]*?\S)\*\*(?!\*)/y, render: (m, out) => out.append(inline('strong', m[1])) },
  { re: /__(?=\S)([\s\S]*?\S)__(?![A-Za-z0-9])/y, render: (m, out) => out.append(inline('strong', m[1])), wordStart: true },
  { re: /\*(?=[^\s*])([\s\S]*?[^\s*])\*(?!\*)/y, render: (m, out) => out.append(inline('em', m[1])) },
  { re: /\*(?=\S)(\S)\*/y, render: (m, out) => out.append(inline('em', m[1])) },
  { re: /_(?=[^\s_])([\s\S]*?[^\s_])_(?![A-Za-z0-9_])/y, render: (m, out) => out.append(inline('em', m[1])), wordStart: true },
  { re: /~~(?=\S)([\s\S]*?\S)~~/y, render: (m, out) => out.append(inline('del', m[1])) },
  { re: /https?:\/\/[^\s<]*[^\s<.,:;"')\]*_~]/y, render: (m, out) => out.append(link(m[0], m[0])), wordStart: true },
];

const SPECIAL = /[\\`!*_~[<h]/g;

function inline(tag, text) {
  const node = el(tag);
  renderInline(text, node);
  return node;
}

function link(href, text) {
  const url = safeUrl(href);
  if (!url) {
    const span = el('span', text);
    span.className = 'md-unsafe-link';
    span.title = 'Link not shown: only http(s) links are allowed';
    return span;
  }
  const a = el('a', text);
  a.href = url;
  a.rel = 'noopener noreferrer';
  a.target = '_blank';
  return a;
}

function renderLink(m, out) {
  const url = safeUrl(m[2]);
  const node = url ? link(url, '') : link(m[2], '');
  renderInline(m[1], node);
  if (m[3]) node.title = m[3];
  out.append(node);
}

function renderImage(m, out) {
  const url = safeUrl(m[2]);
  if (url && url.startsWith('https:')) {
    const img = document.createElement('img');
    img.src = url;
    img.alt = m[1];
    img.loading = 'lazy';
    if (m[3]) img.title = m[3];
    out.append(img);
  } else {
    const span = el('span', `[image: ${m[1] || m[2]}]`);
    span.className = 'md-unsafe-link';
    out.append(span);
  }
}

/** Appends the inline content of `text` to `out`. */
function renderInline(text, out) {
  let plain = '';
  let pos = 0;
  SPECIAL.lastIndex = 0;
  let m;
  while ((m = SPECIAL.exec(text))) {
    const at = m.index;
    const prev = at > 0 ? text[at - 1] : '';
    let matched = false;
    for (const rule of INLINE_RULES) {
      if (rule.wordStart && /[A-Za-z0-9]/.test(prev)) continue;
      rule.re.lastIndex = at;
      const rm = rule.re.exec(text);
      if (!rm) continue;
      plain += text.slice(pos, at);
      if (plain) { out.append(plain); plain = ''; }
      rule.render(rm, out);
      pos = at + rm[0].length;
      SPECIAL.lastIndex = pos;
      matched = true;
      break;
    }
    if (!matched) SPECIAL.lastIndex = at + 1;
  }
  plain += text.slice(pos);
  if (plain) out.append(plain);
}
