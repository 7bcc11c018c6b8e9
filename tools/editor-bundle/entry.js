// What the UI takes from CodeMirror 6, bundled by scripts/build-editor.sh into one ES module,
// static/vendor/codemirror.js (the brand-data JSON editor loads it when it opens).
export { EditorView, basicSetup } from 'codemirror';
export { EditorState } from '@codemirror/state';
export { json } from '@codemirror/lang-json';
export { linter, lintGutter, forceLinting } from '@codemirror/lint';
