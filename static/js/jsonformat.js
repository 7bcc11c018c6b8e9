// Reformatting JSON without touching what it says. `formatJson` re-indents valid JSON by its
// tokens: every string, number and literal keeps its exact text (a JSON.parse/JSON.stringify
// round trip would turn 12345678901234567890 into 12345678901234567000, 1.50 into 1.5, and keep
// only the last of two equal keys). `jsonCaveats` names what other readers of the document may
// read differently from how it is written: keys repeated in one object and numbers a
// double-precision reader cannot hold exactly.

const TOKEN = /\s+|"(?:[^"\\]|\\.)*"|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null|[{}[\]:,]/y;
const INDENT = '  ';

/** The tokens of `text` (JSON already checked valid), whitespace left out: `{text, at}`. */
function tokens(text) {
  const out = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    const at = TOKEN.lastIndex;
    const m = TOKEN.exec(text);
    if (!m) throw new Error(`not JSON at ${at}`);
    if (!/^\s/.test(m[0])) out.push({ text: m[0], at });
  }
  return out;
}

/** Valid JSON with two-space indents, one member or item a line, and a final newline; only the
 * whitespace between tokens changes. */
export function formatJson(text) {
  const list = tokens(text);
  let out = '';
  let depth = 0;
  const newline = () => `\n${INDENT.repeat(depth)}`;
  for (let i = 0; i < list.length; i++) {
    const t = list[i].text;
    if (t === '{' || t === '[') {
      const close = t === '{' ? '}' : ']';
      if (list[i + 1]?.text === close) { out += t + close; i++; continue; }
      depth++;
      out += t + newline();
    } else if (t === '}' || t === ']') {
      depth--;
      out += newline() + t;
    } else if (t === ',') {
      out += `,${newline()}`;
    } else if (t === ':') {
      out += ': ';
    } else {
      out += t;
    }
  }
  return `${out}\n`;
}

/** A number's value as `sign|digits|exponent` (digits without leading or trailing zeros), or
 * null for text that is no finite number. */
function decimal(raw) {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(raw);
  if (!m) return null;
  let digits = `${m[2]}${m[3] ?? ''}`.replace(/^0+/, '');
  let exponent = Number(m[4] ?? 0) - (m[3]?.length ?? 0);
  if (!digits) return '0';
  const trimmed = digits.replace(/0+$/, '');
  exponent += digits.length - trimmed.length;
  digits = trimmed;
  return `${m[1]}|${digits}|${exponent}`;
}

/** Whether a reader that holds numbers as doubles (JavaScript, and most JSON libraries by
 * default) keeps the value a number is written with: 1.50 it does (as 1.5), 12345678901234567890
 * it does not (12345678901234567000), nor 1e400. */
function keptByDoubles(raw) {
  return decimal(raw) === decimal(String(Number(raw)));
}

/**
 * What may be read differently from how valid JSON `text` is written:
 * `[{kind: 'duplicate-key' | 'inexact-number', text, at}]` in document order (`text` the key as
 * written, or the number; `at` its offset).
 */
export function jsonCaveats(text) {
  const found = [];
  const stack = [];
  const list = tokens(text);
  for (let i = 0; i < list.length; i++) {
    const { text: t, at } = list[i];
    if (t === '{') stack.push(new Set());
    else if (t === '[') stack.push(null);
    else if (t === '}' || t === ']') stack.pop();
    else if (t[0] === '"' && list[i + 1]?.text === ':') {
      const keys = stack.at(-1);
      const key = JSON.parse(t);
      if (keys.has(key)) found.push({ kind: 'duplicate-key', text: t, at });
      keys.add(key);
    } else if (/^-?\d/.test(t) && !keptByDoubles(t)) {
      found.push({ kind: 'inexact-number', text: t, at });
    }
  }
  return found;
}
