// The JSON editor's error locator and formatter, run directly in Node (no DOM needed): where it
// says the error is and what it says; Format changing whitespace only, and what it warns of.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkJson } from '../../static/js/jsoncheck.js';
import { formatJson, jsonCaveats } from '../../static/js/jsonformat.js';

const where = (text) => {
  const r = checkJson(text);
  return r.ok ? 'ok' : `${r.line}:${r.column} ${r.message}`;
};

test('valid JSON parses', () => {
  assert.deepEqual(checkJson('{"a": [1, true, null, "x\\n"]}'), { ok: true, value: { a: [1, true, null, 'x\n'] } });
});

test('errors are located by line and column with a readable reason', () => {
  assert.match(where('{\n  "a": 1,\n}'), /^3:1 Remove the comma before “}”/);
  assert.match(where('{"a": [1, 2,]}'), /^1:13 Remove the comma before “]”/);
  assert.match(where('{"a" 1}'), /^1:6 Expected “:” after the property name/);
  assert.match(where("{'a': 1}"), /^1:2 Expected a property name in double quotes/);
  assert.match(where('{"a": \'x\'}'), /^1:7 Strings must use double quotes/);
  assert.match(where('{"a": 1 "b": 2}'), /^1:9 Expected “,” or “}” after a property value/);
  assert.match(where('{"a": "open'), /^1:7 Unterminated string/);
  assert.match(where('{"a": "bad \\q"}'), /^1:12 Invalid escape/);
  assert.match(where('{"a": 01}'), /^1:8 Expected “,” or “}”/);
  assert.match(where('{"a": tru}'), /^1:7 Unexpected “t”: expected a value/);
  assert.match(where('{} x'), /^1:4 Unexpected “x” after the end/);
  assert.match(where(''), /^1:1 Unexpected end of the text/);
  assert.match(where('{"a": "line\nbreak"}'), /^1:12 Line break inside a string/);
});

test('Format re-indents by tokens: every string, number and key kept as written', () => {
  const text = '{"id":12345678901234567890,"price":1.50,"e":1E+3,"dup":1,"dup":2,"s":"a\\"b, c","empty":{},"list":[],"nest":[1,{"x":null}]}';
  assert.equal(formatJson(text), [
    '{', '  "id": 12345678901234567890,', '  "price": 1.50,', '  "e": 1E+3,', '  "dup": 1,', '  "dup": 2,', '  "s": "a\\"b, c",',
    '  "empty": {},', '  "list": [],', '  "nest": [', '    1,', '    {', '      "x": null', '    }', '  ]', '}', '',
  ].join('\n'));
  // Formatting formatted text changes nothing.
  assert.equal(formatJson(formatJson(text)), formatJson(text));
});

test('the caveats are what a double-precision reader reads differently, and repeated keys', () => {
  const found = (text) => jsonCaveats(text).map((c) => `${c.kind} ${c.text}`);
  assert.deepEqual(found('{"a": 12345678901234567890, "b": 9007199254740993, "c": 1e400, "d": 0.1000000000000000055511151231257827}'),
    ['inexact-number 12345678901234567890', 'inexact-number 9007199254740993', 'inexact-number 1e400', 'inexact-number 0.1000000000000000055511151231257827']);
  // Written differently from how JavaScript prints them, but the same values.
  assert.deepEqual(found('{"a": 1.50, "b": 1E+3, "c": -0.0, "d": 9007199254740992, "e": 0.1, "f": 12345678901234567000}'), []);
  // Equal keys are equal after their escapes are read; the same key in two objects is fine.
  assert.deepEqual(found('{"a": {"k": 1}, "b": {"k": 2}, "\\u0061": 3}'), ['duplicate-key "\\u0061"']);
});
