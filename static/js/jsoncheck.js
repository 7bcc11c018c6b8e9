// JSON validation with a precise, readable error location. JSON.parse does the parsing; when it
// fails, a small scanner walks the text to find where and why, since the engine's messages do
// not always carry a position.

/**
 * Parses `text`. Returns `{ ok: true, value }` or
 * `{ ok: false, message, position, line, column }` (line and column 1-based).
 */
export function checkJson(text) {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    const found = locate(text);
    const position = found?.position ?? Math.max(0, text.length);
    const { line, column } = lineColumn(text, position);
    return { ok: false, message: found?.message ?? err.message, position, line, column };
  }
}

export function lineColumn(text, position) {
  const before = text.slice(0, position);
  const line = before.split('\n').length;
  const column = position - before.lastIndexOf('\n');
  return { line, column };
}

class Fail {
  constructor(message, position) {
    this.message = message;
    this.position = position;
  }
}

function describe(ch) {
  if (ch === undefined) return 'the end of the text';
  if (ch === '\n') return 'a line break';
  return `“${ch}”`;
}

/** Finds the first syntax error, or null if the scanner accepts the text. */
function locate(text) {
  let i = 0;
  const ws = () => { while (i < text.length && ' \t\n\r'.includes(text[i])) i++; };
  const fail = (message, at = i) => { throw new Fail(message, at); };

  function value() {
    ws();
    const ch = text[i];
    if (ch === '{') return object();
    if (ch === '[') return array();
    if (ch === '"') return string();
    if (ch === '-' || (ch >= '0' && ch <= '9')) return number();
    for (const word of ['true', 'false', 'null']) {
      if (text.startsWith(word, i)) { i += word.length; return; }
    }
    if (ch === "'") fail('Strings must use double quotes (") not single quotes');
    if (ch === undefined) fail('Unexpected end of the text: a value is missing');
    fail(`Unexpected ${describe(ch)}: expected a value (text in double quotes, a number, true, false, null, an object or a list)`);
  }

  function object() {
    i++;
    ws();
    if (text[i] === '}') { i++; return; }
    for (;;) {
      ws();
      if (text[i] === '}') fail('Remove the comma before “}”: trailing commas are not allowed', i);
      if (text[i] !== '"') fail(`Expected a property name in double quotes, found ${describe(text[i])}`);
      string();
      ws();
      if (text[i] !== ':') fail(`Expected “:” after the property name, found ${describe(text[i])}`);
      i++;
      value();
      ws();
      if (text[i] === ',') { i++; continue; }
      if (text[i] === '}') { i++; return; }
      fail(`Expected “,” or “}” after a property value, found ${describe(text[i])}`);
    }
  }

  function array() {
    i++;
    ws();
    if (text[i] === ']') { i++; return; }
    for (;;) {
      ws();
      if (text[i] === ']') fail('Remove the comma before “]”: trailing commas are not allowed', i);
      value();
      ws();
      if (text[i] === ',') { i++; continue; }
      if (text[i] === ']') { i++; return; }
      fail(`Expected “,” or “]” after a list item, found ${describe(text[i])}`);
    }
  }

  function string() {
    const start = i;
    i++;
    while (i < text.length) {
      const ch = text[i];
      if (ch === '"') { i++; return; }
      if (ch === '\\') {
        const esc = text[i + 1];
        if (esc === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail('Invalid \\u escape: expected four hex digits');
          i += 6;
          continue;
        }
        if (!'"\\/bfnrt'.includes(esc ?? '')) fail(`Invalid escape “\\${esc ?? ''}” in a string`);
        i += 2;
        continue;
      }
      if (ch < ' ') fail(ch === '\n' ? 'Line break inside a string: close the quote or write \\n' : 'Control character inside a string');
      i++;
    }
    fail('Unterminated string: a closing " is missing', start);
  }

  function number() {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (!m) fail('Invalid number');
    i += m[0].length;
  }

  try {
    value();
    ws();
    if (i < text.length) fail(`Unexpected ${describe(text[i])} after the end of the JSON value`);
    return null;
  } catch (err) {
    if (err instanceof Fail) return err;
    throw err;
  }
}
