// The JSON editor's error locator, run directly in Node (it has no DOM dependency): where it
// says the error is, and what it says.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkJson } from '../../static/js/jsoncheck.js';

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
